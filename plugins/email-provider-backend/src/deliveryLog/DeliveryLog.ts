import { InputError } from '@backstage/errors';
import {
  DELIVERY_LOG_COUNT_LIMIT,
  DELIVERY_STATS_MAX_BUCKETS,
  DeliveryList,
  DeliveryRecord,
  DeliveryStats,
  DeliveryStatsBucket,
  MessageStatus,
} from '@email-provider/backstage-plugin-email-provider-common';
import { Knex } from 'knex';
import {
  HOUR_MS,
  HOURS,
  MESSAGES,
  MessageRow,
  RECIPIENTS,
  RECORD_COLUMNS,
  toRecord,
} from '../delivery/DatabaseOutboxStore';
import { RecipientHasher } from './RecipientHasher';

/** Which messages to read; every criterion given must match. */
export type DeliveryLogCriteria = {
  status?: MessageStatus;
  caller?: string;
  category?: string;
  /** An exact address (letter case aside), matched through its keyed hash. */
  recipient?: string;
  /** Words of the subject, as typed. */
  words?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
};

/** A page: after `cursor` (a `nextCursor`), or from `offset`. */
export type DeliveryLogPage = {
  limit: number;
  cursor?: string;
  offset?: number;
};

type Cursor = { createdAt: Date; id: string };

// A clock a little behind on another replica may still write into an hour that just ended.
const SETTLE_AFTER_MS = 2 * 60_000;
const DAY_HOURS = 24;
const EXPORT_BATCH = 1000;
// Knex writes a multi-row insert on SQLite as one compound SELECT, which takes at most 500 rows.
const SETTLED_ROWS_PER_INSERT = 500;
const MAX_SEARCH_WORDS = 10;

function encodeCursor(record: DeliveryRecord): string {
  return Buffer.from(
    `${Date.parse(record.createdAt)}.${record.id}`,
    'utf8',
  ).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  const match = /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match) {
    throw new InputError(
      'cursor is not a nextCursor the delivery log returned',
    );
  }
  return { createdAt: new Date(Number(match[1])), id: match[2] };
}

/** The letters-and-digits words of a search, so none can be read as query syntax. */
function searchWords(words: string): string[] {
  const found = words.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (found.length === 0) {
    throw new InputError('q must contain at least one letter or digit');
  }
  return found.slice(0, MAX_SEARCH_WORDS);
}

/**
 * A search as a PostgreSQL query of word prefixes: each word as typed, quoted so that nothing in
 * it is query syntax, for the parser to split as it splits the subject (`invoice.pdf` stays one
 * word, `2026-12` is two adjacent ones).
 */
function prefixQuery(words: string): string {
  return words
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, MAX_SEARCH_WORDS)
    .map(word => `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}':*`)
    .join(' & ');
}

const emptyBucket = (start: number): DeliveryStatsBucket => ({
  start: new Date(start).toISOString(),
  sent: 0,
  failed: 0,
  waiting: 0,
  failedByCode: {},
});

/**
 * Reads the delivery log for admins: pages of it by any combination of filters, all of it for
 * an export, and counts per hour or day for the chart. Everything here stays fast on a log of a
 * million messages: pages follow the index (newest first) by keyset instead of counting or
 * skipping rows, a count stops at {@link DELIVERY_LOG_COUNT_LIMIT}, and the chart reads hours
 * that are settled (nothing in them waits any more) from their stored counts.
 */
export class DeliveryLog {
  constructor(
    private readonly db: Knex,
    private readonly recipients: RecipientHasher,
  ) {}

  private get isPostgres(): boolean {
    return this.db.client.config.client === 'pg';
  }

  async list(
    criteria: DeliveryLogCriteria,
    page: DeliveryLogPage,
  ): Promise<DeliveryList> {
    const matching = this.matching(criteria);
    const countQuery = this.db.count({ total: '*' }).from(
      matching
        .clone()
        .select(this.db.raw('1'))
        .limit(DELIVERY_LOG_COUNT_LIMIT + 1)
        .as('matching'),
    );
    const total = (counted: unknown[]) =>
      Number(
        (counted[0] as { total?: number | string } | undefined)?.total ?? 0,
      );
    const pageOf = (query: Knex.QueryBuilder) => {
      const rowsQuery = this.newestFirst(query, page.limit + 1);
      if (page.cursor) {
        this.after(rowsQuery, decodeCursor(page.cursor));
      } else if (page.offset) {
        rowsQuery.offset(page.offset);
      }
      return rowsQuery;
    };

    let rows: MessageRow[];
    let totalCount: number;
    if (criteria.words && this.isPostgres) {
      // PostgreSQL walks the log newest first until enough rows pass a word filter, which reads
      // tens of thousands of rows for a rare word; when the count shows the matches are few,
      // they are read from the word index and sorted instead.
      totalCount = total(await countQuery);
      rows = await pageOf(
        totalCount <= DELIVERY_LOG_COUNT_LIMIT
          ? this.db
              .withMaterialized(
                'found',
                matching.clone().select(...RECORD_COLUMNS),
              )
              .from('found')
          : matching.clone(),
      );
    } else {
      const [found, counted] = await Promise.all([
        pageOf(matching.clone()),
        countQuery,
      ]);
      rows = found;
      totalCount = total(counted);
    }
    const items = rows.slice(0, page.limit).map(toRecord);
    return {
      items,
      totalCount: Math.min(totalCount, DELIVERY_LOG_COUNT_LIMIT),
      ...(totalCount > DELIVERY_LOG_COUNT_LIMIT
        ? { totalCountCapped: true as const }
        : {}),
      ...(rows.length > page.limit
        ? { nextCursor: encodeCursor(items[items.length - 1]) }
        : {}),
    };
  }

  /** Every matching message, newest first, a batch at a time, for an export. */
  async *records(
    criteria: DeliveryLogCriteria,
  ): AsyncGenerator<DeliveryRecord[]> {
    let cursor: Cursor | undefined;
    for (;;) {
      const query = this.newestFirst(this.matching(criteria), EXPORT_BATCH);
      if (cursor) {
        this.after(query, cursor);
      }
      const batch = ((await query) as MessageRow[]).map(toRecord);
      if (batch.length > 0) {
        yield batch;
      }
      if (batch.length < EXPORT_BATCH) {
        return;
      }
      const last = batch[batch.length - 1];
      cursor = { createdAt: new Date(last.createdAt), id: last.id };
    }
  }

  /**
   * Messages sent, failed and waiting per bucket of an hour or a day (24 hours from the whole
   * hour at or before `since`), by when they were created and where they are now, so that a
   * bucket lists the same messages as the log filtered to its hours (but for suppressed ones,
   * which are none of the three).
   */
  async stats(
    query: { bucket: 'hour' | 'day'; since?: Date; until?: Date },
    now = new Date(),
  ): Promise<DeliveryStats> {
    const bucketHours = query.bucket === 'hour' ? 1 : DAY_HOURS;
    const until = query.until ?? now;
    const currentHour = Math.floor(until.getTime() / HOUR_MS);
    const firstHour = query.since
      ? Math.floor(query.since.getTime() / HOUR_MS)
      : currentHour - (query.bucket === 'hour' ? 23 : 29 * DAY_HOURS);
    const endHour = Math.ceil(until.getTime() / HOUR_MS);
    if (endHour <= firstHour || (query.since && until <= query.since)) {
      throw new InputError('until must be after since');
    }
    const bucketCount = Math.ceil((endHour - firstHour) / bucketHours);
    const maxBuckets = DELIVERY_STATS_MAX_BUCKETS[query.bucket];
    if (bucketCount > maxBuckets) {
      throw new InputError(
        `since and until span ${bucketCount} buckets of a${
          query.bucket === 'hour' ? 'n hour' : ' day'
        }; at most ${maxBuckets} are answered at once`,
      );
    }

    const hours = await this.hourCounts(firstHour, endHour, now);
    const buckets = Array.from({ length: bucketCount }, (_, index) =>
      emptyBucket((firstHour + index * bucketHours) * HOUR_MS),
    );
    for (const [hour, counts] of hours) {
      const bucket = buckets[Math.floor((hour - firstHour) / bucketHours)];
      bucket.sent += counts.sent;
      bucket.failed += counts.failed;
      bucket.waiting += counts.waiting;
      for (const [code, count] of Object.entries(counts.failedByCode)) {
        bucket.failedByCode[code] = (bucket.failedByCode[code] ?? 0) + count;
      }
    }
    return { bucket: query.bucket, buckets };
  }

  /**
   * Stores the counts of the settled hours of the last `days` days not stored yet, a day at a
   * time, so that the chart's requests find them stored instead of counting a million rows
   * (a scheduled task calls this; a request would otherwise do it on its first call).
   */
  async settle(now = new Date(), days = 31): Promise<void> {
    const endHour = Math.floor(now.getTime() / HOUR_MS);
    for (
      let start = endHour - days * DAY_HOURS;
      start < endHour;
      start += DAY_HOURS
    ) {
      await this.hourCounts(start, Math.min(start + DAY_HOURS, endHour), now);
    }
  }

  /**
   * Counts per hour of `[firstHour, endHour)`: stored ones for settled hours, the others counted
   * now, and those of them that have settled stored for the next time.
   */
  private async hourCounts(
    firstHour: number,
    endHour: number,
    now: Date,
  ): Promise<Map<number, DeliveryStatsBucket>> {
    const counts = new Map<number, DeliveryStatsBucket>();
    const stored: Array<{
      hour: number | string;
      sent: number;
      failed: number;
      failed_by_code: string;
    }> = await this.db(HOURS)
      .select('hour', 'sent', 'failed', 'failed_by_code')
      .where('hour', '>=', firstHour)
      .andWhere('hour', '<', endHour);
    for (const row of stored) {
      counts.set(Number(row.hour), {
        ...emptyBucket(Number(row.hour) * HOUR_MS),
        sent: row.sent,
        failed: row.failed,
        failedByCode: JSON.parse(row.failed_by_code),
      });
    }

    // The hours to count, as runs of consecutive hours: usually just the latest few.
    const runs: Array<[number, number]> = [];
    for (let hour = firstHour; hour < endHour; hour++) {
      if (counts.has(hour)) {
        continue;
      }
      const last = runs[runs.length - 1];
      if (last && last[1] === hour) {
        last[1] = hour + 1;
      } else {
        runs.push([hour, hour + 1]);
      }
    }
    if (runs.length === 0) {
      return counts;
    }

    const hourOf = this.isPostgres
      ? this.db.raw(`floor(extract(epoch from created_at) / 3600)::bigint`)
      : this.db.raw(`created_at / ${HOUR_MS}`);
    const rows: Array<{
      hour: number | string;
      status: MessageStatus;
      code: string | null;
      count: number | string;
    }> = await this.db(MESSAGES)
      .select({ hour: hourOf, status: 'status', code: 'last_error_code' })
      .count({ count: '*' })
      .where(q => {
        for (const [start, end] of runs) {
          q.orWhere(run =>
            run
              .where('created_at', '>=', new Date(start * HOUR_MS))
              .andWhere('created_at', '<', new Date(end * HOUR_MS)),
          );
        }
      })
      .groupBy(1, 2, 3);

    const counted = new Map<number, DeliveryStatsBucket>();
    for (const [start, end] of runs) {
      for (let hour = start; hour < end; hour++) {
        counted.set(hour, emptyBucket(hour * HOUR_MS));
      }
    }
    for (const row of rows) {
      const hour = counted.get(Number(row.hour));
      if (!hour) {
        continue;
      }
      const count = Number(row.count);
      if (row.status === 'sent') {
        hour.sent += count;
      } else if (row.status === 'failed') {
        hour.failed += count;
        const code = row.code ?? 'unknown';
        hour.failedByCode[code] = (hour.failedByCode[code] ?? 0) + count;
      } else if (row.status === 'queued' || row.status === 'sending') {
        hour.waiting += count;
      }
      // Suppressed messages neither went out nor failed, nor will: the chart leaves them out.
    }

    const settledBefore = Math.floor(
      (now.getTime() - SETTLE_AFTER_MS) / HOUR_MS,
    );
    const settled = [...counted.entries()].filter(
      ([hour, bucket]) => hour < settledBefore && bucket.waiting === 0,
    );
    if (settled.length > 0) {
      // A retry makes its hour unsettled again by deleting its row (see DatabaseOutboxStore).
      const settledRows = settled.map(([hour, bucket]) => ({
        hour,
        sent: bucket.sent,
        failed: bucket.failed,
        failed_by_code: JSON.stringify(bucket.failedByCode),
        computed_at: now,
      }));
      for (let i = 0; i < settledRows.length; i += SETTLED_ROWS_PER_INSERT) {
        // Another replica may have stored some of them first: theirs are the same counts.
        await this.db(HOURS)
          .insert(settledRows.slice(i, i + SETTLED_ROWS_PER_INSERT))
          .onConflict('hour')
          .ignore();
      }
    }
    for (const [hour, bucket] of counted) {
      counts.set(hour, bucket);
    }
    return counts;
  }

  private matching(criteria: DeliveryLogCriteria): Knex.QueryBuilder {
    return this.db<MessageRow>(MESSAGES).where(q => {
      if (criteria.status) q.where('status', criteria.status);
      if (criteria.caller) q.where('caller', criteria.caller);
      if (criteria.category) q.where('category', criteria.category);
      if (criteria.from) q.where('created_at', '>=', criteria.from);
      if (criteria.to) q.where('created_at', '<', criteria.to);
      if (criteria.recipient) {
        q.whereIn(
          'id',
          this.db(RECIPIENTS)
            .select('message_id')
            .whereIn(
              'recipient_hash',
              this.recipients.candidates(criteria.recipient),
            ),
        );
      }
      if (criteria.words) {
        const words = searchWords(criteria.words);
        if (this.isPostgres) {
          // Each word starts a word of the subject, found through the stored vector's index.
          q.whereRaw(`subject_words @@ to_tsquery('simple', ?)`, [
            prefixQuery(criteria.words),
          ]);
        } else {
          for (const word of words) {
            q.where('subject', 'like', `%${word}%`);
          }
        }
      }
    });
  }

  private newestFirst(query: Knex.QueryBuilder, limit: number) {
    return query
      .select(...RECORD_COLUMNS)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
  }

  private after(query: Knex.QueryBuilder, cursor: Cursor) {
    // A row comparison, which both databases answer from the (created_at, id) index.
    query.andWhereRaw('(created_at, id) < (?, ?)', [
      this.isPostgres ? cursor.createdAt : cursor.createdAt.getTime(),
      cursor.id,
    ]);
  }
}
