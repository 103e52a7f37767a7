import { createHash } from 'node:crypto';
import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { isError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  Notification,
  NotificationProcessorFilters,
} from '@backstage/plugin-notifications-common';
import {
  NotificationProcessor,
  NotificationSendOptions,
} from '@backstage/plugin-notifications-node';
import { isEmailAddress } from '@email-provider/backstage-plugin-email-provider-common';
import { EmailService } from '@email-provider/backstage-plugin-email-provider-node';
import { EmailProviderProcessorConfig } from '../config';
import {
  NotificationEmail,
  renderNotificationEmail,
} from '../email/notificationEmail';
import { EMAIL_CHANNEL, EmailChannelSettings } from './EmailChannelSettings';

/** The category of every notification email in the email provider's delivery log. */
export const NOTIFICATION_CATEGORY = 'notification';

const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
const USER_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'spec.profile.email',
];
const BROADCAST_PAGE_SIZE = 500;
const BROADCAST_CONCURRENCY = 4;
const NO_PROVIDER_WARNING_INTERVAL_MS = 60_000;

type Outcome = 'queued' | 'failed' | 'no-provider';

/**
 * The key that makes the email-provider backend store a notification's email for a user once,
 * however often the processor runs for it. A scoped notification that is sent again (the
 * notifications backend then updates the stored one, keeping its id) has a new `updated` time and
 * so is emailed again.
 */
export function idempotencyKey(
  notification: Notification,
  userRef: string,
): string {
  const updated =
    notification.updated === undefined
      ? NaN
      : new Date(notification.updated).getTime();
  const version = Number.isNaN(updated) ? '' : `@${updated}`;
  const key = `notification:${notification.id}${version}:${userRef}`;
  if (key.length <= MAX_IDEMPOTENCY_KEY_LENGTH) {
    return key;
  }
  const digest = createHash('sha256').update(userRef).digest('hex');
  return `notification:${notification.id}${version}:${digest}`;
}

function userEmail(entity: Entity): string | undefined {
  const email = (entity.spec?.profile as { email?: unknown } | undefined)
    ?.email;
  return typeof email === 'string' && email.trim() ? email.trim() : undefined;
}

/** The email provider answers 409 when no provider is configured: every message would fail. */
function isNoProviderError(error: unknown): boolean {
  if (!isError(error)) {
    return false;
  }
  const { statusCode, cause } = error as {
    statusCode?: unknown;
    cause?: { message?: unknown };
  };
  return (
    statusCode === 409 &&
    /no email provider/i.test(`${error.message} ${cause?.message ?? ''}`)
  );
}

/**
 * Runs `fn` for every item, at most `limit` at a time, until one call returns false. Resolves
 * to whether it went through every item.
 */
async function forEachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<boolean>,
): Promise<boolean> {
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < items.length) {
      const item = items[next++];
      if (!(await fn(item))) {
        stopped = true;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  return !stopped;
}

/** Dependencies of {@link EmailProviderNotificationProcessor}. */
export type EmailProviderNotificationProcessorOptions = {
  email: EmailService;
  catalog: CatalogService;
  auth: AuthService;
  logger: LoggerService;
  config: EmailProviderProcessorConfig;
  channelSettings: EmailChannelSettings;
};

/**
 * Sends notifications by email through the portal's email provider: one message per user, to
 * the user's catalog address (`spec.profile.email`).
 *
 * The notifications backend calls `postProcess` once for every user a notification is for, after
 * it resolved groups and other entities to users and after it checked that the user has the
 * "Email" channel (this processor's name) on for the notification's origin and topic. Broadcasts
 * come as one call without a user; they are emailed only when enabled in config.
 */
export class EmailProviderNotificationProcessor
  implements NotificationProcessor
{
  private lastNoProviderWarning = 0;

  constructor(
    private readonly options: EmailProviderNotificationProcessorOptions,
  ) {}

  getName(): string {
    return EMAIL_CHANNEL;
  }

  getNotificationFilters(): NotificationProcessorFilters {
    return this.options.config.filter;
  }

  async postProcess(
    notification: Notification,
    options: NotificationSendOptions,
  ): Promise<void> {
    // The notifications backend does not wait for processors; nothing may escape from here.
    try {
      if (
        notification.user === null ||
        options.recipients.type === 'broadcast'
      ) {
        await this.sendBroadcast(notification);
      } else {
        await this.sendToUser(notification, notification.user);
      }
    } catch (error) {
      this.options.logger.error(
        `Could not email notification ${notification.id}: ${error}`,
      );
    }
  }

  private render(notification: Notification): NotificationEmail {
    return renderNotificationEmail(notification, this.options.config.portal);
  }

  private async sendToUser(notification: Notification, userRef: string) {
    const { catalog, auth, logger } = this.options;
    const { kind } = parseEntityRef(userRef);
    if (kind.toLowerCase() !== 'user') {
      logger.warn(
        `Notification ${notification.id} is for ${userRef}, which is not a user; no email sent`,
      );
      return;
    }
    const {
      items: [entity],
    } = await catalog.getEntitiesByRefs(
      { entityRefs: [userRef], fields: USER_FIELDS },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    if (!entity) {
      logger.warn(
        `User ${userRef} is not in the catalog; notification ${notification.id} not sent by email`,
      );
      return;
    }
    const address = userEmail(entity);
    if (!address) {
      logger.warn(
        `User ${userRef} has no email address (spec.profile.email); notification ${notification.id} not sent by email`,
      );
      return;
    }
    if (!isEmailAddress(address)) {
      logger.warn(
        `User ${userRef} has an invalid email address in spec.profile.email; notification ${notification.id} not sent by email`,
      );
      return;
    }
    await this.deliver(notification, this.render(notification), {
      userRef,
      address,
    });
  }

  private async sendBroadcast(notification: Notification) {
    const { catalog, auth, logger, config, channelSettings } = this.options;
    if (!config.broadcastEnabled) {
      logger.debug(
        `Broadcast notification ${notification.id} not sent by email: notifications.processors.emailProvider.broadcast.enabled is off`,
      );
      return;
    }
    const email = this.render(notification);
    const seenAddresses = new Set<string>();
    const counts = { queued: 0, failed: 0, optedOut: 0, invalid: 0 };
    const deliverTo = async (recipient: {
      userRef: string;
      address: string;
    }) => {
      const outcome = await this.deliver(notification, email, recipient);
      if (outcome === 'no-provider') {
        return false;
      }
      counts[outcome] += 1;
      return true;
    };
    let completed = true;
    const pages = catalog.streamEntities(
      {
        filter: { kind: 'user', 'spec.profile.email': CATALOG_FILTER_EXISTS },
        fields: USER_FIELDS,
        pageSize: BROADCAST_PAGE_SIZE,
      },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    for await (const page of pages) {
      const recipients: Array<{ userRef: string; address: string }> = [];
      for (const entity of page) {
        const userRef = stringifyEntityRef(entity);
        const address = userEmail(entity);
        if (!address) {
          continue;
        }
        if (!isEmailAddress(address)) {
          counts.invalid += 1;
          logger.warn(
            `User ${userRef} has an invalid email address in spec.profile.email; broadcast notification ${notification.id} not sent to them by email`,
          );
          continue;
        }
        // Two users sharing an address (a team mailbox) get one message.
        if (!seenAddresses.has(address.toLowerCase())) {
          seenAddresses.add(address.toLowerCase());
          recipients.push({ userRef, address });
        }
      }
      const enabled = await channelSettings.enabledUsers(
        recipients.map(r => r.userRef),
        notification.origin,
        notification.payload.topic ?? null,
      );
      const optedIn = recipients.filter(r => enabled.has(r.userRef));
      counts.optedOut += recipients.length - optedIn.length;
      completed = await forEachLimited(
        optedIn,
        BROADCAST_CONCURRENCY,
        deliverTo,
      );
      if (!completed) {
        break;
      }
    }
    logger.info(
      `Broadcast notification ${notification.id} by email: ${
        counts.queued
      } queued, ${counts.failed} failed, ${
        counts.optedOut
      } skipped (Email channel off), ${
        counts.invalid
      } skipped (invalid address)${
        completed ? '' : '; stopped, no email provider is configured'
      }`,
    );
  }

  private async deliver(
    notification: Notification,
    email: NotificationEmail,
    recipient: { userRef: string; address: string },
  ): Promise<Outcome> {
    const { logger } = this.options;
    try {
      const { id } = await this.options.email.send({
        to: [recipient.address],
        subject: email.subject,
        text: email.text,
        html: email.html,
        idempotencyKey: idempotencyKey(notification, recipient.userRef),
        category: NOTIFICATION_CATEGORY,
      });
      logger.debug(
        `Notification ${notification.id} for ${recipient.userRef} queued as email ${id}`,
      );
      return 'queued';
    } catch (error) {
      if (isNoProviderError(error)) {
        // Every message fails the same way until an admin configures a provider: say it once
        // a minute, not once per user.
        const now = Date.now();
        if (
          now - this.lastNoProviderWarning >=
          NO_PROVIDER_WARNING_INTERVAL_MS
        ) {
          this.lastNoProviderWarning = now;
          logger.warn(
            `Notification emails are not sent: no email provider is configured (${error})`,
          );
        }
        return 'no-provider';
      }
      logger.error(
        `Could not email notification ${notification.id} to ${recipient.userRef}: ${error}`,
      );
      return 'failed';
    }
  }
}
