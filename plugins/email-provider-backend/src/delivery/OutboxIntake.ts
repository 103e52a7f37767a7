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
import { needsUploadSession } from '../providers/microsoft365/graphRequestSize';
import { SettingsService } from '../settings/SettingsService';
import { DatabaseOutboxStore, NewMessage } from './DatabaseOutboxStore';
import { DeliveryOptions } from './DeliveryOptions';
import { measureRequest, newMessageId, recipientsOf } from './outboxMessages';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';

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

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Accepts messages into the outbox. Requests that arrive while a write is under way are stored
 * together, with one read of the active provider and one INSERT for all of them. On PostgreSQL
 * each round trip and commit costs far more than building the rows, so under load this is what
 * lets intake keep up with delivery; a lone request is written at once, as before.
 */
export class OutboxIntake {
  private readonly waiting: Pending[] = [];
  private writing = false;

  constructor(
    private readonly deps: {
      store: DatabaseOutboxStore;
      settings: SettingsService;
      options: DeliveryOptions;
      recipients: RecipientHasher;
      /** Called after a batch stored at least one new message. */
      onStored: () => void;
    },
  ) {}

  /**
   * Stores a message for delivery, or returns the one the caller stored before under the same
   * idempotency key. Fails when no provider is active or the message is too large for it; then
   * nothing is stored.
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
      this.waiting.push({
        caller,
        request,
        totalBytes,
        attachmentBytes,
        resolve,
        reject,
      });
      if (!this.writing) {
        this.writing = true;
        // Requests parsed in the same turn of the event loop join the first batch.
        setImmediate(() => this.writeBatches());
      }
    });
  }

  private async writeBatches() {
    while (this.waiting.length > 0) {
      await this.writeBatch(this.takeBatch());
      if (this.waiting.length > 0 && this.waiting.length < MAX_BATCH_MESSAGES) {
        // Under load, a moment's wait gathers a larger batch: each round trip to the database
        // costs more than the rows it carries.
        await new Promise(resolve => setTimeout(resolve, GATHER_MS));
      }
    }
    this.writing = false;
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let count = 0;
    while (
      count < this.waiting.length &&
      count < MAX_BATCH_MESSAGES &&
      (count === 0 || bytes + this.waiting[count].totalBytes <= MAX_BATCH_BYTES)
    ) {
      bytes += this.waiting[count].totalBytes;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }

  private async writeBatch(batch: Pending[]) {
    const { store, settings, options } = this.deps;
    try {
      const active = await settings.getActiveSender();
      const storable: Array<{ pending: Pending; message: NewMessage }> = [];
      for (const pending of batch) {
        const refusal = refuse(pending, active);
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
      const stored = await store.enqueueAll(storable.map(s => s.message));
      storable.forEach(({ pending }, index) =>
        pending.resolve({ id: stored[index].id, status: stored[index].status }),
      );
      if (stored.some(s => s.created)) {
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

/** Why a provider cannot take a message, if it cannot. */
function refuse(
  pending: Pending,
  active: Awaited<ReturnType<SettingsService['getActiveSender']>>,
): Error | undefined {
  if (!active) {
    return new ConflictError(
      'No email provider is active; an admin must configure SMTP or Microsoft 365 under Email provider before plugins can send email',
    );
  }
  // With large messages on, the provider sends through a draft and upload sessions, and only
  // the portal's own maximum applies.
  if (
    active.provider === 'microsoft365' &&
    !active.largeMessages &&
    needsUploadSession(pending)
  ) {
    return new InputError(
      `The message has ${megabytes(
        pending.attachmentBytes,
      )} of attachments; Microsoft 365 takes about 3 MB in one message (4 MB per Graph request, base64 included). Send smaller attachments or links to them, or turn on large messages in the Microsoft 365 settings (needs the Mail.ReadWrite application permission)`,
    );
  }
  return undefined;
}
