import { Notification } from '@backstage/plugin-notifications-common';

/**
 * Where user notifications wait to be emailed together, one digest email per user and interval,
 * instead of one email each (`notifications.processors.emailProvider.digest`).
 */
export interface NotificationDigestQueue {
  /** Whether the notification waits for the digest rather than being emailed at once. */
  takes(notification: Notification): boolean;
  /** Keeps the notification for the user's next digest. */
  add(notification: Notification, userRef: string): Promise<void>;
  /** How many notifications a digest email lists; it counts the rest and links to them. */
  readonly maxItems: number;
}
