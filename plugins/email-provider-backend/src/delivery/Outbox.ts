import { LoggerService } from '@backstage/backend-plugin-api';
import type {
  DeliveryRecord,
  SendEmailRequest,
} from '@email-provider/backstage-plugin-email-provider-common';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { SettingsService } from '../settings/SettingsService';
import { SuppressionStore } from '../suppressions/SuppressionStore';
import { UnsubscribeTokens } from '../suppressions/UnsubscribeTokens';
import { DatabaseOutboxStore } from './DatabaseOutboxStore';
import { DeliveryOptions } from './DeliveryOptions';
import { AcceptedMessage, OutboxIntake } from './OutboxIntake';
import { OutboxWorker } from './OutboxWorker';

/**
 * The outbox of one backend instance: what the routes hand messages to, and what delivers them.
 * It stores accepted and retried messages and tells its own worker, so a message stored here is
 * looked for within milliseconds; the other instances' workers find it at their next poll.
 */
export class Outbox {
  private readonly intake: OutboxIntake;
  private readonly worker: OutboxWorker;

  constructor(
    private readonly deps: {
      store: DatabaseOutboxStore;
      settings: SettingsService;
      providers: MailProviderFactory;
      recipients: RecipientHasher;
      suppressions: SuppressionStore;
      unsubscribeTokens: UnsubscribeTokens;
      logger: LoggerService;
      options: DeliveryOptions;
    },
  ) {
    const {
      store,
      settings,
      providers,
      recipients,
      suppressions,
      unsubscribeTokens,
      logger,
      options,
    } = deps;
    this.worker = new OutboxWorker({
      store,
      settings,
      providers,
      suppressions,
      unsubscribeTokens,
      logger,
      options,
    });
    this.intake = new OutboxIntake({
      store,
      settings,
      providers,
      options,
      recipients,
      suppressions,
      onStored: () => this.worker.notifyEnqueued(),
    });
  }

  /** Starts delivering. */
  start(): void {
    this.worker.start();
  }

  /** Stops delivering; see `OutboxWorker.stop`. */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  /**
   * Stores a message for delivery, or returns the one the caller stored before under the same
   * idempotency key; see `OutboxIntake.accept`.
   */
  accept(caller: string, request: SendEmailRequest): Promise<AcceptedMessage> {
    return this.intake.accept(caller, request);
  }

  /** Queues a failed message again, with a fresh set of attempts and time. */
  async retry(id: string): Promise<DeliveryRecord> {
    const record = await this.deps.store.retry(
      id,
      this.deps.options.expireAfterMs,
    );
    this.worker.notifyEnqueued();
    return record;
  }
}
