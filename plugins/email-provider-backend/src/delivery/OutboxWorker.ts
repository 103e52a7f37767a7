import { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import type { EmailFailure } from '@email-provider/backstage-plugin-email-provider-common';
import { randomUUID } from 'node:crypto';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { ProviderError } from '../providers/ProviderError';
import { MailProvider } from '../providers/types';
import { ActiveProvider, SettingsService } from '../settings/SettingsService';
import { SuppressionStore } from '../suppressions/SuppressionStore';
import { UnsubscribeTokens } from '../suppressions/UnsubscribeTokens';
import { Batcher } from './Batcher';
import {
  ClaimedMessage,
  ClaimLimits,
  DatabaseOutboxStore,
} from './DatabaseOutboxStore';
import { DeliveryOptions } from './DeliveryOptions';
import {
  readStoredRequest,
  toOutgoingMessage,
  unsubscribeGrantOf,
} from './outboxMessages';

const PAUSE_RECHECK_POLLS = 5;
const SENT_BATCH_MS = 20;
const CLAIM_COALESCE_MS = 10;
/** Failures that say the destination was not reached, rather than that it refused a message. */
const UNREACHED_CODES = new Set<EmailFailure['code']>([
  'connection-refused',
  'host-not-found',
  'timeout',
  'provider-unavailable',
]);
/**
 * On shutdown, after the grace period (`shutdownGraceMs`): how long the last writes may take.
 * Backstage awaits plugins' shutdown hooks without a limit of its own; the limit is the
 * orchestrator's (Kubernetes kills a pod 30 s after SIGTERM by default), which the defaults keep
 * well inside.
 */
const STOP_WRITES_MS = 5_000;

/** The provider built for one saved revision, shared by the sends of that revision. */
type ProviderLease = {
  version: number;
  type: ActiveProvider['provider'];
  /** See `destinationOf`. */
  destination: string;
  provider: MailProvider;
  users: number;
  retired: boolean;
};

/**
 * Delivers the outbox. Every backend instance runs one; they share the work through atomic
 * claims, so each message goes out once. A transient failure is retried with exponential backoff
 * and jitter (or after the provider's Retry-After, capped, which pauses every instance for that
 * destination); a permanent one fails at once with its reason. A message whose worker died is
 * taken over when its claim lapses, with the same Message-ID.
 *
 * A message that could not reach its destination waits for it: while any do, one is probed every
 * `probeIntervalMs`, and the first message the destination takes again makes all of them due at
 * once, so a recovered server gets the backlog within seconds rather than at each one's backoff.
 */
export class OutboxWorker {
  readonly workerId = `worker-${randomUUID()}`;
  private inFlight = 0;
  private inFlightBytes = 0;
  private running = false;
  private timer?: NodeJS.Timeout;
  /** When `timer` fires, on `performance.now()`'s clock. */
  private timerAt = 0;
  private ticking?: Promise<void>;
  /** Asked to look for work after the current look had started its claim. */
  private wakeRequested = false;
  /** When the last claim started, on `performance.now()`'s clock. */
  private lastClaimAt = -Infinity;
  /**
   * Messages may be due that the last claim had no room for, or that were stored while the
   * slots were busy: the worker claims again as its slots free up. Otherwise a finished send
   * needs no claim, since every message stored since is announced by `notifyEnqueued`.
   */
  private backlog = false;
  private lease?: ProviderLease;
  private revision?: { version: number; active?: ActiveProvider };
  private maxInFlight = 1;
  /**
   * Records sent messages in batches: one statement for the messages that finished within a few
   * milliseconds of each other, instead of one each. A batch is written early once it holds a
   * quarter of the in-flight limit, since its messages keep their slots until then (with
   * Microsoft 365's four, at once). A crash before the write leaves them claimed, to be sent
   * again with the same Message-ID, as a crash just before any write would.
   */
  private readonly sentRecords = {
    smtp: this.sentBatcher('smtp'),
    microsoft365: this.sentBatcher('microsoft365'),
  };
  private readonly idle = new Set<() => void>();
  /** Sent messages whose record could not be written yet, because the database was away. */
  private unrecorded: Array<{
    ids: string[];
    provider: ActiveProvider['provider'];
  }> = [];
  /** Set once a shutdown gave up waiting: sends that end now are handed back, not failed. */
  private handingBack = false;
  /** The destination the last claim found messages waiting for, until a send gets through. */
  private unreachable?: string;
  private draining?: Promise<void>;

  constructor(
    private readonly deps: {
      store: DatabaseOutboxStore;
      settings: SettingsService;
      providers: MailProviderFactory;
      /** Checked just before each send: a recipient may unsubscribe while a message waits. */
      suppressions: SuppressionStore;
      /** Make each message's unsubscribe link, afresh for each attempt. */
      unsubscribeTokens: UnsubscribeTokens;
      logger: LoggerService;
      options: DeliveryOptions;
    },
  ) {}

  start(): void {
    this.running = true;
    this.handingBack = false;
    this.wake();
  }

  /**
   * Stops claiming and lets the messages being sent finish, for at most the grace period. The
   * ones still out then are abandoned and handed back, due at once for any instance, so none
   * waits for its claim to lapse; sent records are written first. Takes at most the grace period
   * and five seconds, whatever the provider or the database do.
   */
  async stop(): Promise<void> {
    const { store, logger } = this.deps;
    this.running = false;
    clearTimeout(this.timer);
    const graceEnds = Date.now() + this.deps.options.shutdownGraceMs;
    await settledBy(this.ticking, graceEnds);
    const idle =
      this.inFlight === 0
        ? undefined
        : new Promise<void>(resolve => this.idle.add(resolve));
    if (!(await settledBy(idle, graceEnds))) {
      this.handingBack = true;
    }
    const writesEnd = Date.now() + STOP_WRITES_MS;
    if (this.lease) {
      // Ends the sends still out, as far as the provider can.
      await settledBy(this.lease.provider.close(), writesEnd);
    }
    await settledBy(idle, writesEnd);
    const handBack = async () => {
      await this.writeUnrecorded().catch(() => undefined);
      // Every message this worker still holds, bar those known to be sent: the abandoned ones,
      // and any whose claim committed but never reached the worker.
      await store.release(
        this.workerId,
        this.unrecorded.flatMap(batch => batch.ids),
      );
    };
    const handedBack = await settledBy(
      handBack().catch(error =>
        logger.error('Could not hand back claimed email messages', error),
      ),
      writesEnd,
    );
    const unrecorded = this.unrecorded.flatMap(batch => batch.ids).length;
    if (!handedBack || unrecorded > 0) {
      logger.error(
        `Email delivery stopped with the database away: ${unrecorded} sent message(s) could not be recorded and will be sent again, and claimed messages wait for their claims to lapse`,
      );
    }
  }

  /** A message was stored: looks for work soon, unless the worker will anyway. */
  notifyEnqueued(): void {
    // A worker with more than half its slots busy claims again as they free up; looking sooner
    // would claim a few messages at a time, at the cost of a whole claim each.
    if (this.inFlight <= this.maxInFlight / 2) {
      this.wakeSoon();
    } else {
      this.backlog = true;
    }
  }

  /**
   * Looks for work now, or, when a claim started less than a few milliseconds ago, once those
   * have passed: a lone message is claimed at once, while under load the messages stored or
   * finished close together are claimed in one batch rather than one claim each.
   */
  private wakeSoon(): void {
    if (!this.running) {
      return;
    }
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    const waitMs = this.lastClaimAt + CLAIM_COALESCE_MS - performance.now();
    if (waitMs <= 0) {
      this.wake();
    } else {
      this.wakeIn(waitMs);
    }
  }

  /** Looks for work in `delayMs`, unless the worker is to look sooner anyway. */
  private wakeIn(delayMs: number): void {
    const at = performance.now() + delayMs;
    if (this.timer && this.timerAt <= at) {
      return;
    }
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, delayMs);
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
    this.timer = undefined;
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
          this.wakeIn(
            again
              ? Math.min(
                  nextMs,
                  this.lastClaimAt + CLAIM_COALESCE_MS - performance.now(),
                )
              : nextMs,
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
    if (this.unrecorded.length > 0) {
      // Before anything is claimed: a claim could take these messages again once their claims
      // lapse. So no claim is made while any are kept, which bounds how many can be.
      await this.writeUnrecorded();
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
      this.backlog = true;
      return undefined;
    }
    // Whatever was stored or freed until now, this claim sees.
    this.wakeRequested = false;
    this.backlog = false;
    this.lastClaimAt = performance.now();
    const { messages, waitMs, unreachable, more } = await store.claim({
      workerId: this.workerId,
      max: free,
      maxBytes: freeBytes,
      leaseMs: options.claimLeaseMs,
      limits,
      destination: lease.destination,
    });
    this.unreachable = unreachable ? lease.destination : undefined;
    if (more) {
      this.backlog = true;
    }
    for (const message of messages) {
      this.inFlight += 1;
      this.inFlightBytes += message.sizeBytes;
      lease.users += 1;
      const delivered = () => {
        this.inFlight -= 1;
        this.inFlightBytes -= message.sizeBytes;
        lease.users -= 1;
        this.closeIfRetired(lease);
        if (this.inFlight === 0) {
          this.idle.forEach(resolve => resolve());
          this.idle.clear();
        }
        // Claim again once half the slots are free: fewer, larger claims.
        if (this.backlog && this.inFlight <= this.maxInFlight / 2) {
          this.wakeSoon();
        }
      };
      this.deliver(message, lease).then(delivered, error => {
        // The outcome was not recorded (the database is away): the message stays claimed and
        // is tried again once its claim lapses.
        this.deps.logger.warn(
          `Could not record the outcome of email ${message.id}; it is tried again when its claim lapses`,
          error,
        );
        delivered();
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
      destination: destinationOf(active),
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
    const { store, logger, options, suppressions, unsubscribeTokens } =
      this.deps;
    try {
      const request = readStoredRequest(message.payload);
      // Let go of the stored text (a third larger than the attachments it holds) now rather
      // than when the send ends: memory follows what is being sent, not what was claimed.
      message.payload = '';
      // Checked at the last moment: the recipient may have unsubscribed while it waited.
      const grant = unsubscribeGrantOf(message.caller, request);
      if (grant && (await suppressions.isSuppressed(grant))) {
        await store.markSuppressed(message.id, this.workerId);
        if (message.probe) {
          // Nothing was tried: the next probe need not wait for this one's claim to lapse.
          await store.scheduleProbe(lease.destination, new Date());
        }
        logger.info(
          `Email ${message.id} not sent: its recipient unsubscribed from ${grant.caller}'s list ${grant.list}`,
        );
        return;
      }
      // A fresh link for each attempt, so it is valid for the whole lifetime from this send.
      const listUnsubscribeUrl = grant && (await unsubscribeTokens.link(grant));
      await lease.provider.send(
        toOutgoingMessage(request, message.messageId, listUnsubscribeUrl),
      );
      if (message.probe || this.unreachable === lease.destination) {
        this.drain(lease.destination);
      }
      await this.sentRecords[lease.type].add(message.id);
      return;
    } catch (error) {
      if (this.handingBack) {
        // Ended by the shutdown, not by the provider: handed back untried.
        return;
      }
      const failure = toFailure(error);
      const unreached = failure.transient && UNREACHED_CODES.has(failure.code);
      const { destination } = lease;
      const probeAfter = () => new Date(Date.now() + options.probeIntervalMs);
      if (message.probe) {
        await store.scheduleProbe(destination, probeAfter());
        if (unreached) {
          await store.markFailedAttempt(message.id, this.workerId, {
            provider: lease.type,
            failure,
            waitingOn: destination,
            uncounted: true,
          });
          logger.debug(
            `Email ${message.id} probed ${destination}, still unreachable (${failure.code})`,
          );
          return;
        }
      }
      const retryable =
        failure.transient && message.attempts < options.maxAttempts;
      let nextAttemptAt: Date | undefined;
      if (retryable) {
        const retryAfterMs =
          failure.retryAfterMs === undefined
            ? undefined
            : Math.min(failure.retryAfterMs, options.maxRetryAfterMs);
        const delayMs = retryAfterMs ?? this.backoff(message.attempts);
        nextAttemptAt = new Date(Date.now() + delayMs);
        if (retryAfterMs !== undefined) {
          await store.pauseUntil(destination, nextAttemptAt);
        }
      }
      const waitingOn = nextAttemptAt && unreached ? destination : undefined;
      await store.markFailedAttempt(message.id, this.workerId, {
        provider: lease.type,
        failure,
        nextAttemptAt,
        waitingOn,
      });
      if (waitingOn) {
        await store.markUnreachable(waitingOn, probeAfter());
      }
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

  private sentBatcher(provider: ActiveProvider['provider']) {
    return new Batcher<string>({
      flush: ids => this.writeSent(ids, provider),
      delayMs: SENT_BATCH_MS,
      maxItems: () => Math.max(1, Math.floor(this.maxInFlight / 4)),
    });
  }

  /**
   * Records a batch as sent. While the database is away the batch is kept, to be written before
   * the next claim: a message that went out must not go out again when its claim lapses.
   */
  private async writeSent(ids: string[], provider: ActiveProvider['provider']) {
    try {
      await this.deps.store.markAllSent(ids, this.workerId, provider);
    } catch (error) {
      this.deps.logger.warn(
        `Could not record ${ids.length} sent email message(s) yet; they are recorded once the database answers`,
        error as Error,
      );
      this.unrecorded.push({ ids, provider });
    }
  }

  /** Writes the kept sent records, one statement per provider. */
  private async writeUnrecorded() {
    while (this.unrecorded.length > 0) {
      const { provider } = this.unrecorded[0];
      const batches = this.unrecorded.filter(b => b.provider === provider);
      await this.deps.store.markAllSent(
        batches.flatMap(b => b.ids),
        this.workerId,
        provider,
      );
      this.unrecorded = this.unrecorded.filter(b => !batches.includes(b));
    }
  }

  /**
   * The destination took a message while others waited for it: they are made due now, once per
   * recovery however many sends get through together.
   */
  private drain(destination: string) {
    this.unreachable = undefined;
    if (this.draining) {
      return;
    }
    this.draining = this.deps.store
      .drain(destination)
      .then(count => {
        if (count > 0) {
          this.deps.logger.info(
            `${destination} takes messages again: ${count} waiting email message(s) are due now`,
          );
          this.wakeSoon();
        }
      })
      .catch(error =>
        this.deps.logger.warn(
          `Could not make the messages waiting for ${destination} due; they keep their own retry times`,
          error,
        ),
      )
      .finally(() => {
        this.draining = undefined;
      });
  }

  /** Exponential backoff with full jitter between half and all of the step. */
  private backoff(attempt: number): number {
    const { retryDelayMs, maxRetryDelayMs } = this.deps.options;
    const step = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + (Math.random() * step) / 2);
  }
}

/** Waits for `work` until `deadline` (epoch ms); whether it settled by then. */
async function settledBy(
  work: Promise<unknown> | undefined,
  deadline: number,
): Promise<boolean> {
  if (!work) {
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>(resolve => {
    timer = setTimeout(() => resolve(false), deadline - Date.now());
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Who a message goes to, and as whom: the provider, its server or tenant, and the sender
 * mailbox. A Retry-After pause and an outage hold only messages for the same destination, so
 * neither outlives a switch to another mailbox or provider.
 */
function destinationOf(active: ActiveProvider): string {
  const destination =
    active.provider === 'smtp'
      ? `smtp ${active.smtp.host}:${active.smtp.port} ${active.smtp.from}`
      : `microsoft365 ${active.microsoft365.tenantId} ${active.microsoft365.from}`;
  return destination.toLocaleLowerCase('en-US');
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
