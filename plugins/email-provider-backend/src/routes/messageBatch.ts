import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  isError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  batchIdempotencyKeyOf,
  SendEmailBatchOutcome,
  sendEmailRequestSchema,
} from '@email-provider/backstage-plugin-email-provider-common';
import { randomBytes } from 'node:crypto';
import { Outbox } from '../delivery/Outbox';
import { parseInput } from './parseInput';

/** The errors a caller can act on, told as `POST /messages` answers them (4xx and 503). */
const TOLD_ERRORS = new Set<string>(
  [
    InputError,
    NotAllowedError,
    NotFoundError,
    ConflictError,
    ServiceUnavailableError,
  ].map(errorClass => errorClass.name),
);

/**
 * Validates and stores each message of a batch as `POST /messages` would, all at once: the
 * intake writes the messages accepted in one turn with one INSERT per hundred. One message's
 * failure is its own outcome and leaves the others alone.
 *
 * Anything else than the errors a caller can act on is a fault of ours: as Backstage's error
 * handler does for a 500, it is logged once with an id, and the outcome names only the id, so
 * that no database error text reaches the caller.
 */
export async function acceptMessageBatch(options: {
  outbox: Outbox;
  logger: LoggerService;
  caller: string;
  messages: unknown[];
}): Promise<SendEmailBatchOutcome[]> {
  const { outbox, logger, caller, messages } = options;
  // The intake fails every message of a write with the same error: logged once.
  const logIds = new Map<Error, string>();
  const told = (error: unknown): { name: string; message: string } => {
    const failure = isError(error) ? error : new Error(String(error));
    if (TOLD_ERRORS.has(failure.name)) {
      return { name: failure.name, message: failure.message };
    }
    let logId = logIds.get(failure);
    if (!logId) {
      logId = randomBytes(10).toString('hex');
      logIds.set(failure, logId);
      logger.error(
        `Could not store messages of a batch from ${caller} (logId=${logId})`,
        failure,
      );
    }
    return {
      name: 'Error',
      message: `An internal error occurred logId=${logId}`,
    };
  };

  const outcomeOf = async (
    message: unknown,
  ): Promise<SendEmailBatchOutcome> => {
    const idempotencyKey = batchIdempotencyKeyOf(message);
    const named = idempotencyKey === undefined ? {} : { idempotencyKey };
    try {
      const request = parseInput(sendEmailRequestSchema, message);
      const { id, status } = await outbox.accept(caller, request);
      return { accepted: true, id, status, ...named };
    } catch (error) {
      return { accepted: false, error: told(error), ...named };
    }
  };

  // Each call validates and hands its message to the intake before it first waits, so all of
  // them reach the intake in this turn of the event loop.
  return Promise.all(messages.map(outcomeOf));
}
