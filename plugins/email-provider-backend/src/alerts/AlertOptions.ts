import { Config } from '@backstage/config';

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

export function readAlertOptions(config: Config): AlertOptions {
  const c = config.getOptionalConfig(ALERTS_CONFIG);
  const minutes = 60_000;
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    failedMessages: positive(c, 'failedMessages', 5),
    windowMs: positive(c, 'windowMinutes', 30) * minutes,
    queuedLongerThanMs: positive(c, 'queuedLongerThanMinutes', 30) * minutes,
    deliveryCheckIntervalMs: positive(c, 'checkIntervalMinutes', 5) * minutes,
  };
}
