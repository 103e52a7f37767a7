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
  /**
   * More messages may be due than were claimed, for want of room (slots or bytes, this
   * worker's or the portal's): worth another claim once there is.
   */
  more?: boolean;
};

export type ClaimOptions = {
  workerId: string;
  max: number;
  /** Stop adding messages once their sizes add up to this; the first one is always taken. */
  maxBytes?: number;
  leaseMs: number;
  limits: ClaimLimits;
  /** Where the messages would go now. */
  destination: string;
  now?: Date;
};

type ClaimedRow = Pick<
  MessageRow,
  'id' | 'caller' | 'message_id' | 'payload' | 'attempts' | 'size_bytes'
>;

/** What the limits left room for, and what was claimed in it. */
type DueClaim = {
  /** How many messages the limits let this claim take; none when 0 or less. */
  slots: number;
  /** With no room under the per-minute limit: how long until there is. */
  waitMs?: number;
  /** How many due messages fitted in the slots, claimed or left for their size. */
  dueCount: number;
  claimed: ClaimedRow[];
};

function toClaimed(row: ClaimedRow): ClaimedMessage {
  return {
    id: row.id,
    caller: row.caller,
    messageId: row.message_id,
    payload: row.payload ?? '{}',
    attempts: row.attempts,
    sizeBytes: Number(row.size_bytes),
  };
}

/** A limit as PostgreSQL's integer takes it: an unlimited one as the largest. */
function asInteger(limit: number): number {
  return Math.min(limit, 2_147_483_647);
}

/** How long until the oldest attempt of the last minute leaves it, when none is left. */
function perMinuteWait(
  perMinute: number | undefined,
  recent: number,
  oldest: Date | number | string | null | undefined,
  now: Date,
): number | undefined {
  if (
    perMinute === undefined ||
    perMinute - recent > 0 ||
    oldest === null ||
    oldest === undefined
  ) {
    return undefined;
  }
  return toDate(oldest).getTime() + 60_000 - now.getTime();
}

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
   * Stores new messages, with their recipients, in one statement on PostgreSQL (a lone message
   * pays one round trip, not a transaction's four) and in one transaction on SQLite. A message
   * whose caller already stored one under the same idempotency key is not stored again; the
   * first one is returned in its place.
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
    const recipients = rows.flatMap((row, index) =>
      messages[index].recipientHashes.map(hash => ({
        message_id: row.id,
        recipient_hash: hash,
      })),
    );
    const created = this.isPostgres
      ? await this.insertInOneStatement(rows, recipients, now)
      : await this.insertInTransaction(rows, recipients, now);
    // The messages stored before under their keys, looked up after the insert waited for any
    // concurrent one with the same key to commit.
    const duplicates = rows.filter(row => !created.has(row.id));
    const first = new Map<string, { id: string; status: MessageStatus }>();
    if (duplicates.length > 0) {
      const found = await this.db<MessageRow>(MESSAGES)
        .select('id', 'status', 'caller', 'idempotency_key')
        .whereIn(
          ['caller', 'idempotency_key'],
          duplicates.map(row => [row.caller, row.idempotency_key!]),
        );
      for (const row of found) {
        first.set(JSON.stringify([row.caller, row.idempotency_key]), row);
      }
    }
    return rows.map(row => {
      if (created.has(row.id)) {
        return { id: row.id, status: row.status, created: true };
      }
      const stored = first.get(
        JSON.stringify([row.caller, row.idempotency_key]),
      );
      if (!stored) {
        // Stored under the key an instant ago and purged since: too rare to do more than say so.
        throw new ConflictError(
          `The message with idempotency key ${row.idempotency_key} changed while it was stored; send it again`,
        );
      }
      return { id: stored.id, status: stored.status, created: false };
    });
  }

  /**
   * PostgreSQL: the messages and the recipients of those that were new, in one statement, so
   * atomic without a transaction. The recipients go as one JSON parameter, however many.
   * Returns the ids of the messages stored.
   */
  private async insertInOneStatement(
    rows: Array<{ id: string }>,
    recipients: Array<{ message_id: string; recipient_hash: string }>,
    now: Date,
  ): Promise<Set<string>> {
    let statement = this.db.with(
      'inserted',
      this.db(MESSAGES)
        .insert(rows)
        .onConflict(['caller', 'idempotency_key'])
        .ignore()
        .returning('id'),
    );
    if (recipients.length > 0) {
      statement = statement.with(
        'recipients',
        this.db.raw(
          `insert into ?? (message_id, recipient_hash, created_at)
           select r.message_id, r.recipient_hash, ?
           from jsonb_to_recordset(?::jsonb) as r(message_id varchar(36), recipient_hash varchar(64))
           where r.message_id in (select id from inserted)`,
          [RECIPIENTS, now, JSON.stringify(recipients)],
        ),
      );
    }
    const inserted: Array<{ id: string }> = await statement
      .select('id')
      .from('inserted');
    return new Set(inserted.map(row => row.id));
  }

  /** SQLite: the messages, then the recipients of those that were new, in one transaction. */
  private async insertInTransaction(
    rows: Array<{
      id: string;
      caller: string;
      idempotency_key: string | null;
    }>,
    recipients: Array<{ message_id: string; recipient_hash: string }>,
    now: Date,
  ): Promise<Set<string>> {
    return this.db.transaction(async trx => {
      await trx(MESSAGES)
        .insert(rows)
        .onConflict(['caller', 'idempotency_key'])
        .ignore();
      const created = new Set(
        rows.filter(row => row.idempotency_key === null).map(row => row.id),
      );
      const keyed = rows.filter(row => row.idempotency_key !== null);
      if (keyed.length > 0) {
        const found: Array<{ id: string }> = await trx<MessageRow>(MESSAGES)
          .select('id')
          .whereIn(
            'id',
            keyed.map(row => row.id),
          );
        found.forEach(row => created.add(row.id));
      }
      const newRecipients = recipients
        .filter(recipient => created.has(recipient.message_id))
        .map(recipient => ({ ...recipient, created_at: now }));
      if (newRecipients.length > 0) {
        // In chunks: SQLite takes at most 500 rows in one insert.
        await this.db
          .batchInsert(RECIPIENTS, newRecipients, RECIPIENT_ROWS_PER_INSERT)
          .transacting(trx);
      }
      return created;
    });
  }

  /**
   * Claims due messages for a worker, within the portal's limits, in one transaction serialized
   * through the pacing row: on PostgreSQL four round trips (BEGIN, the pacing row, one statement
   * that counts, picks and claims, COMMIT), on SQLite a statement per step.
   */
  async claim(options: ClaimOptions): Promise<ClaimResult> {
    const { leaseMs, destination } = options;
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

      // A statement after the pacing row's lock, so it sees every claim committed before.
      const due = this.isPostgres
        ? await this.claimDueInOneStatement(tx, options, now)
        : await this.claimDueStepByStep(tx, options, now);
      if (due.slots <= 0) {
        return { messages: [], waitMs: due.waitMs, unreachable, more: true };
      }
      const more =
        due.dueCount === due.slots || due.claimed.length < due.dueCount;
      if (due.dueCount > 0) {
        return { messages: due.claimed.map(toClaimed), unreachable, more };
      }
      if (!unreachable) {
        return { messages: [], unreachable: false };
      }
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
        .select('id')
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
      if (!found) {
        return { messages: [], unreachable: false };
      }
      const [probe] = await this.markClaimed(tx, [found.id], options, now);
      return {
        messages: [{ ...toClaimed(probe), probe: true }],
        unreachable,
      };
    });
  }

  /**
   * PostgreSQL: counts the messages in flight (and attempted in the last minute, with a
   * per-minute limit), picks the due messages there is room for, oldest first and within
   * `maxBytes` by their sizes alone, and claims them, in one statement: only the claimed ones'
   * payloads are read.
   */
  private async claimDueInOneStatement(
    tx: Knex.Transaction,
    options: ClaimOptions,
    now: Date,
  ): Promise<DueClaim> {
    const { workerId, max, maxBytes, leaseMs, limits } = options;
    const perMinute = limits.perMinute !== undefined;
    const [row, ...rest]: Array<
      Partial<ClaimedRow> & {
        slots: number;
        due_count: string | number;
        recent: string | number | null;
        oldest: Date | null;
      }
    > = (
      await tx.raw(
        `with in_flight as (
           select count(*) as n from ${MESSAGES}
           where status = 'sending' and claimed_until > ?
         ), recent as (
           ${
             perMinute
               ? `select count(*) as n, min(last_attempt_at) as oldest from ${MESSAGES} where last_attempt_at > ?`
               : 'select null::bigint as n, null::timestamptz as oldest'
           }
         ), room as (
           select least(?::integer, ?::integer - (select n from in_flight),
                        coalesce(?::integer - (select n from recent), ?::integer))::integer as slots
         ), due as materialized (
           select id, size_bytes, next_attempt_at from ${MESSAGES}
           where (status = 'queued' and next_attempt_at <= ?)
              or (status = 'sending' and claimed_until <= ?)
           order by next_attempt_at
           limit greatest(0, (select slots from room))
           for update skip locked
         ), chosen as (
           select id from (
             select id,
                    row_number() over (order by next_attempt_at, id) as position,
                    sum(size_bytes) over (order by next_attempt_at, id) as bytes
             from due
           ) as sized
           where position = 1 or ?::bigint is null or bytes <= ?::bigint
         ), claimed as (
           update ${MESSAGES}
           set status = 'sending', claimed_by = ?, claimed_until = ?,
               attempts = attempts + 1, last_attempt_at = ?, updated_at = ?
           where id in (select id from chosen)
           returning id, caller, message_id, payload, attempts, size_bytes
         )
         select room.slots, (select count(*) from due) as due_count,
                recent.n as recent, recent.oldest, claimed.*
         from room cross join recent left join claimed on true`,
        [
          now,
          ...(perMinute ? [new Date(now.getTime() - 60_000)] : []),
          asInteger(max),
          asInteger(limits.maxInFlight),
          limits.perMinute === undefined ? null : asInteger(limits.perMinute),
          asInteger(max),
          now,
          now,
          maxBytes ?? null,
          maxBytes ?? null,
          workerId,
          new Date(now.getTime() + leaseMs),
          now,
          now,
        ],
      )
    ).rows;
    const claimed = [row, ...rest].filter(
      (r): r is typeof r & ClaimedRow => r.id !== null && r.id !== undefined,
    );
    return {
      slots: row.slots,
      waitMs: perMinuteWait(
        limits.perMinute,
        Number(row.recent),
        row.oldest,
        now,
      ),
      dueCount: Number(row.due_count),
      claimed,
    };
  }

  /** SQLite, where one writer at a time holds the database: each step a statement. */
  private async claimDueStepByStep(
    tx: Knex.Transaction,
    options: ClaimOptions,
    now: Date,
  ): Promise<DueClaim> {
    const { limits } = options;
    const [{ inFlight }] = await tx(MESSAGES)
      .where('status', 'sending')
      .andWhere('claimed_until', '>', now)
      .count({ inFlight: '*' });
    let slots = Math.min(options.max, limits.maxInFlight - Number(inFlight));
    let waitMs: number | undefined;
    if (limits.perMinute !== undefined) {
      const [{ recent, oldest }] = await tx(MESSAGES)
        .where('last_attempt_at', '>', new Date(now.getTime() - 60_000))
        .count({ recent: '*' })
        .min({ oldest: 'last_attempt_at' });
      slots = Math.min(slots, limits.perMinute - Number(recent));
      waitMs = perMinuteWait(limits.perMinute, Number(recent), oldest, now);
    }
    if (slots <= 0) {
      return { slots, waitMs, dueCount: 0, claimed: [] };
    }
    // Sizes first, payloads only for the messages that fit: a claim never reads more content
    // than the instance may hold.
    const dueRows: Array<Pick<MessageRow, 'id' | 'size_bytes'>> =
      await tx<MessageRow>(MESSAGES)
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
    let bytes = 0;
    const chosen = dueRows.filter((row, index) => {
      bytes += Number(row.size_bytes);
      return (
        index === 0 ||
        options.maxBytes === undefined ||
        bytes <= options.maxBytes
      );
    });
    return {
      slots,
      waitMs,
      dueCount: dueRows.length,
      claimed:
        chosen.length === 0
          ? []
          : await this.markClaimed(
              tx,
              chosen.map(row => row.id),
              options,
              now,
            ),
    };
  }

  private async markClaimed(
    tx: Knex.Transaction,
    ids: string[],
    options: ClaimOptions,
    now: Date,
  ): Promise<ClaimedRow[]> {
    return tx(MESSAGES)
      .whereIn('id', ids)
      .update({
        status: 'sending',
        claimed_by: options.workerId,
        claimed_until: new Date(now.getTime() + options.leaseMs),
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
