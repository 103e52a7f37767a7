import { Content, Header, Page, Progress } from '@backstage/core-components';
import { emailProviderSettingsReadPermission } from '@internal/plugin-email-provider-common';
import { usePermission } from '@backstage/plugin-permission-react';
import Grid from '@material-ui/core/Grid';
import {
  DeliveryHints,
  EmailProviderSettingsCard,
  NotAllowed,
} from '../EmailProviderSettingsCard';

/**
 * The "Email provider" admin page: the settings card and what to know about delivery. Users
 * without `email-provider.settings.read` see a not-allowed message.
 *
 * @public
 */
export function EmailProviderPage() {
  const read = usePermission({
    permission: emailProviderSettingsReadPermission,
  });
  let content;
  if (read.loading) {
    content = <Progress />;
  } else if (!read.allowed) {
    content = <NotAllowed />;
  } else {
    content = (
      <Grid container spacing={3}>
        <Grid item xs={12} lg={8}>
          <EmailProviderSettingsCard />
        </Grid>
        <Grid item xs={12} lg={4}>
          <DeliveryHints />
        </Grid>
      </Grid>
    );
  }
  return (
    <Page themeId="tool">
      <Header
        title="Email provider"
        subtitle="How the portal sends its email: SMTP, Microsoft 365 or none"
      />
      <Content>{content}</Content>
    </Page>
  );
}
