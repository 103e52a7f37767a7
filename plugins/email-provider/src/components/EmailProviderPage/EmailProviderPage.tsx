import {
  Content,
  Header,
  Page,
  Progress,
  TabbedLayout,
} from '@backstage/core-components';
import {
  emailProviderDeliveriesReadPermission,
  emailProviderSettingsReadPermission,
} from '@email-provider/backstage-plugin-email-provider-common';
import { usePermission } from '@backstage/plugin-permission-react';
import Grid from '@material-ui/core/Grid';
import { EmailDeliveriesCard } from '../EmailDeliveriesCard';
import {
  DeliveryHints,
  EmailProviderSettingsCard,
  NotAllowed,
} from '../EmailProviderSettingsCard';

/**
 * The "Email provider" admin page, in two tabs: **Settings** (the settings card and what to
 * know about delivery; at the page's own path) for users with `email-provider.settings.read`,
 * and **Deliveries** (the delivery log; at `deliveries` below the page's path) for users with
 * `email-provider.deliveries.read`. A tab the user may not see is left out; users with neither
 * permission see a not-allowed message.
 *
 * @public
 */
export function EmailProviderPage() {
  const settings = usePermission({
    permission: emailProviderSettingsReadPermission,
  });
  const deliveries = usePermission({
    permission: emailProviderDeliveriesReadPermission,
  });
  let body;
  if (settings.loading || deliveries.loading) {
    body = (
      <Content>
        <Progress />
      </Content>
    );
  } else if (!settings.allowed && !deliveries.allowed) {
    body = (
      <Content>
        <NotAllowed />
      </Content>
    );
  } else {
    body = (
      <TabbedLayout>
        {settings.allowed && (
          <TabbedLayout.Route path="/" title="Settings">
            <Grid container spacing={3}>
              <Grid item xs={12} lg={8}>
                <EmailProviderSettingsCard />
              </Grid>
              <Grid item xs={12} lg={4}>
                <DeliveryHints />
              </Grid>
            </Grid>
          </TabbedLayout.Route>
        )}
        {deliveries.allowed && (
          <TabbedLayout.Route path="/deliveries" title="Deliveries">
            <EmailDeliveriesCard />
          </TabbedLayout.Route>
        )}
      </TabbedLayout>
    );
  }
  return (
    <Page themeId="tool">
      <Header
        title="Email provider"
        subtitle="How the portal sends its email: SMTP, Microsoft 365 or none"
      />
      {body}
    </Page>
  );
}
