import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { emailProviderTranslationRef } from '../../translation';
import { useEmailProviderAccess } from '../EmailProviderAccess';
import { DeliveriesNotAllowed } from './DeliveriesNotAllowed';
import { DeliveryLog } from './DeliveryLog';

const DEFAULT_REFRESH_MS = 10_000;

/**
 * The delivery log of the email provider: a health summary (last success, last failure,
 * messages waiting, failed in the last 24 hours, and when the Microsoft 365 credential expires),
 * a chart of the messages sent, failed and waiting per hour or per day, and the recent messages
 * with their status, attempts and last error, filtered (status, recipient, caller, category,
 * subject words, time range), exported as CSV and paged. It refreshes itself while it is shown.
 * Users the backend does not let read the log (`email-provider.deliveries.read`) see a
 * not-allowed message; a failed message can be retried by those it lets change the settings
 * (`email-provider.settings.update`). The backend checks both again.
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
    <DeliveryLog
      canRetry={access.settings.update}
      canReadSettings={access.settings.read}
      refreshIntervalMs={props.refreshIntervalMs ?? DEFAULT_REFRESH_MS}
    />
  );
}
