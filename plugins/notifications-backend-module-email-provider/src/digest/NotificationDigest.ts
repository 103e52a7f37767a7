import {
  DatabaseService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Notification } from '@backstage/plugin-notifications-common';
import { DatabaseDigestStore } from './DatabaseDigestStore';
import { DigestConfig, isLessSevere } from './digestConfig';
import { NotificationDigestQueue } from './NotificationDigestQueue';

/** The scheduler task that sends the digests, in the notifications plugin's scheduler. */
export const DIGEST_TASK_ID = 'email-provider-notification-digest';

/** What became of one digest email: the outcomes of the processor's `sendDigest`. */
export type DigestOutcome =
  | 'queued'
  | 'suppressed'
  | 'skipped'
  | 'failed'
  | 'no-provider';

/**
 * One user's digest. The idempotency key is the same each time the same digest is sent, so the
 * email provider stores it once.
 */
export type DigestToSend = {
  userRef: string;
  notifications: Notification[];
  idempotencyKey: string;
};

/** Emails digests, many users' at once; the outcomes are in the order of the digests. */
export type DigestSender = (
  digests: DigestToSend[],
) => Promise<DigestOutcome[]>;

/** How many users' digests go to the email provider in one call. */
const DIGESTS_PER_CALL = 100;

/**
 * The digest: user notifications below `severityBelow` wait in the database, and a global
 * scheduled task (one replica at a time) emails each user one digest of them per run.
 */
export class NotificationDigest implements NotificationDigestQueue {
  /** The digest as configured, its table migrated. */
  static async create(options: {
    config: DigestConfig;
    database: DatabaseService;
    logger: LoggerService;
  }): Promise<NotificationDigest> {
    return new NotificationDigest(
      await DatabaseDigestStore.create(options.database),
      options.config,
      options.logger,
    );
  }

  constructor(
    private readonly store: DatabaseDigestStore,
    private readonly config: DigestConfig,
    private readonly logger: LoggerService,
  ) {}

  get maxItems(): number {
    return this.config.maxItems;
  }

  takes(notification: Notification): boolean {
    // Broadcasts are for nobody in particular and are emailed as they come.
    return (
      typeof notification.user === 'string' &&
      isLessSevere(
        notification.payload.severity ?? 'normal',
        this.config.severityBelow,
      )
    );
  }

  async add(notification: Notification, userRef: string): Promise<void> {
    await this.store.add(userRef, notification);
  }

  /** Sends the digests on the configured schedule, on one replica at a time. */
  async schedule(scheduler: SchedulerService, send: DigestSender) {
    await scheduler.scheduleTask({
      ...this.config.schedule,
      id: DIGEST_TASK_ID,
      // Any replica may run it, one at a time; each run sends at most one digest per user.
      scope: 'global',
      fn: signal => this.sendDigests(send, signal),
    });
  }

  /**
   * Sends every user with waiting notifications one digest. A digest that could not be stored
   * by the email provider (`failed`, `no-provider`) is kept as it is and sent first next time;
   * one nobody can receive (`skipped`, `suppressed`) is dropped.
   */
  async sendDigests(send: DigestSender, signal?: AbortSignal): Promise<void> {
    const counts = { sent: 0, dropped: 0, kept: 0 };
    const users = await this.store.users();
    for (let start = 0; start < users.length; start += DIGESTS_PER_CALL) {
      if (signal?.aborted) {
        break;
      }
      const digests: Array<DigestToSend & { id: string }> = [];
      for (const userRef of users.slice(start, start + DIGESTS_PER_CALL)) {
        const digest = await this.store.nextDigest(userRef);
        if (digest) {
          digests.push({
            id: digest.id,
            userRef,
            notifications: digest.notifications,
            idempotencyKey: `digest:${digest.id}`,
          });
        }
      }
      if (digests.length === 0) {
        continue;
      }
      let outcomes: DigestOutcome[];
      try {
        outcomes = await send(digests);
      } catch (error) {
        for (const { id, userRef } of digests) {
          this.logger.error(
            `Could not email the notification digest ${id} to ${userRef}: ${error}`,
          );
        }
        outcomes = digests.map(() => 'failed');
      }
      for (const [i, { id }] of digests.entries()) {
        const outcome = outcomes[i];
        if (outcome === 'failed' || outcome === 'no-provider') {
          counts.kept += 1;
          continue;
        }
        await this.store.finish(id);
        counts[outcome === 'queued' ? 'sent' : 'dropped'] += 1;
      }
      if (outcomes.includes('no-provider')) {
        // Every other digest would be refused the same way.
        break;
      }
    }
    if (counts.sent + counts.dropped + counts.kept > 0) {
      this.logger.info(
        `Notification digests: ${counts.sent} emailed, ${counts.dropped} dropped (no usable address, excluded by the address lists, or unsubscribed), ${counts.kept} kept for the next run`,
      );
    }
  }
}
