import { LoggerService } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';

/** A key that took a plain number in one unit, before its duration replaced it. */
export type DeprecatedNumberKey = {
  key: string;
  /** Milliseconds in one of its units: 1 for `…Ms`, 60_000 for `…Minutes`. */
  unitMs: number;
};

/**
 * Reads a duration, in milliseconds, as Backstage reads its own: `{ minutes: 5 }`, `PT5M` or
 * `5m`. Where a key it replaced is still set, that number is read instead, in its unit, and the
 * logger says once which key to use now; when both are set, the duration wins. Keys are full
 * paths, so that an error names the setting to correct.
 */
export function readDurationMs(
  config: Config,
  options: {
    key: string;
    deprecated?: DeprecatedNumberKey;
    defaultMs: number;
    logger?: LoggerService;
  },
): number {
  const { key, deprecated, defaultMs, logger } = options;
  const old = deprecated && config.getOptionalNumber(deprecated.key);
  if (old !== undefined) {
    logger?.warn(
      config.has(key)
        ? `${
            deprecated!.key
          } is deprecated and ignored, since ${key} is set; remove it`
        : `${
            deprecated!.key
          } is deprecated; use ${key}, a duration such as { seconds: 30 } or PT30S`,
    );
  }
  if (config.has(key)) {
    const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
    if (!(ms > 0)) {
      throw new InputError(
        `${key} must be a duration greater than 0, such as { seconds: 30 } or PT30S`,
      );
    }
    return ms;
  }
  if (old !== undefined) {
    if (!(old > 0)) {
      throw new InputError(
        `${deprecated!.key} must be a number greater than 0, got ${old}`,
      );
    }
    return old * deprecated!.unitMs;
  }
  return defaultMs;
}
