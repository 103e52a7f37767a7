import { createHash } from 'node:crypto';
import { Notification } from '@backstage/plugin-notifications-common';
import {
  EmailUnsubscribe,
  hasControlCharacters,
  MAX_UNSUBSCRIBE_DESCRIPTION_LENGTH,
  MAX_UNSUBSCRIBE_LIST_LENGTH,
} from '@email-provider/backstage-plugin-email-provider-common';
import { subjectLine } from './notificationEmail';

/**
 * What a notification email's one-click unsubscribe stops: the notifications of the same origin
 * and topic, as the Email channel of the notification settings does. The email provider keeps
 * suppressions per caller, list and address, so the list must stay the same for every
 * notification of an origin and topic; one that would be too long or not one line is named by
 * its hash.
 */
export function notificationUnsubscribe(
  notification: Notification,
): EmailUnsubscribe {
  const { origin } = notification;
  const topic = notification.payload.topic || undefined;
  const readable = topic
    ? `notification:${origin}:${topic}`
    : `notification:${origin}`;
  const list =
    readable.length <= MAX_UNSUBSCRIBE_LIST_LENGTH &&
    !hasControlCharacters(readable)
      ? readable
      : `notification:sha256:${createHash('sha256')
          .update(JSON.stringify([origin, topic ?? null]))
          .digest('hex')}`;
  return {
    list,
    description: subjectLine(
      topic
        ? `Notifications from ${origin} about ${topic}`
        : `Notifications from ${origin}`,
      MAX_UNSUBSCRIBE_DESCRIPTION_LENGTH,
    ),
  };
}

/** The unsubscribe of digest emails: one list for all of them. */
export const DIGEST_UNSUBSCRIBE: EmailUnsubscribe = {
  list: 'notification-digest',
  description: 'Notification digests',
};
