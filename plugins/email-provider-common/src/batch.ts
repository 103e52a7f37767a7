import { z } from 'zod';
import {
  MessageStatus,
  SendEmailRequest,
  sendEmailRequestSchema,
} from './messages';

/**
 * The most messages one `POST /messages/batch` takes; `emailService.sendMany` splits longer
 * lists into several batches.
 *
 * @public
 */
export const MAX_BATCH_MESSAGES = 500;

/**
 * The envelope of `POST /messages/batch`: a list of 1 to {@link MAX_BATCH_MESSAGES} messages.
 * It checks the list only, not its entries: each message is validated on its own with
 * {@link sendEmailRequestSchema}, so that one bad message fails alone and the others are stored.
 *
 * @public
 */
export const sendEmailBatchRequestSchema = z.strictObject(
  {
    messages: z
      .array(z.unknown(), { error: 'messages must be a list of messages' })
      .min(1, 'messages must list at least one message')
      .max(
        MAX_BATCH_MESSAGES,
        `messages may list at most ${MAX_BATCH_MESSAGES} messages; send more in several batches`,
      ),
  },
  {
    error: issue =>
      issue.code === 'invalid_type'
        ? 'The batch must be an object with the list of messages in messages'
        : undefined,
  },
);

/**
 * Many messages to send at once (`POST /messages/batch`), such as one report to each of its
 * subscribers; see {@link sendEmailBatchRequestSchema}.
 *
 * @public
 */
export type SendEmailBatchRequest = { messages: SendEmailRequest[] };

/**
 * What became of one message of a {@link SendEmailBatchRequest}: stored, with its id and status
 * as `POST /messages` answers them, or refused with the error `POST /messages` would have
 * answered, as `name` (the `@backstage/errors` class, such as `InputError`, `ConflictError` or
 * `ServiceUnavailableError`) and `message` (the reason, for people). Either way it names the
 * message's `idempotencyKey`, if it had a valid one.
 *
 * @public
 */
export type SendEmailBatchOutcome =
  | {
      accepted: true;
      id: string;
      status: MessageStatus;
      idempotencyKey?: string;
    }
  | {
      accepted: false;
      error: { name: string; message: string };
      idempotencyKey?: string;
    };

/**
 * The answer to a {@link SendEmailBatchRequest}: one outcome for each message, in the order of
 * the request.
 *
 * @public
 */
export type SendEmailBatchResult = { results: SendEmailBatchOutcome[] };

/**
 * The `idempotencyKey` of a message of a batch, if it has a valid one, even when the rest of the
 * message is invalid: its outcome then still says which message it is.
 *
 * @public
 */
export function batchIdempotencyKeyOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) {
    return undefined;
  }
  const key = sendEmailRequestSchema.shape.idempotencyKey.safeParse(
    (message as { idempotencyKey?: unknown }).idempotencyKey,
  );
  return key.success ? key.data : undefined;
}
