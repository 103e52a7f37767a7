import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import type { MessageStatus } from '@email-provider/backstage-plugin-email-provider-common';
import { STATUS_LABELS } from './format';

const ICONS: Record<MessageStatus, typeof StatusOK> = {
  queued: StatusPending,
  sending: StatusRunning,
  sent: StatusOK,
  failed: StatusError,
};

/**
 * A message's status: Backstage's status icon (hidden from assistive technology) and the word,
 * so that it never depends on colour or shape alone.
 */
export function DeliveryStatus(props: { status: MessageStatus }) {
  const Icon = ICONS[props.status];
  return (
    <span style={{ display: 'inline-flex', alignItems: 'baseline' }}>
      <Icon />
      <span>{STATUS_LABELS[props.status]}</span>
    </span>
  );
}
