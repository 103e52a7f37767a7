import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { readDurationMs } from '../config/readDurationMs';

const DELIVERY_CONFIG = 'emailProvider.delivery';
const HOUR_MS = 3600_000;

/** How delivery behaves; every value can be set under `emailProvider.delivery`. */
export type DeliveryOptions = {
  /** Largest message accepted, attachments and bodies together, in bytes. */
  maxMessageBytes: number;
  /**
   * Largest body of `POST /messages/batch`, in bytes of JSON (attachments in base64). Never less
   * than the body of `POST /messages` takes, so that any message accepted alone fits in a batch.
   */
  maxBatchBytes: number;
  /** Attempts before a message that keeps failing transiently is given up. */
  maxAttempts: number;
  /** First retry delay; each later one doubles, with jitter, up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /**
   * Longest wait a provider's Retry-After can impose on the sender's messages; a longer one is
   * cut to this, so a bogus or hostile header cannot hold delivery for hours.
   */
  maxRetryAfterMs: number;
  /**
   * While messages wait for a server or service they could not reach, one of them is tried this
   * often, portal-wide, without counting as an attempt when it fails the same way; once one gets
   * through, every waiting message is due at once.
   */
  probeIntervalMs: number;
  /**
   * On shutdown, how long the messages being sent may take to finish before they are handed
   * back to the other instances; the shutdown then takes at most five seconds more.
   */
  shutdownGraceMs: number;
  /** How long a message may wait, for a provider or for retries, before it fails as expired. */
  expireAfterMs: number;
  /** How long metadata of finished messages is kept. */
  retentionMs: number;
  /** How often an idle worker looks for due messages. */
  pollIntervalMs: number;
  /** How long a claim holds before another worker may take the message over. */
  claimLeaseMs: number;
  /**
   * Bytes of messages one backend instance holds in memory while sending; with the in-flight
   * count, what bounds memory, whatever the length of the queue.
   */
  maxInFlightBytes: number;
  smtp: {
    /** Connections kept open per backend instance. */
    maxConnections: number;
    /**
     * Messages being sent at once, all instances together. They queue over the connections, and
     * enough of them keep every connection busy while claims and records make their round trips.
     */
    maxInFlight: number;
    /** Optional cap on messages a minute, all instances together. */
    messagesPerMinute?: number;
  };
  microsoft365: {
    /** Graph requests at once per mailbox; Microsoft allows 4. */
    maxConcurrentRequests: number;
    /** Exchange Online allows 30 messages a minute per mailbox. */
    messagesPerMinute: number;
  };
};

/**
 * The largest JSON body that carries a message of `maxMessageBytes`: base64 grows attachments by
 * a third, and the intake checks the decoded size against the limit.
 */
export function maxMessageBodyBytes(maxMessageBytes: number): number {
  return Math.ceil(maxMessageBytes * 1.4) + 1024 * 1024;
}

/**
 * Reads `emailProvider.delivery`. Its durations take Backstage's forms (`{ seconds: 30 }`,
 * `PT30S`); the number keys they replaced (`retryDelayMs`, `expireAfterHours`, ...) still work,
 * each with a deprecation warning through `logger`.
 */
export function readDeliveryOptions(
  config: Config,
  options: { logger?: LoggerService } = {},
): DeliveryOptions {
  const c = config.getOptionalConfig(DELIVERY_CONFIG);
  const smtp = c?.getOptionalConfig('smtp');
  const m365 = c?.getOptionalConfig('microsoft365');
  const duration = (
    key: string,
    defaultMs: number,
    oldKey: string,
    oldUnitMs = 1,
  ) =>
    readDurationMs(config, {
      key: `${DELIVERY_CONFIG}.${key}`,
      deprecated: { key: `${DELIVERY_CONFIG}.${oldKey}`, unitMs: oldUnitMs },
      defaultMs,
      logger: options.logger,
    });
  const maxMessageBytes =
    (c?.getOptionalNumber('maxMessageSizeMb') ?? 25) * 1024 * 1024;
  return {
    maxMessageBytes,
    maxBatchBytes: Math.max(
      (c?.getOptionalNumber('maxBatchSizeMb') ?? 50) * 1024 * 1024,
      maxMessageBodyBytes(maxMessageBytes),
    ),
    maxAttempts: c?.getOptionalNumber('maxAttempts') ?? 8,
    retryDelayMs: duration('retryDelay', 30_000, 'retryDelayMs'),
    maxRetryDelayMs: duration('maxRetryDelay', HOUR_MS, 'maxRetryDelayMs'),
    maxRetryAfterMs: duration('maxRetryAfter', 600_000, 'maxRetryAfterMs'),
    probeIntervalMs: duration('probeInterval', 2000, 'probeIntervalMs'),
    shutdownGraceMs: duration('shutdownGrace', 10_000, 'shutdownGraceMs'),
    expireAfterMs: duration(
      'expireAfter',
      24 * HOUR_MS,
      'expireAfterHours',
      HOUR_MS,
    ),
    retentionMs: duration(
      'retention',
      30 * 24 * HOUR_MS,
      'retentionDays',
      24 * HOUR_MS,
    ),
    pollIntervalMs: duration('pollInterval', 1000, 'pollIntervalMs'),
    claimLeaseMs: duration('claimLease', 120_000, 'claimLeaseMs'),
    maxInFlightBytes:
      (c?.getOptionalNumber('maxInFlightMb') ?? 64) * 1024 * 1024,
    smtp: {
      maxConnections: smtp?.getOptionalNumber('maxConnections') ?? 5,
      maxInFlight: smtp?.getOptionalNumber('maxInFlight') ?? 200,
      messagesPerMinute: smtp?.getOptionalNumber('messagesPerMinute'),
    },
    microsoft365: {
      maxConcurrentRequests:
        m365?.getOptionalNumber('maxConcurrentRequests') ?? 4,
      messagesPerMinute: m365?.getOptionalNumber('messagesPerMinute') ?? 30,
    },
  };
}
