import { InfoCard, Progress } from '@backstage/core-components';
import {
  emailProviderDeliveriesReadPermission,
  emailProviderSettingsUpdatePermission,
} from '@email-provider/backstage-plugin-email-provider-common';
import { usePermission } from '@backstage/plugin-permission-react';
import { DeliveriesNotAllowed } from './DeliveriesNotAllowed';
import { DeliveryLog } from './DeliveryLog';

const DEFAULT_REFRESH_MS = 10_000;

/**
 * The delivery log of the email provider: a health summary (last success, last failure,
 * messages waiting, failed in the last 24 hours) and the recent messages with their status,
 * attempts and last error, filtered by status and paged. It refreshes itself while it is shown.
 * Users without `email-provider.deliveries.read` see a not-allowed message; a failed message
 * can be retried by users with `email-provider.settings.update`. The backend checks both again.
 *
 * @public
 */
export function EmailDeliveriesCard(props: {
  /** How often the log reads itself again while shown, in milliseconds; 10 seconds by default. */
  refreshIntervalMs?: number;
}) {
  const read = usePermission({
    permission: emailProviderDeliveriesReadPermission,
  });
  const update = usePermission({
    permission: emailProviderSettingsUpdatePermission,
  });
  if (read.loading || (read.allowed && update.loading)) {
    return (
      <InfoCard title="Recent messages">
        <Progress />
      </InfoCard>
    );
  }
  if (!read.allowed) {
    return <DeliveriesNotAllowed />;
  }
  return (
    <DeliveryLog
      canRetry={update.allowed}
      refreshIntervalMs={props.refreshIntervalMs ?? DEFAULT_REFRESH_MS}
    />
  );
}
