import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { readDurationMs } from '../config/readDurationMs';

const ALERTS_CONFIG = 'emailProvider.alerts';

/** What the admins are told, and when; every value can be set under `emailProvider.alerts`. */
export type AlertOptions = {
  /** Off: no notifications, no log warnings in their place, no checks. */
  enabled: boolean;
  /** Delivery is failing once this many messages failed for good within `windowMs`. */
  failedMessages: number;
  windowMs: number;
  /** Delivery is failing once a message has waited this long to go out. */
  queuedLongerThanMs: number;
  /** How often the delivery check runs. */
  deliveryCheckIntervalMs: number;
};

function positive(config: Config | undefined, key: string, fallback: number) {
  const value = config?.getOptionalNumber(key) ?? fallback;
  if (!(value > 0)) {
    throw new Error(
      `${ALERTS_CONFIG}.${key} must be a number greater than 0, got ${value}`,
    );
  }
  return value;
}

/**
 * Reads `emailProvider.alerts`. Its durations take Backstage's forms (`{ minutes: 30 }`,
 * `PT30M`); the minute counts they replaced (`windowMinutes`, ...) still work, each with a
 * deprecation warning through `logger`.
 */
export function readAlertOptions(
  config: Config,
  options: { logger?: LoggerService } = {},
): AlertOptions {
  const c = config.getOptionalConfig(ALERTS_CONFIG);
  const minutes = (key: string, defaultMinutes: number, oldKey: string) =>
    readDurationMs(config, {
      key: `${ALERTS_CONFIG}.${key}`,
      deprecated: { key: `${ALERTS_CONFIG}.${oldKey}`, unitMs: 60_000 },
      defaultMs: defaultMinutes * 60_000,
      logger: options.logger,
    });
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    failedMessages: positive(c, 'failedMessages', 5),
    windowMs: minutes('window', 30, 'windowMinutes'),
    queuedLongerThanMs: minutes(
      'queuedLongerThan',
      30,
      'queuedLongerThanMinutes',
    ),
    deliveryCheckIntervalMs: minutes(
      'checkInterval',
      5,
      'checkIntervalMinutes',
    ),
  };
}
