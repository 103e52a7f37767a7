import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { DatabaseOutboxStore } from './DatabaseOutboxStore';

/** The cleaner runs this often; an expired message fails at most this late. */
const EXPIRY_CHECK_MS = 60_000;
/**
 * Purging reads far more than expiring (no index serves it), and a few hours late is fine. The
 * first waits a few minutes, off the instance's startup.
 */
const PURGE_EVERY_MS = 6 * 3600_000;
const FIRST_PURGE_AFTER_MS = 5 * 60_000;

/**
 * Keeps the outbox tidy, as one scheduled task for the whole portal: messages that waited longer
 * than they may (`expireAfter`) fail as expired, and finished ones older than `retention` are
 * deleted with their recipients and the chart's counts of their hours.
 */
export class OutboxCleaner {
  private lastPurge = Date.now() - PURGE_EVERY_MS + FIRST_PURGE_AFTER_MS;

  constructor(
    private readonly deps: {
      store: DatabaseOutboxStore;
      logger: LoggerService;
      /** How long the metadata of finished messages is kept. */
      retentionMs: number;
    },
  ) {}

  /** Runs `run` on one instance at a time, every minute. */
  async schedule(scheduler: SchedulerService): Promise<void> {
    await scheduler.scheduleTask({
      id: 'email-provider-outbox-cleaner',
      scope: 'global',
      frequency: { milliseconds: EXPIRY_CHECK_MS },
      timeout: { minutes: 10 },
      initialDelay: { seconds: 30 },
      fn: () => this.run(),
    });
  }

  /**
   * Expires what waited too long; purges too when this instance's last purge is six hours old.
   * With several instances the purge may run on each in turn, at most every six hours apiece.
   */
  async run(now = new Date()): Promise<void> {
    const { store, logger, retentionMs } = this.deps;
    const expired = await store.expire(now);
    if (expired > 0) {
      logger.warn(`${expired} email message(s) expired unsent`);
    }
    if (now.getTime() - this.lastPurge < PURGE_EVERY_MS) {
      return;
    }
    this.lastPurge = now.getTime();
    const purged = await store.purge(new Date(now.getTime() - retentionMs));
    logger.info(`Purged ${purged} finished email message(s)`);
  }
}
