import {
  ConflictError,
  InputError,
  isError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type {
  MessageStatus,
  SendEmailRequest,
} from '@email-provider/backstage-plugin-email-provider-common';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { megabytes } from '../providers/messageSize';
import { SettingsService } from '../settings/SettingsService';
import { Batcher } from './Batcher';
import { DatabaseOutboxStore, NewMessage } from './DatabaseOutboxStore';
import { DeliveryOptions } from './DeliveryOptions';
import {
  measureRequest,
  newMessageId,
  recipientsOf,
  unsubscribeGrantOf,
} from './outboxMessages';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';
import { SuppressionStore } from '../suppressions/SuppressionStore';

// One INSERT stays well under the bind-parameter limits of PostgreSQL and SQLite, and a batch
// of large messages does not hold much more than one in memory at a time.
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const GATHER_MS = 2;

export type AcceptedMessage = { id: string; status: MessageStatus };

type Pending = {
  caller: string;
  request: SendEmailRequest;
  totalBytes: number;
  attachmentBytes: number;
  resolve: (accepted: AcceptedMessage) => void;
  reject: (error: Error) => void;
};

/**
 * Accepts messages into the outbox. Requests that arrive while a write is under way are stored
 * together, with one read of the active provider and one INSERT for all of them. On PostgreSQL
 * each round trip and commit costs far more than building the rows, so under load this is what
 * lets intake keep up with delivery; a lone request is written at once, as before.
 */
export class OutboxIntake {
  private readonly batches = new Batcher<Pending>({
    flush: batch => this.writeBatch(batch),
    // Requests parsed in the same turn of the event loop join the first batch.
    delayMs: 0,
    maxItems: MAX_BATCH_MESSAGES,
    weigh: pending => pending.totalBytes,
    maxWeight: MAX_BATCH_BYTES,
    // Under load, a moment's wait gathers a larger batch: each round trip to the database costs
    // more than the rows it carries.
    serial: { busyDelayMs: GATHER_MS },
  });

  constructor(
    private readonly deps: {
      store: DatabaseOutboxStore;
      settings: SettingsService;
      /** Knows what each provider type can take. */
      providers: MailProviderFactory;
      options: DeliveryOptions;
      recipients: RecipientHasher;
      /** Whose recipients unsubscribed from their list: those are stored as suppressed. */
      suppressions: SuppressionStore;
      /** Called after a batch stored at least one new message to send. */
      onStored: () => void;
    },
  ) {}

  /**
   * Stores a message for delivery, or returns the one the caller stored before under the same
   * idempotency key. Fails when no provider is active or the message is too large for it; then
   * nothing is stored. A message whose recipient unsubscribed from its list is stored as
   * `suppressed`, without its content, and never sent.
   */
  accept(caller: string, request: SendEmailRequest): Promise<AcceptedMessage> {
    const { totalBytes, attachmentBytes } = measureRequest(request);
    const { maxMessageBytes } = this.deps.options;
    if (totalBytes > maxMessageBytes) {
      return Promise.reject(
        new InputError(
          `The message is ${megabytes(
            totalBytes,
          )}; the portal accepts at most ${megabytes(
            maxMessageBytes,
          )} (emailProvider.delivery.maxMessageSizeMb)`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.batches.add({
        caller,
        request,
        totalBytes,
        attachmentBytes,
        resolve,
        reject,
      });
    });
  }

  /** Marks the messages whose one recipient unsubscribed from their list, with one query. */
  private async markSuppressed(
    storable: Array<{ pending: Pending; message: NewMessage }>,
  ) {
    const withLink = storable.flatMap(({ pending, message }) => {
      const grant = unsubscribeGrantOf(pending.caller, pending.request);
      return grant ? [{ grant, message }] : [];
    });
    const suppressed = await this.deps.suppressions.suppressedAmong(
      withLink.map(({ grant }) => grant),
    );
    withLink.forEach(({ message }, index) => {
      if (suppressed[index]) {
        message.suppressed = true;
      }
    });
  }

  private async writeBatch(batch: Pending[]) {
    const { store, settings, providers, options } = this.deps;
    try {
      const active = await settings.getActiveSender();
      const storable: Array<{ pending: Pending; message: NewMessage }> = [];
      for (const pending of batch) {
        const refusal = refuse(pending, active, providers);
        if (refusal) {
          pending.reject(refusal);
          continue;
        }
        const { request } = pending;
        const recipients = recipientsOf(request);
        storable.push({
          pending,
          message: {
            caller: pending.caller,
            idempotencyKey: request.idempotencyKey,
            category: request.category,
            subject: request.subject,
            recipientsCount: recipients.length,
            recipientHashes: this.deps.recipients.hashAll(recipients),
            sizeBytes: pending.totalBytes,
            messageId: newMessageId(active!.from),
            payload: JSON.stringify(request),
            expiresAfterMs: options.expireAfterMs,
          },
        });
      }
      if (storable.length === 0) {
        return;
      }
      await this.markSuppressed(storable);
      const stored = await store.enqueueAll(storable.map(s => s.message));
      storable.forEach(({ pending }, index) =>
        pending.resolve({ id: stored[index].id, status: stored[index].status }),
      );
      if (stored.some(s => s.created && s.status === 'queued')) {
        this.deps.onStored();
      }
    } catch (error) {
      const failure = isDatabaseAway(error)
        ? new ServiceUnavailableError(
            'The email outbox database cannot be reached right now; send the message again shortly, with the same idempotency key so that it is stored once',
          )
        : (error as Error);
      batch.forEach(pending => pending.reject(failure));
    }
  }
}

// Node's network errors; PostgreSQL's SQLSTATE class 08 (connection exception), 57P0x (shutting
// down, starting up) and 53300 (too many connections); SQLite busy with another writer.
const UNREACHABLE_CODES =
  /^(E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)|08...|57P0.|53300|SQLITE_BUSY)$/;

/**
 * Whether a failed write means the database cannot be reached now (restarting, connections cut,
 * the pool out of connections), so the caller should try again, rather than a fault of ours.
 */
function isDatabaseAway(error: unknown): boolean {
  if (!isError(error)) {
    return false;
  }
  const code = (error as { code?: unknown }).code;
  return (
    error.name === 'KnexTimeoutError' ||
    (typeof code === 'string' && UNREACHABLE_CODES.test(code)) ||
    /Connection terminated|Client was closed|not queryable/.test(error.message)
  );
}

/** Why the active provider cannot take a message, if it cannot. */
function refuse(
  pending: Pending,
  active: Awaited<ReturnType<SettingsService['getActiveSender']>>,
  providers: MailProviderFactory,
): Error | undefined {
  if (!active) {
    return new ConflictError(
      'No email provider is active; an admin must configure SMTP or Microsoft 365 under Email provider before plugins can send email',
    );
  }
  const tooLarge = providers.refuseSize(active, pending);
  return tooLarge ? new InputError(tooLarge) : undefined;
}
