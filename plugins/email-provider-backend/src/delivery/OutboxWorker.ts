import { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import type {
  EmailFailure,
  SendEmailRequest,
} from '@internal/plugin-email-provider-common';
import { randomUUID } from 'node:crypto';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { ProviderError } from '../providers/ProviderError';
import { MailProvider } from '../providers/types';
import { ActiveProvider, SettingsService } from '../settings/SettingsService';
import {
  ClaimedMessage,
  ClaimLimits,
  DatabaseOutboxStore,
} from './DatabaseOutboxStore';
import { DeliveryOptions } from './DeliveryOptions';
import { toOutgoingMessage } from './outboxMessages';

// How often expired messages are looked for; cheap, and a minute late is fine.
const EXPIRY_CHECK_MS = 60_000;
const PAUSE_RECHECK_POLLS = 5;
const SENT_BATCH_MS = 20;
const CLAIM_COALESCE_MS = 10;

/** The provider built for one saved revision, shared by the sends of that revision. */
type ProviderLease = {
  version: number;
  type: ActiveProvider['provider'];
  provider: MailProvider;
  users: number;
  retired: boolean;
};

/**
 * Delivers the outbox. Every backend instance runs one; they share the work through atomic
 * claims, so each message goes out once. A transient failure is retried with exponential backoff
 * and jitter (or after the provider's Retry-After, which pauses every instance); a permanent one
 * fails at once with its reason. A message whose worker died is taken over when its claim lapses,
 * with the same Message-ID.
 */
export class OutboxWorker {
  readonly workerId = `worker-${randomUUID()}`;
  private inFlight = 0;
  private inFlightBytes = 0;
  private running = false;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private wakeRequested = false;
  private soon?: NodeJS.Timeout;
  private lease?: ProviderLease;
  private lastExpiryCheck = 0;
  private revision?: { version: number; active?: ActiveProvider };
  private maxInFlight = 1;
  private readonly sentBatches = new Map<
    ActiveProvider['provider'],
    { ids: string[]; close: () => void; done: Promise<unknown> }
  >();
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly deps: {
      store: DatabaseOutboxStore;
      settings: SettingsService;
      providers: MailProviderFactory;
      logger: LoggerService;
      options: DeliveryOptions;
    },
  ) {}

  start(): void {
    this.running = true;
    this.wake();
  }

  /** Stops claiming, and waits for the messages being sent. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.soon);
    await this.ticking;
    if (this.inFlight > 0) {
      await new Promise<void>(resolve => this.idle.add(resolve));
    }
    if (this.lease) {
      await this.lease.provider.close();
    }
  }

  /** A message was stored: looks for work soon, unless the worker will anyway. */
  notifyEnqueued(): void {
    // A worker with more than half its slots busy claims again as they free up; looking sooner
    // would claim a few messages at a time, at the cost of a whole claim each.
    if (this.inFlight <= this.maxInFlight / 2) {
      this.wakeSoon();
    }
  }

  /**
   * Looks for work within a few milliseconds, so that messages stored or finished close together
   * are claimed in one batch rather than one claim each.
   */
  private wakeSoon(): void {
    if (!this.running || this.soon) {
      return;
    }
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.wake();
    }, CLAIM_COALESCE_MS);
  }

  /** Looks for work now. */
  wake(): void {
    if (!this.running) {
      return;
    }
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    clearTimeout(this.timer);
    this.ticking = this.tick()
      .catch(error =>
        this.deps.logger.error('Email delivery loop failed', error),
      )
      .then(delayMs => {
        this.ticking = undefined;
        const again = this.wakeRequested;
        this.wakeRequested = false;
        if (this.running) {
          const nextMs = delayMs ?? this.deps.options.pollIntervalMs;
          this.timer = setTimeout(
            () => this.wake(),
            again ? Math.min(nextMs, CLAIM_COALESCE_MS) : nextMs,
          );
        }
      });
  }

  private limitsFor(type: ActiveProvider['provider']): ClaimLimits {
    const { smtp, microsoft365 } = this.deps.options;
    return type === 'smtp'
      ? { maxInFlight: smtp.maxInFlight, perMinute: smtp.messagesPerMinute }
      : {
          maxInFlight: microsoft365.maxConcurrentRequests,
          perMinute: microsoft365.messagesPerMinute,
        };
  }

  /** One look for due messages; returns how long to wait before the next. */
  private async tick(): Promise<number | undefined> {
    const { store, settings, options } = this.deps;
    const now = Date.now();
    if (now - this.lastExpiryCheck > EXPIRY_CHECK_MS) {
      this.lastExpiryCheck = now;
      const expired = await store.expire();
      if (expired > 0) {
        this.deps.logger.warn(`${expired} email message(s) expired unsent`);
      }
    }

    // Read on every look, so nothing is claimed for a provider an admin has just replaced or
    // deleted; the secret is decrypted again only when the version changed.
    this.revision = await settings.getActiveRevision(this.revision);
    const { version, active } = this.revision;
    if (!active) {
      // Messages wait, visible in the delivery log, until a provider is active or they expire;
      // the old provider's connections are let go.
      if (this.lease) {
        this.lease.retired = true;
        this.closeIfRetired(this.lease);
        this.lease = undefined;
      }
      return undefined;
    }
    const lease = this.leaseFor(version, active);
    const limits = this.limitsFor(active.provider);
    this.maxInFlight = limits.maxInFlight;
    const free = limits.maxInFlight - this.inFlight;
    const freeBytes = options.maxInFlightBytes - this.inFlightBytes;
    if (free <= 0 || freeBytes <= 0) {
      return undefined;
    }
    const { messages, waitMs } = await store.claim({
      workerId: this.workerId,
      max: free,
      maxBytes: freeBytes,
      leaseMs: options.claimLeaseMs,
      limits,
    });
    for (const message of messages) {
      this.inFlight += 1;
      this.inFlightBytes += message.sizeBytes;
      lease.users += 1;
      this.deliver(message, lease).finally(() => {
        this.inFlight -= 1;
        this.inFlightBytes -= message.sizeBytes;
        lease.users -= 1;
        this.closeIfRetired(lease);
        if (this.inFlight === 0) {
          this.idle.forEach(resolve => resolve());
          this.idle.clear();
        }
        // Claim again once half the slots are free: fewer, larger claims.
        if (this.inFlight <= this.maxInFlight / 2) {
          this.wakeSoon();
        }
      });
    }
    // A full batch means there may be more due right away. A pause or rate limit is waited out,
    // but looked at again every few polls in case it was lifted.
    if (messages.length === free) {
      return 0;
    }
    return waitMs === undefined
      ? undefined
      : Math.min(waitMs, PAUSE_RECHECK_POLLS * options.pollIntervalMs);
  }

  /** The provider for this revision; a new revision retires the old one once idle. */
  private leaseFor(version: number, active: ActiveProvider): ProviderLease {
    if (this.lease?.version === version) {
      return this.lease;
    }
    if (this.lease) {
      this.lease.retired = true;
      this.closeIfRetired(this.lease);
    }
    this.lease = {
      version,
      type: active.provider,
      provider: this.deps.providers.create(active, {
        smtpPool: { maxConnections: this.deps.options.smtp.maxConnections },
      }),
      users: 0,
      retired: false,
    };
    return this.lease;
  }

  private closeIfRetired(lease: ProviderLease) {
    if (lease.retired && lease.users === 0) {
      lease.provider.close().catch(() => undefined);
    }
  }

  private async deliver(message: ClaimedMessage, lease: ProviderLease) {
    const { store, logger, options } = this.deps;
    try {
      const request = JSON.parse(message.payload) as SendEmailRequest;
      await lease.provider.send(toOutgoingMessage(request, message.messageId));
      await this.recordSent(message.id, lease.type);
      return;
    } catch (error) {
      const failure = toFailure(error);
      const retryable =
        failure.transient && message.attempts < options.maxAttempts;
      let nextAttemptAt: Date | undefined;
      if (retryable) {
        const delayMs = failure.retryAfterMs ?? this.backoff(message.attempts);
        nextAttemptAt = new Date(Date.now() + delayMs);
        if (failure.retryAfterMs !== undefined) {
          await store.pauseUntil(nextAttemptAt);
        }
      }
      await store.markFailedAttempt(message.id, this.workerId, {
        provider: lease.type,
        failure,
        nextAttemptAt,
      });
      logger.info(
        `Email ${message.id} attempt ${message.attempts} failed (${
          failure.code
        }); ${
          nextAttemptAt
            ? `retrying at ${nextAttemptAt.toISOString()}`
            : 'giving up'
        }`,
      );
    }
  }

  /**
   * Records sent messages in batches: one statement for the messages that finished within a few
   * milliseconds of each other, instead of one each. A batch is written early once it holds a
   * quarter of the in-flight limit, since its messages keep their slots until then (with
   * Microsoft 365's four, at once). A crash before the write leaves them claimed, to be sent
   * again with the same Message-ID, as a crash just before any write would.
   */
  private recordSent(id: string, provider: ActiveProvider['provider']) {
    let batch = this.sentBatches.get(provider);
    if (!batch) {
      const ids: string[] = [];
      let close!: () => void;
      const done = new Promise<void>(resolve => {
        const timer = setTimeout(() => close(), SENT_BATCH_MS);
        // Closed once, by the timer or by size: later messages start the next batch.
        close = () => {
          clearTimeout(timer);
          this.sentBatches.delete(provider);
          resolve();
        };
      }).then(() => this.deps.store.markAllSent(ids, this.workerId, provider));
      batch = { ids, close, done };
      this.sentBatches.set(provider, batch);
    }
    batch.ids.push(id);
    if (batch.ids.length >= Math.max(1, Math.floor(this.maxInFlight / 4))) {
      batch.close();
    }
    return batch.done;
  }

  /** Exponential backoff with full jitter between half and all of the step. */
  private backoff(attempt: number): number {
    const { retryDelayMs, maxRetryDelayMs } = this.deps.options;
    const step = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + (Math.random() * step) / 2);
  }
}

function toFailure(error: unknown): EmailFailure {
  if (error instanceof ProviderError) {
    return error.toFailure();
  }
  // Not a classified provider answer (a bug, a corrupt payload): retry, and say what it was.
  return {
    code: 'provider-error',
    message: `Sending failed unexpectedly: ${
      isError(error) ? error.message : String(error)
    }`,
    transient: true,
  };
}
