import {
  Content,
  Header,
  Page,
  Progress,
  ResponseErrorPanel,
  TabbedLayout,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import Grid from '@material-ui/core/Grid';
import { EmailDeliveriesCard } from '../EmailDeliveriesCard';
import {
  AdminsNote,
  EmailProviderAccessProvider,
  useEmailProviderAccess,
} from '../EmailProviderAccess';
import {
  DeliveryHints,
  EmailProviderSettingsCard,
  NotAllowed,
} from '../EmailProviderSettingsCard';
import { emailProviderTranslationRef } from '../../translation';

/**
 * The "Email provider" admin page, in two tabs: **Settings** (the settings card, who may change
 * them, and what to know about delivery; at the page's own path) for users the backend lets read
 * the settings, and **Deliveries** (the delivery log; at `deliveries` below the page's path) for
 * users it lets read the log. What the user may do comes from the backend (`GET /access`), which
 * decides every admin route the same way. A tab the user may not see is left out; users with
 * neither see a not-allowed message.
 *
 * @public
 */
export function EmailProviderPage() {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const state = useEmailProviderAccess();
  let body;
  if (state.loading) {
    body = (
      <Content>
        <Progress />
      </Content>
    );
  } else if ('error' in state) {
    body = (
      <Content>
        <ResponseErrorPanel error={state.error} />
      </Content>
    );
  } else if (!state.access.settings.read && !state.access.deliveries.read) {
    body = (
      <Content>
        <NotAllowed adminsConfigured={state.access.adminsConfigured} />
      </Content>
    );
  } else {
    const { access } = state;
    body = (
      <EmailProviderAccessProvider value={state}>
        <TabbedLayout>
          {access.settings.read && (
            <TabbedLayout.Route path="/" title={t('page.tabs.settings')}>
              <Grid container spacing={3}>
                <Grid item xs={12}>
                  <AdminsNote adminsConfigured={access.adminsConfigured} />
                </Grid>
                <Grid item xs={12} lg={8}>
                  <EmailProviderSettingsCard />
                </Grid>
                <Grid item xs={12} lg={4}>
                  <DeliveryHints />
                </Grid>
              </Grid>
            </TabbedLayout.Route>
          )}
          {access.deliveries.read && (
            <TabbedLayout.Route
              path="/deliveries"
              title={t('page.tabs.deliveries')}
            >
              <EmailDeliveriesCard />
            </TabbedLayout.Route>
          )}
        </TabbedLayout>
      </EmailProviderAccessProvider>
    );
  }
  return (
    <Page themeId="tool">
      <Header title={t('page.title')} subtitle={t('page.subtitle')} />
      {body}
    </Page>
  );
}
