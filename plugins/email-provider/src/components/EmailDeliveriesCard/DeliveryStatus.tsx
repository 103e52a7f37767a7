import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { MessageStatus } from '@email-provider/backstage-plugin-email-provider-common';
import { emailProviderTranslationRef } from '../../translation';

const ICONS: Record<MessageStatus, typeof StatusOK> = {
  queued: StatusPending,
  sending: StatusRunning,
  sent: StatusOK,
  failed: StatusError,
  suppressed: StatusAborted,
};

/**
 * A message's status: Backstage's status icon (hidden from assistive technology) and the word,
 * so that it never depends on colour or shape alone.
 */
export function DeliveryStatus(props: { status: MessageStatus }) {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const Icon = ICONS[props.status];
  return (
    <span style={{ display: 'inline-flex', alignItems: 'baseline' }}>
      <Icon />
      <span>{t(`deliveries.status.${props.status}`)}</span>
    </span>
  );
}
