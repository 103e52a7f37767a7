import { NotFoundError, ConflictError } from '@backstage/errors';
import type {
  DeliveryRecord,
  DeliverySummary,
  EmailFailure,
  MessageStatus,
} from '@email-provider/backstage-plugin-email-provider-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

/** The outbox table; the delivery log reads it too (see `DeliveryLog`). */
export const MESSAGES = 'email_provider_messages';
const PACING = 'email_provider_delivery_pacing';
export const RECIPIENTS = 'email_provider_message_recipients';
// Knex writes a multi-row insert on SQLite as one compound SELECT, which takes at most 500 rows.
const RECIPIENT_ROWS_PER_INSERT = 500;
export const HOURS = 'email_provider_delivery_hours';
/** Where a message stays: kept as metadata until the retention purges it. */
const FINISHED: MessageStatus[] = ['sent', 'failed', 'suppressed'];
export const HOUR_MS = 3600_000;

/** A row of the outbox table, as both databases return it. */
export type MessageRow = {
  id: string;
  caller: string;
  idempotency_key: string | null;
  category: string | null;
  subject: string;
  recipients_count: number;
  size_bytes: number | string;
  message_id: string;
  status: MessageStatus;
  payload: string | null;
  attempts: number;
  next_attempt_at: Date | number | string;
  expires_at: Date | number | string;
  last_attempt_at: Date | number | string | null;
  claimed_by: string | null;
  claimed_until: Date | number | string | null;
  provider: string | null;
  last_error_code: string | null;
  last_error_message: string | null;
  /** JSON of the last error's params. */
  last_error_params: string | null;
  last_provider_reply: string | null;
  waiting_on: string | null;
  created_at: Date | number | string;
  updated_at: Date | number | string;
  sent_at: Date | number | string | null;
};

/** What a caller's message becomes in the outbox. */
export type NewMessage = {
  caller: string;
  idempotencyKey?: string;
  category?: string;
  subject: string;
  recipientsCount: number;
  sizeBytes: number;
  messageId: string;
  /** The request as JSON, attachments included. */
  payload: string;
  /**
   * Its one recipient unsubscribed from its list: stored as `suppressed`, without its payload,
   * and never sent.
   */
  suppressed?: boolean;
  /** The keyed hashes of its distinct recipients' addresses, for the log's search. */
  recipientHashes: string[];
  /** How long it may wait, for a provider or for retries, before it is given up. */
  expiresAfterMs: number;
};

/** A message a worker claimed: its content and how many attempts it has had, this one included. */
export type ClaimedMessage = {
  id: string;
  /** The plugin that sent it. */
  caller: string;
  messageId: string;
  payload: string;
  attempts: number;
  sizeBytes: number;
  /**
   * Tried before it is due, because it waits for an unreachable destination: to notice early
   * that the destination is back. Failing to reach it again costs the message no attempt.
   */
  probe?: boolean;
};

/** Limits on the whole portal, all replicas together. */
export type ClaimLimits = {
  maxInFlight: number;
  perMinute?: number;
};

export type ClaimResult = {
  messages: ClaimedMessage[];
  /**
   * When nothing could be claimed because of a limit, a pause or an outage: how long until it
   * lifts, or until the next probe.
   */
  waitMs?: number;
  /** Messages wait for the destination, which could not be reached (see `drain`). */
  unreachable: boolean;
};

/** How delivery is going, for the admins' alerts (see `deliveryHealth`). */
export type DeliveryHealth = {
  /** Messages that failed for good (a permanent failure, given up, or expired) in the window. */
  failedCount: number;
  /** The latest failed attempt in the window or of a message still waiting, as classified. */
  lastFailure?: { code: string; message: string };
  /** Messages still to go out, queued or being sent. */
  waitingCount: number;
  /** When the one of them that has waited longest was queued, or re-queued by a retry. */
  waitingSince?: Date;
};

export function toDate(value: Date | number | string): Date {
  // PostgreSQL returns Dates, SQLite the milliseconds knex wrote.
  return value instanceof Date ? value : new Date(Number(value) || value);
}

function iso(value: Date | number | string | null): string | undefined {
  return value === null ? undefined : toDate(value).toISOString();
}

/**
 * The params stored with the last error. A row from before they were stored has none, and the
 * page then shows the error's message as it is.
 */
function readParams(json: string | null): Pick<EmailFailure, 'params'> {
  return json ? { params: JSON.parse(json) } : {};
}

export function toRecord(row: MessageRow): DeliveryRecord {
  return {
    id: row.id,
    status: row.status,
    caller: row.caller,
    ...(row.category ? { category: row.category } : {}),
    subject: row.subject,
    recipientsCount: row.recipients_count,
    sizeBytes: Number(row.size_bytes),
    messageId: row.message_id,
    attempts: row.attempts,
    ...(row.provider
      ? { provider: row.provider as DeliveryRecord['provider'] }
      : {}),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    ...(row.status === 'queued'
      ? { nextAttemptAt: iso(row.next_attempt_at) }
      : {}),
    ...(row.sent_at ? { sentAt: iso(row.sent_at) } : {}),
    ...(row.last_error_code
      ? {
          lastError: {
            code: row.last_error_code,
            message: row.last_error_message ?? '',
            ...readParams(row.last_error_params),
            ...(row.last_provider_reply
              ? { providerReply: row.last_provider_reply }
              : {}),
          },
        }
      : {}),
  };
}

export const RECORD_COLUMNS: Array<keyof MessageRow> = [
  'id',
  'caller',
  'category',
  'subject',
  'recipients_count',
  'size_bytes',
  'message_id',
  'status',
  'attempts',
  'next_attempt_at',
  'provider',
  'last_error_code',
  'last_error_message',
  'last_error_params',
  'last_provider_reply',
  'created_at',
  'updated_at',
  'sent_at',
];

/**
 * Owns every query on the outbox. Claims are atomic and serialized through the pacing row, so
 * several replicas on one PostgreSQL never send a message twice at once, and the provider's
 * limits (messages in flight, messages a minute, a Retry-After pause) hold for the whole portal.
 *
 * A destination is the provider, its server or tenant, and the sender mailbox, as one string
 * (see `OutboxWorker`): a Retry-After pause and an outage concern one destination, and claims
 * for another are not held by them.
 */
export class DatabaseOutboxStore {
  constructor(private readonly db: Knex) {}

  private get isPostgres(): boolean {
    return this.db.client.config.client === 'pg';
  }

  /**
   * Stores new messages in one statement. A message whose caller already stored one under the
   * same idempotency key is not stored again; the first one is returned in its place.
   */
  async enqueueAll(
    messages: NewMessage[],
    now = new Date(),
  ): Promise<Array<{ id: string; status: MessageStatus; created: boolean }>> {
    const rows = messages.map(message => ({
      id: randomUUID(),
      caller: message.caller,
      idempotency_key: message.idempotencyKey ?? null,
      category: message.category ?? null,
      subject: message.subject,
      recipients_count: message.recipientsCount,
      size_bytes: message.sizeBytes,
      message_id: message.messageId,
      status: (message.suppressed ? 'suppressed' : 'queued') as MessageStatus,
      payload: message.suppressed ? null : message.payload,
      attempts: 0,
      next_attempt_at: now,
      expires_at: new Date(now.getTime() + message.expiresAfterMs),
      created_at: now,
      updated_at: now,
    }));
    const stored = new Map<string, { id: string; status: MessageStatus }>();
    await this.db.transaction(async trx => {
      await trx(MESSAGES)
        .insert(rows)
        .onConflict(['caller', 'idempotency_key'])
        .ignore();
      const keyed = rows.filter(row => row.idempotency_key !== null);
      if (keyed.length > 0) {
        const found = await trx<MessageRow>(MESSAGES)
          .select('id', 'status', 'caller', 'idempotency_key')
          .whereIn(
            ['caller', 'idempotency_key'],
            keyed.map(row => [row.caller, row.idempotency_key!]),
          );
        for (const row of found) {
          stored.set(JSON.stringify([row.caller, row.idempotency_key]), row);
        }
      }
      const recipients = rows.flatMap((row, index) =>
        row.idempotency_key === null ||
        stored.get(JSON.stringify([row.caller, row.idempotency_key]))?.id ===
          row.id
          ? messages[index].recipientHashes.map(hash => ({
              message_id: row.id,
              recipient_hash: hash,
              created_at: now,
            }))
          : [],
      );
      if (recipients.length > 0) {
        // In chunks: SQLite takes at most 500 rows in one insert.
        await this.db
          .batchInsert(RECIPIENTS, recipients, RECIPIENT_ROWS_PER_INSERT)
          .transacting(trx);
      }
    });
    return rows.map(row => {
      if (row.idempotency_key === null) {
        return { id: row.id, status: row.status, created: true };
      }
      const first = stored.get(
        JSON.stringify([row.caller, row.idempotency_key]),
      );
      if (!first) {
        // Stored under the key an instant ago and purged since: too rare to do more than say so.
        throw new ConflictError(
          `The message with idempotency key ${row.idempotency_key} changed while it was stored; send it again`,
        );
      }
      return {
        id: first.id,
        status: first.status,
        created: first.id === row.id,
      };
    });
  }

  async claim(options: {
    workerId: string;
    max: number;
    /** Stop adding messages once their sizes add up to this; the first one is always taken. */
    maxBytes?: number;
    leaseMs: number;
    limits: ClaimLimits;
    /** Where the messages would go now. */
    destination: string;
    now?: Date;
  }): Promise<ClaimResult> {
    const { workerId, leaseMs, limits, destination } = options;
    const now = options.now ?? new Date();
    return this.db.transaction(async tx => {
      const pacing = await tx(PACING).where('id', 1).forUpdate().first();
      const unreachable = pacing?.unreachable === destination;
      if (
        pacing?.paused_for === destination &&
        pacing.paused_until &&
        toDate(pacing.paused_until) > now
      ) {
        return {
          messages: [],
          waitMs: toDate(pacing.paused_until).getTime() - now.getTime(),
          unreachable,
        };
      }

      const [{ inFlight }] = await tx(MESSAGES)
        .where('status', 'sending')
        .andWhere('claimed_until', '>', now)
        .count({ inFlight: '*' });
      let slots = Math.min(options.max, limits.maxInFlight - Number(inFlight));
      let waitMs: number | undefined;
      if (limits.perMinute !== undefined) {
        const windowStart = new Date(now.getTime() - 60_000);
        const [{ recent, oldest }] = await tx(MESSAGES)
          .where('last_attempt_at', '>', windowStart)
          .count({ recent: '*' })
          .min({ oldest: 'last_attempt_at' });
        const left = limits.perMinute - Number(recent);
        if (left <= 0 && oldest !== null) {
          waitMs = toDate(oldest).getTime() + 60_000 - now.getTime();
        }
        slots = Math.min(slots, left);
      }
      if (slots <= 0) {
        return { messages: [], waitMs, unreachable };
      }

      // Sizes first, payloads only for the messages that fit: a claim never reads more content
      // than the instance may hold.
      let due = tx<MessageRow>(MESSAGES)
        .select('id', 'size_bytes')
        .where(q =>
          q
            .where(w =>
              w
                .where('status', 'queued')
                .andWhere('next_attempt_at', '<=', now),
            )
            .orWhere(w =>
              w.where('status', 'sending').andWhere('claimed_until', '<=', now),
            ),
        )
        .orderBy('next_attempt_at')
        .limit(slots);
      if (this.isPostgres) {
        due = due.forUpdate().skipLocked();
      }
      let bytes = 0;
      const chosen = (await due).filter((row, index) => {
        bytes += Number(row.size_bytes);
        return (
          index === 0 ||
          options.maxBytes === undefined ||
          bytes <= options.maxBytes
        );
      });
      let probe: string | undefined;
      if (chosen.length === 0 && unreachable) {
        const probeAfter = pacing.probe_after && toDate(pacing.probe_after);
        if (probeAfter && probeAfter > now) {
          return {
            messages: [],
            waitMs: probeAfter.getTime() - now.getTime(),
            unreachable,
          };
        }
        // One message at a time, portal-wide: the next probe waits for this one's outcome (see
        // `scheduleProbe`), or for its claim to lapse.
        let waiting = tx<MessageRow>(MESSAGES)
          .select('id', 'size_bytes')
          .where({ status: 'queued', waiting_on: destination })
          .orderBy('next_attempt_at')
          .first();
        if (this.isPostgres) {
          waiting = waiting.forUpdate().skipLocked();
        }
        const found = await waiting;
        await tx(PACING)
          .where('id', 1)
          .update(
            found
              ? { probe_after: new Date(now.getTime() + leaseMs) }
              : { unreachable: null, probe_after: null },
          );
        if (found) {
          probe = found.id;
          chosen.push(found);
        }
      }
      if (chosen.length === 0) {
        return { messages: [], unreachable: false };
      }
      const claimed: MessageRow[] = await tx(MESSAGES)
        .whereIn(
          'id',
          chosen.map(r => r.id),
        )
        .update({
          status: 'sending',
          claimed_by: workerId,
          claimed_until: new Date(now.getTime() + leaseMs),
          attempts: tx.raw('attempts + 1'),
          last_attempt_at: now,
          updated_at: now,
        })
        .returning([
          'id',
          'caller',
          'message_id',
          'payload',
          'attempts',
          'size_bytes',
        ]);
      return {
        messages: claimed.map(r => ({
          id: r.id,
          caller: r.caller,
          messageId: r.message_id,
          payload: r.payload ?? '{}',
          attempts: r.attempts,
          sizeBytes: Number(r.size_bytes),
          ...(r.id === probe ? { probe: true } : {}),
        })),
        unreachable,
      };
    });
  }

  /**
   * The provider took these messages: their content is deleted, their metadata kept. Returns
   * how many were still claimed by the worker.
   */
  async markAllSent(
    ids: string[],
    workerId: string,
    provider: string,
    now = new Date(),
  ): Promise<number> {
    return this.db(MESSAGES)
      .whereIn('id', ids)
      .andWhere({ claimed_by: workerId, status: 'sending' })
      .update({
        status: 'sent',
        payload: null,
        provider,
        claimed_by: null,
        claimed_until: null,
        sent_at: now,
        updated_at: now,
        last_error_code: null,
        last_error_message: null,
        last_error_params: null,
        last_provider_reply: null,
        waiting_on: null,
      });
  }

  /**
   * Its recipient unsubscribed while it waited: it is not sent, its content is deleted, and the
   * attempt it was claimed for does not count (nor, if it had no other, for the pacing).
   */
  async markSuppressed(
    id: string,
    workerId: string,
    now = new Date(),
  ): Promise<boolean> {
    const updated = await this.db(MESSAGES)
      .where({ id, claimed_by: workerId, status: 'sending' })
      .update({
        status: 'suppressed',
        payload: null,
        attempts: this.db.raw('attempts - 1'),
        last_attempt_at: this.db.raw(
          'case when attempts = 1 then null else last_attempt_at end',
        ),
        claimed_by: null,
        claimed_until: null,
        waiting_on: null,
        updated_at: now,
        last_error_code: null,
        last_error_message: null,
        last_error_params: null,
        last_provider_reply: null,
      });
    return updated === 1;
  }

  /**
   * The attempt failed: try again at `nextAttemptAt`, or give up with the reason. A probe that
   * did not reach its destination (`uncounted`) leaves the message as it was before the claim,
   * its attempts and its next attempt unchanged, with this failure recorded.
   */
  async markFailedAttempt(
    id: string,
    workerId: string,
    outcome: {
      provider?: string;
      failure: EmailFailure;
      /** Unset to give up for good. */
      nextAttemptAt?: Date;
      /** The destination the attempt could not reach: the message waits for it (see `drain`). */
      waitingOn?: string;
      uncounted?: boolean;
    },
    now = new Date(),
  ): Promise<boolean> {
    const updated = await this.db(MESSAGES)
      .where({ id, claimed_by: workerId, status: 'sending' })
      .update({
        ...(outcome.uncounted
          ? { status: 'queued', attempts: this.db.raw('attempts - 1') }
          : {
              status: outcome.nextAttemptAt ? 'queued' : 'failed',
              next_attempt_at: outcome.nextAttemptAt ?? now,
            }),
        waiting_on: outcome.waitingOn ?? null,
        last_failed_at: now,
        provider: outcome.provider ?? null,
        claimed_by: null,
        claimed_until: null,
        updated_at: now,
        last_error_code: outcome.failure.code,
        last_error_message: outcome.failure.message,
        last_error_params: outcome.failure.params
          ? JSON.stringify(outcome.failure.params)
          : null,
        last_provider_reply: outcome.failure.providerReply ?? null,
      });
    return updated === 1;
  }

  /**
   * Hands back every message the worker holds, except those listed, as if their attempts had not
   * started: queued, due, and free for any worker at once. Returns how many.
   */
  async release(
    workerId: string,
    except: string[] = [],
    now = new Date(),
  ): Promise<number> {
    return this.db(MESSAGES)
      .where({ claimed_by: workerId, status: 'sending' })
      .whereNotIn('id', except)
      .update({
        status: 'queued',
        attempts: this.db.raw('attempts - 1'),
        claimed_by: null,
        claimed_until: null,
        updated_at: now,
      });
  }

  /**
   * The provider asked to slow down: no claims for the destination until then, on any replica.
   * One pause is kept, the latest for the destination, since one provider is active at a time.
   */
  async pauseUntil(destination: string, until: Date): Promise<void> {
    await this.db(PACING)
      .where('id', 1)
      .andWhere(q =>
        q
          .whereNull('paused_for')
          .orWhereNot('paused_for', destination)
          .orWhereNull('paused_until')
          .orWhere('paused_until', '<', until),
      )
      .update({ paused_for: destination, paused_until: until });
  }

  /**
   * An attempt could not reach `destination`, and its message waits for it: from `probeAfter`
   * on, claims try one waiting message early, now and then, until the destination answers
   * (`drain`). Left as it is when the destination is already marked.
   */
  async markUnreachable(destination: string, probeAfter: Date): Promise<void> {
    await this.db(PACING)
      .where('id', 1)
      .andWhere(q =>
        q.whereNull('unreachable').orWhereNot('unreachable', destination),
      )
      .update({ unreachable: destination, probe_after: probeAfter });
  }

  /** A probe ended without reaching the destination: the next may start at `at`. */
  async scheduleProbe(destination: string, at: Date): Promise<void> {
    await this.db(PACING)
      .where({ id: 1, unreachable: destination })
      .update({ probe_after: at });
  }

  /**
   * `destination` took a message again: the messages waiting for it become due at once, for any
   * replica, and claims stop probing it. Returns how many were waiting.
   */
  async drain(destination: string, now = new Date()): Promise<number> {
    await this.db(PACING)
      .where({ id: 1, unreachable: destination })
      .update({ unreachable: null, probe_after: null });
    return this.db(MESSAGES)
      .where({ status: 'queued', waiting_on: destination })
      .update({ next_attempt_at: now, waiting_on: null, updated_at: now });
  }

  /** Gives up on messages that waited too long, for a provider or for retries. */
  async expire(now = new Date()): Promise<number> {
    return this.db(MESSAGES)
      .where('status', 'queued')
      .andWhere('expires_at', '<', now)
      .update({
        status: 'failed',
        updated_at: now,
        last_failed_at: now,
        last_error_code: 'expired',
        last_error_message:
          'Not sent in time: no email provider was active, or every attempt failed. Check the provider and retry the message.',
        last_error_params: null,
      });
  }

  /**
   * Deletes finished messages older than the retention period, with their recipients, and the
   * chart's counts of the hours they may have been in.
   */
  async purge(updatedBefore: Date): Promise<number> {
    const expired = (query: Knex.QueryBuilder) =>
      query
        .whereIn('status', FINISHED)
        .andWhere('updated_at', '<', updatedBefore);
    return this.db.transaction(async trx => {
      await trx(RECIPIENTS)
        .whereIn('message_id', expired(trx(MESSAGES).select('id')))
        .delete();
      await trx(HOURS)
        .where('hour', '<', Math.ceil(updatedBefore.getTime() / HOUR_MS))
        .delete();
      const deleted: number = await expired(trx(MESSAGES)).delete();
      return deleted;
    });
  }

  async get(id: string): Promise<DeliveryRecord> {
    const row: MessageRow | undefined = await this.db<MessageRow>(MESSAGES)
      .select(...RECORD_COLUMNS)
      .where('id', id)
      .first();
    if (!row) {
      throw new NotFoundError(`No message with id ${id}`);
    }
    return toRecord(row);
  }

  /** Queues a failed message again, with a fresh set of attempts and time. */
  async retry(
    id: string,
    expiresAfterMs: number,
    now = new Date(),
  ): Promise<DeliveryRecord> {
    const updated = await this.db(MESSAGES)
      .where({ id, status: 'failed' })
      .whereNotNull('payload')
      .update({
        status: 'queued',
        attempts: 0,
        next_attempt_at: now,
        expires_at: new Date(now.getTime() + expiresAfterMs),
        updated_at: now,
      });
    if (updated !== 1) {
      const current = await this.get(id);
      throw new ConflictError(
        `Message ${id} is ${current.status}; only a failed message can be retried`,
      );
    }
    const record = await this.get(id);
    // Its hour is no longer settled: the chart counts it live again.
    await this.db(HOURS)
      .where('hour', Math.floor(Date.parse(record.createdAt) / HOUR_MS))
      .delete();
    return record;
  }

  /**
   * Failures since `failedSince` and the longest wait, for the alert that delivery is failing.
   * Enqueuing and retrying both set a message's expiry `expiresAfterMs` ahead, so the earliest
   * expiry tells when the message waiting longest was queued, a retried one counting from its
   * retry (its creation would count a wait that was an admin's decision).
   */
  async deliveryHealth(options: {
    failedSince: Date;
    expiresAfterMs: number;
  }): Promise<DeliveryHealth> {
    const { failedSince, expiresAfterMs } = options;
    const [{ failed }] = await this.db(MESSAGES)
      .where('status', 'failed')
      .andWhere('last_failed_at', '>=', failedSince)
      .count({ failed: '*' });
    const last:
      | Pick<MessageRow, 'last_error_code' | 'last_error_message'>
      | undefined = await this.db<MessageRow>(MESSAGES)
      .select('last_error_code', 'last_error_message')
      .whereNotNull('last_error_code')
      .andWhere(q =>
        q
          .where('last_failed_at', '>=', failedSince)
          .orWhereIn('status', ['queued', 'sending']),
      )
      .orderBy('last_failed_at', 'desc')
      .first();
    const [{ waiting, earliestExpiry }] = await this.db(MESSAGES)
      .whereIn('status', ['queued', 'sending'])
      .count({ waiting: '*' })
      .min({ earliestExpiry: 'expires_at' });
    return {
      failedCount: Number(failed),
      ...(last?.last_error_code
        ? {
            lastFailure: {
              code: last.last_error_code,
              message: last.last_error_message ?? '',
            },
          }
        : {}),
      waitingCount: Number(waiting),
      ...(earliestExpiry === null || earliestExpiry === undefined
        ? {}
        : {
            waitingSince: new Date(
              toDate(earliestExpiry).getTime() - expiresAfterMs,
            ),
          }),
    };
  }

  async summary(now = new Date()): Promise<DeliverySummary> {
    // The latest success among the messages attempted last, which the index on attempts finds
    // at once; a maximum over every sent message reads them all. A message sent later than
    // a hundred others that started after it would need an attempt minutes long.
    const [lastSent]: Array<{ at: Date | number | string | null }> =
      await this.db
        .max({ at: 'sent_at' })
        .from(
          this.db(MESSAGES)
            .select('sent_at')
            .where('status', 'sent')
            .whereNotNull('last_attempt_at')
            .orderBy('last_attempt_at', 'desc')
            .limit(100)
            .as('latest'),
        );
    const [lastFailed] = await this.db(MESSAGES).max({ at: 'last_failed_at' });
    const [{ waiting }] = await this.db(MESSAGES)
      .whereIn('status', ['queued', 'sending'])
      .count({ waiting: '*' });
    // Messages that failed an attempt in the last day, whether they later went out or not.
    const [{ failed }] = await this.db(MESSAGES)
      .where('last_failed_at', '>=', new Date(now.getTime() - 24 * 3600_000))
      .count({ failed: '*' });
    return {
      ...(lastSent?.at ? { lastSuccessAt: iso(lastSent.at) } : {}),
      ...(lastFailed?.at ? { lastFailureAt: iso(lastFailed.at) } : {}),
      waiting: Number(waiting),
      failedLast24Hours: Number(failed),
    };
  }
}
