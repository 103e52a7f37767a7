import { z } from 'zod';
import { emailAddressSchema } from './settings/fields';
import type { MessageStatus } from './messages';

/**
 * One message in the delivery log: metadata only, never the body, the attachments or the
 * recipients' addresses.
 *
 * @public
 */
export type DeliveryRecord = {
  id: string;
  status: MessageStatus;
  caller: string;
  category?: string;
  subject: string;
  recipientsCount: number;
  sizeBytes: number;
  messageId: string;
  attempts: number;
  provider?: 'smtp' | 'microsoft365';
  createdAt: string;
  updatedAt: string;
  nextAttemptAt?: string;
  sentAt?: string;
  /**
   * The last failure: `code` is an `EmailFailureCode`, or `expired` for a message given up in
   * time. `params` are as the failure had them (see `EmailFailureParams`), absent on messages
   * that failed before the log kept them.
   */
  lastError?: {
    code: string;
    message: string;
    params?: Record<string, string | number>;
    providerReply?: string;
  };
};

/**
 * The most messages the delivery log counts for a filter; past it, `totalCount` is this number
 * and `totalCountCapped` is set, since counting every row of a busy portal's log costs more than
 * the page itself.
 *
 * @public
 */
export const DELIVERY_LOG_COUNT_LIMIT = 10_000;

/**
 * A page of the delivery log, newest first.
 *
 * @public
 */
export type DeliveryList = {
  items: DeliveryRecord[];
  /** How many messages match the filter, counted up to {@link DELIVERY_LOG_COUNT_LIMIT}. */
  totalCount: number;
  /** Set when more messages match than were counted. */
  totalCountCapped?: true;
  /** Pass as `cursor` to read the next page; absent on the last page. */
  nextCursor?: string;
};

/**
 * The delivery health at a glance.
 *
 * @public
 */
export type DeliverySummary = {
  lastSuccessAt?: string;
  lastFailureAt?: string;
  waiting: number;
  /** Messages that failed an attempt in the last 24 hours, whether or not a retry sent them. */
  failedLast24Hours: number;
};

const dateTime = (field: string) =>
  z.iso.datetime({
    offset: true,
    error: `${field} must be an ISO 8601 date-time such as 2026-12-01T09:00:00Z`,
  });

/**
 * Which messages of the delivery log to show (`GET /messages`, `GET /messages/export.csv`).
 * Every filter given must match.
 *
 * @public
 */
export const deliveryLogFilterSchema = z.strictObject({
  status: z
    .enum(['queued', 'sending', 'sent', 'failed', 'suppressed'], {
      error: 'status must be queued, sending, sent, failed or suppressed',
    })
    .optional(),
  /** The plugin (service principal) that sent the messages, as the log names it. */
  caller: z.string().min(1).max(255, 'caller is too long').optional(),
  category: z.string().min(1).max(100, 'category is too long').optional(),
  /**
   * Messages to this exact address, in `to`, `cc` or `bcc` (letter case aside). The log keeps a
   * keyed hash of each address, not the address, so only a whole address finds anything.
   */
  recipient: emailAddressSchema('recipient').optional(),
  /** Words that must all start a word of the subject. */
  q: z
    .string()
    .trim()
    .min(1, 'q must name at least one word of the subject')
    .max(200, 'q must be at most 200 characters')
    .optional(),
  /** Created at or after `from` and before `to` (ISO 8601 date-times). */
  from: dateTime('from').optional(),
  to: dateTime('to').optional(),
});

/**
 * A filter of the delivery log, as {@link deliveryLogFilterSchema} reads it.
 *
 * @public
 */
export type DeliveryLogFilter = z.input<typeof deliveryLogFilterSchema>;

/**
 * The query of `GET /messages`: a filter and a page of it. Pages follow one another by `cursor`
 * (the previous page's `nextCursor`), which stays fast however deep the log is read; `offset` is
 * still accepted. `since` and `until` are the former names of `from` and `to`.
 *
 * @public
 */
export const deliveryLogQuerySchema = deliveryLogFilterSchema.extend({
  since: dateTime('since').optional(),
  until: dateTime('until').optional(),
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(200, 'limit must be at most 200')
    .default(50),
  offset: z.coerce
    .number({ error: 'offset must be a number' })
    .int('offset must be a whole number')
    .min(0, 'offset must not be negative')
    .default(0),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, 'cursor must be a nextCursor the log returned')
    .optional(),
});

/**
 * A page of the delivery log to read, as {@link deliveryLogQuerySchema} reads it.
 *
 * @public
 */
export type DeliveryLogQuery = DeliveryLogFilter & {
  since?: string;
  until?: string;
  limit?: number;
  offset?: number;
  cursor?: string;
};

/**
 * The most buckets one `GET /stats` answers: 31 days of hours, or a year of days.
 *
 * @public
 */
export const DELIVERY_STATS_MAX_BUCKETS = { hour: 744, day: 366 } as const;

/**
 * The query of `GET /stats`: buckets of an hour or a day, from the whole hour at or before
 * `since` (24 hours or 30 days back by default) until `until` (now by default). A day is 24
 * hours from there, so `since` at local midnight gives the admin's own days.
 *
 * @public
 */
export const deliveryStatsQuerySchema = z.strictObject({
  bucket: z
    .enum(['hour', 'day'], { error: 'bucket must be hour or day' })
    .default('hour'),
  since: dateTime('since').optional(),
  until: dateTime('until').optional(),
});

/**
 * One bucket of `GET /stats`: the messages created in it, by where they are now.
 *
 * @public
 */
export type DeliveryStatsBucket = {
  /** ISO 8601 start of the bucket; it ends where the next one starts. */
  start: string;
  sent: number;
  failed: number;
  /** Queued or being sent. */
  waiting: number;
  /** The failed ones by the code of their last error (`expired` for those given up in time). */
  failedByCode: Record<string, number>;
};

/**
 * The answer of `GET /stats`, oldest bucket first; buckets without messages are included.
 *
 * @public
 */
export type DeliveryStats = {
  bucket: 'hour' | 'day';
  buckets: DeliveryStatsBucket[];
};
