import { z } from 'zod';
import { emailAddressSchema } from './settings/fields';

/**
 * How an address came onto the suppression list: its recipient's mail client sent the one-click
 * POST of RFC 8058 (`one-click`), or the recipient confirmed on the unsubscribe page
 * (`confirmation-page`).
 *
 * @public
 */
export type EmailSuppressionSource = 'one-click' | 'confirmation-page';

/**
 * One address that unsubscribed from one list of one caller: the outbox skips messages of that
 * caller and list to it (status `suppressed`) until an admin removes the entry.
 *
 * @public
 */
export type EmailSuppression = {
  id: string;
  /** The address, as the message that carried the link had it. */
  address: string;
  /** The plugin (service principal) whose messages it no longer gets, as the log names it. */
  caller: string;
  /** The `unsubscribe.list` of the message that carried the link. */
  list: string;
  /** The `unsubscribe.description` of that message, when it had one. */
  description?: string;
  source: EmailSuppressionSource;
  createdAt: string;
};

/**
 * A page of the suppression list (`GET /suppressions`), newest first.
 *
 * @public
 */
export type EmailSuppressionList = {
  items: EmailSuppression[];
  /** Pass as `cursor` to read the next page; absent on the last page. */
  nextCursor?: string;
};

/**
 * The query of `GET /suppressions`: optional filters and a page.
 *
 * @public
 */
export const suppressionListQuerySchema = z.strictObject({
  /** Entries of this exact address (letter case aside). */
  address: emailAddressSchema('address').optional(),
  caller: z.string().min(1).max(255, 'caller is too long').optional(),
  list: z.string().min(1).max(200, 'list is too long').optional(),
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(200, 'limit must be at most 200')
    .optional(),
  cursor: z.string().min(1).max(500, 'cursor is too long').optional(),
});

/**
 * The query of `GET /suppressions`.
 *
 * @public
 */
export type SuppressionListQuery = z.input<typeof suppressionListQuerySchema>;
