import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import Grid from '@material-ui/core/Grid';
import { emailProviderTranslationRef } from '../../translation';
import { useEmailProviderAccess } from '../EmailProviderAccess';
import { DeliveriesNotAllowed } from './DeliveriesNotAllowed';
import { DeliveryLog } from './DeliveryLog';
import { SuppressionList } from './SuppressionList';

const DEFAULT_REFRESH_MS = 10_000;

/**
 * The delivery log of the email provider: a health summary (last success, last failure,
 * messages waiting, failed in the last 24 hours, and when the Microsoft 365 credential expires),
 * a chart of the messages sent, failed and waiting per hour or per day, and the recent messages
 * with their status, attempts and last error, filtered (status, recipient, caller, category,
 * subject words, time range), exported as CSV and paged. It refreshes itself while it is shown.
 * Below, the addresses that unsubscribed from a plugin's messages (suppressed addresses).
 * Users the backend does not let read the log (`email-provider.deliveries.read`) see a
 * not-allowed message; a failed message can be retried, and a suppression removed, by those it
 * lets change the settings (`email-provider.settings.update`). The backend checks both again.
 *
 * @public
 */
export function EmailDeliveriesCard(props: {
  /** How often the log reads itself again while shown, in milliseconds; 10 seconds by default. */
  refreshIntervalMs?: number;
}) {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const state = useEmailProviderAccess();
  if (state.loading) {
    return (
      <InfoCard title={t('deliveries.log.title')}>
        <Progress />
      </InfoCard>
    );
  }
  if ('error' in state) {
    return <ResponseErrorPanel error={state.error} />;
  }
  const { access } = state;
  if (!access.deliveries.read) {
    return <DeliveriesNotAllowed adminsConfigured={access.adminsConfigured} />;
  }
  return (
    <Grid container spacing={3}>
      <Grid item xs={12} style={{ minWidth: 0 }}>
        <DeliveryLog
          canRetry={access.settings.update}
          canReadSettings={access.settings.read}
          refreshIntervalMs={props.refreshIntervalMs ?? DEFAULT_REFRESH_MS}
        />
      </Grid>
      <Grid item xs={12} style={{ minWidth: 0 }}>
        <SuppressionList canRemove={access.settings.update} />
      </Grid>
    </Grid>
  );
}
