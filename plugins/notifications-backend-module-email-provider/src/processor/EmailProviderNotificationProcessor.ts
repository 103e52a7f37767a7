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
import {
  EmailUnsubscribe,
  isEmailAddress,
  MessageStatus,
  SendEmailRequest,
} from '@email-provider/backstage-plugin-email-provider-common';
import { EmailService } from '@email-provider/backstage-plugin-email-provider-node';
import { EmailProviderProcessorConfig } from '../config';
import { DigestOutcome, DigestToSend } from '../digest/NotificationDigest';
import { NotificationDigestQueue } from '../digest/NotificationDigestQueue';
import { NotificationEmail } from '../email/notificationEmail';
import {
  DIGEST_UNSUBSCRIBE,
  notificationUnsubscribe,
} from '../email/unsubscribeLists';
import { NotificationEmailRenderer } from '../templates/NotificationEmailRenderer';
import { NotificationsEmailProviderTemplate } from '../templates/NotificationsEmailProviderTemplate';
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
const NO_PROVIDER_WARNING_INTERVAL_MS = 60_000;

type Outcome = Exclude<DigestOutcome, 'skipped'>;

type Recipient = { userRef: string; address: string };

/** A rendered notification or digest email for one recipient, with how it is stored. */
type OutgoingNotificationEmail = {
  email: NotificationEmail;
  idempotencyKey: string;
  unsubscribe: EmailUnsubscribe;
};

/** An email ready to go: what, to whom, and how it is named in the log. */
type PreparedEmail = {
  message: OutgoingNotificationEmail;
  recipient: Recipient;
  what: string;
};

function toSendEmailRequest(
  message: OutgoingNotificationEmail,
  recipient: Recipient,
): SendEmailRequest {
  const { email } = message;
  return {
    to: [recipient.address],
    subject: email.subject,
    text: email.text,
    html: email.html,
    idempotencyKey: message.idempotencyKey,
    category: NOTIFICATION_CATEGORY,
    unsubscribe: message.unsubscribe,
  };
}

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

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

function userEmail(entity: Entity): string | undefined {
  const email = (entity.spec?.profile as { email?: unknown } | undefined)
    ?.email;
  return typeof email === 'string' && email.trim() ? email.trim() : undefined;
}

const NO_PROVIDER = /no email provider/i;

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
    NO_PROVIDER.test(`${error.message} ${cause?.message ?? ''}`)
  );
}

/** The same, as one message's outcome of `sendMany`. */
function isNoProviderRefusal(error: { name: string; message: string }) {
  return error.name === 'ConflictError' && NO_PROVIDER.test(error.message);
}

/** Dependencies of {@link EmailProviderNotificationProcessor}. */
export type EmailProviderNotificationProcessorOptions = {
  email: EmailService;
  catalog: CatalogService;
  auth: AuthService;
  logger: LoggerService;
  config: EmailProviderProcessorConfig;
  channelSettings: EmailChannelSettings;
  /** The portal's email template; the module's own rendering where it supplies nothing. */
  template?: NotificationsEmailProviderTemplate;
  /** Where user notifications that wait for a digest go. */
  digest?: NotificationDigestQueue;
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
  private readonly renderer: NotificationEmailRenderer;

  constructor(
    private readonly options: EmailProviderNotificationProcessorOptions,
  ) {
    this.renderer = new NotificationEmailRenderer({
      portal: options.config.portal,
      logger: options.logger,
      template: options.template,
    });
  }

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

  /**
   * Emails each user their digest, as the digest queue decides, to the same address and under
   * the same allow and deny lists as a single notification, all in one `sendMany`. Never
   * rejects: a failure is logged and answered as `failed`. The outcomes are in the order of
   * `digests`.
   */
  async sendDigests(digests: DigestToSend[]): Promise<DigestOutcome[]> {
    const outcomes: DigestOutcome[] = digests.map(() => 'skipped');
    const ready: Array<{ index: number } & PreparedEmail> = [];
    for (const [index, digest] of digests.entries()) {
      const { userRef, notifications } = digest;
      const what = `the digest of ${notifications.length} notification${
        notifications.length === 1 ? '' : 's'
      }`;
      try {
        if (!this.isUser(userRef, what)) {
          continue;
        }
        const recipient = await this.recipient(userRef, what);
        if (!recipient) {
          continue;
        }
        ready.push({
          index,
          recipient,
          what,
          message: {
            email: await this.renderer.forDigest(notifications, userRef, {
              maxItems: this.options.digest?.maxItems,
            }),
            idempotencyKey: digest.idempotencyKey,
            unsubscribe: DIGEST_UNSUBSCRIBE,
          },
        });
      } catch (error) {
        this.options.logger.error(
          `Could not email ${what} to ${userRef}: ${error}`,
        );
        outcomes[index] = 'failed';
      }
    }
    try {
      const sent = await this.deliverMany(ready);
      ready.forEach(({ index }, i) => {
        outcomes[index] = sent[i];
      });
    } catch (error) {
      for (const { index, what, recipient } of ready) {
        this.options.logger.error(
          `Could not email ${what} to ${recipient.userRef}: ${error}`,
        );
        outcomes[index] = 'failed';
      }
    }
    return outcomes;
  }

  private isUser(userRef: string, what: string): boolean {
    if (parseEntityRef(userRef).kind.toLowerCase() === 'user') {
      return true;
    }
    this.options.logger.warn(
      `${capitalized(
        what,
      )} is for ${userRef}, which is not a user; no email sent`,
    );
    return false;
  }

  /**
   * The user's catalog address, when it is one the allow and deny lists let mail go to; else
   * undefined, with a warning (no usable address) or a debug line (a list excludes it).
   */
  private async recipient(
    userRef: string,
    what: string,
  ): Promise<Recipient | undefined> {
    const { catalog, auth, logger } = this.options;
    const {
      items: [entity],
    } = await catalog.getEntitiesByRefs(
      { entityRefs: [userRef], fields: USER_FIELDS },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    if (!entity) {
      logger.warn(
        `User ${userRef} is not in the catalog; ${what} not sent by email`,
      );
      return undefined;
    }
    const address = userEmail(entity);
    if (!address) {
      logger.warn(
        `User ${userRef} has no email address (spec.profile.email); ${what} not sent by email`,
      );
      return undefined;
    }
    if (!isEmailAddress(address)) {
      logger.warn(
        `User ${userRef} has an invalid email address in spec.profile.email; ${what} not sent by email`,
      );
      return undefined;
    }
    if (!this.isAllowed(address)) {
      logger.debug(
        `The address of user ${userRef} is excluded by allowlistEmailAddresses or denylistEmailAddresses; ${what} not sent by email`,
      );
      return undefined;
    }
    return { userRef, address };
  }

  private isAllowed(address: string): boolean {
    return this.options.config.addressFilter?.allows(address) ?? true;
  }

  private async sendToUser(notification: Notification, userRef: string) {
    const what = `notification ${notification.id}`;
    if (!this.isUser(userRef, what)) {
      return;
    }
    if (this.options.digest?.takes(notification)) {
      await this.options.digest.add(notification, userRef);
      return;
    }
    const recipient = await this.recipient(userRef, what);
    if (!recipient) {
      return;
    }
    await this.deliver(
      {
        email: await this.renderer.forNotification(notification)(userRef),
        idempotencyKey: idempotencyKey(notification, userRef),
        unsubscribe: notificationUnsubscribe(notification),
      },
      recipient,
      what,
    );
  }

  private async sendBroadcast(notification: Notification) {
    const { catalog, auth, logger, config, channelSettings } = this.options;
    if (!config.broadcastEnabled) {
      logger.debug(
        `Broadcast notification ${notification.id} not sent by email: notifications.processors.emailProvider.broadcast.enabled is off`,
      );
      return;
    }
    const unreadable = await channelSettings.unreadableBecause();
    if (unreadable) {
      logger.warn(
        `Broadcast notification ${notification.id} not sent by email: broadcast email is off because ${unreadable} (see the error logged at startup)`,
      );
      return;
    }
    const what = `broadcast notification ${notification.id}`;
    const emailFor = this.renderer.forNotification(notification);
    const unsubscribe = notificationUnsubscribe(notification);
    const seenAddresses = new Set<string>();
    const counts = {
      queued: 0,
      failed: 0,
      optedOut: 0,
      invalid: 0,
      notAllowed: 0,
      suppressed: 0,
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
      const recipients: Recipient[] = [];
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
        if (!this.isAllowed(address)) {
          counts.notAllowed += 1;
          logger.debug(
            `The address of user ${userRef} is excluded by allowlistEmailAddresses or denylistEmailAddresses; ${what} not sent to them by email`,
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
      // A page's messages go in one call (sendMany), each with its own outcome.
      const outcomes = await this.deliverMany(
        await Promise.all(
          optedIn.map(async recipient => ({
            recipient,
            what,
            message: {
              email: await emailFor(recipient.userRef),
              idempotencyKey: idempotencyKey(notification, recipient.userRef),
              unsubscribe,
            },
          })),
        ),
      );
      for (const outcome of outcomes) {
        if (outcome === 'no-provider') {
          completed = false;
        } else {
          counts[outcome] += 1;
        }
      }
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
      } skipped (invalid address), ${
        counts.notAllowed
      } skipped (address not allowed), ${
        counts.suppressed
      } skipped (unsubscribed)${
        completed ? '' : '; stopped, no email provider is configured'
      }`,
    );
  }

  private async deliver(
    message: OutgoingNotificationEmail,
    recipient: Recipient,
    what: string,
  ): Promise<Outcome> {
    try {
      const { id, status } = await this.options.email.send(
        toSendEmailRequest(message, recipient),
      );
      return this.accepted(id, status, message, recipient, what);
    } catch (error) {
      return this.refused(
        isNoProviderError(error),
        String(error),
        recipient,
        what,
      );
    }
  }

  /** Sends the emails with one `sendMany`; their outcomes, in order. */
  private async deliverMany(emails: PreparedEmail[]): Promise<Outcome[]> {
    if (emails.length === 0) {
      return [];
    }
    const outcomes = await this.options.email.sendMany(
      emails.map(({ message, recipient }) =>
        toSendEmailRequest(message, recipient),
      ),
    );
    return outcomes.map((outcome, i) => {
      const { message, recipient, what } = emails[i];
      return outcome.accepted
        ? this.accepted(outcome.id, outcome.status, message, recipient, what)
        : this.refused(
            isNoProviderRefusal(outcome.error),
            `${outcome.error.name}: ${outcome.error.message}`,
            recipient,
            what,
          );
    });
  }

  private accepted(
    id: string,
    status: MessageStatus,
    message: OutgoingNotificationEmail,
    recipient: Recipient,
    what: string,
  ): Outcome {
    const { logger } = this.options;
    if (status === 'suppressed') {
      logger.debug(
        `${capitalized(what)} not emailed to ${
          recipient.userRef
        }: they unsubscribed from ${message.unsubscribe.list} (message ${id})`,
      );
      return 'suppressed';
    }
    logger.debug(
      `${capitalized(what)} for ${recipient.userRef} queued as email ${id}`,
    );
    return 'queued';
  }

  private refused(
    noProvider: boolean,
    reason: string,
    recipient: Recipient,
    what: string,
  ): Outcome {
    const { logger } = this.options;
    if (noProvider) {
      // Every message fails the same way until an admin configures a provider: say it once
      // a minute, not once per user.
      const now = Date.now();
      if (now - this.lastNoProviderWarning >= NO_PROVIDER_WARNING_INTERVAL_MS) {
        this.lastNoProviderWarning = now;
        logger.warn(
          `Notification emails are not sent: no email provider is configured (${reason})`,
        );
      }
      return 'no-provider';
    }
    logger.error(`Could not email ${what} to ${recipient.userRef}: ${reason}`);
    return 'failed';
  }
}
