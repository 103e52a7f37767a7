import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readDeliveryOptions } from './DeliveryOptions';

const read = (delivery: object) => {
  const logger = mockServices.logger.mock();
  const options = readDeliveryOptions(
    new ConfigReader({ emailProvider: { delivery } }),
    { logger },
  );
  return { options, logger };
};

describe('readDeliveryOptions', () => {
  it('has documented defaults, and warns of nothing', () => {
    const { options, logger } = read({});
    expect(options).toMatchObject({
      retryDelayMs: 30_000,
      maxRetryDelayMs: 3_600_000,
      maxRetryAfterMs: 600_000,
      probeIntervalMs: 2000,
      shutdownGraceMs: 10_000,
      expireAfterMs: 24 * 3_600_000,
      retentionMs: 30 * 24 * 3_600_000,
      pollIntervalMs: 1000,
      claimLeaseMs: 120_000,
    });
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('reads durations as Backstage does: objects, ISO 8601 and ms strings', () => {
    const { options, logger } = read({
      retryDelay: { seconds: 10 },
      maxRetryDelay: 'PT30M',
      maxRetryAfter: '5m',
      probeInterval: { milliseconds: 500 },
      shutdownGrace: { seconds: 20 },
      expireAfter: { hours: 48 },
      retention: { days: 7 },
      pollInterval: 'PT0.25S',
      claimLease: { minutes: 3 },
    });
    expect(options).toMatchObject({
      retryDelayMs: 10_000,
      maxRetryDelayMs: 30 * 60_000,
      maxRetryAfterMs: 5 * 60_000,
      probeIntervalMs: 500,
      shutdownGraceMs: 20_000,
      expireAfterMs: 48 * 3_600_000,
      retentionMs: 7 * 24 * 3_600_000,
      pollIntervalMs: 250,
      claimLeaseMs: 180_000,
    });
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('still reads the deprecated number keys, in their units, warning once for each', () => {
    const { options, logger } = read({
      retryDelayMs: 100,
      maxRetryDelayMs: 400,
      maxRetryAfterMs: 1000,
      probeIntervalMs: 300,
      shutdownGraceMs: 1000,
      expireAfterHours: 2,
      retentionDays: 3,
      pollIntervalMs: 50,
      claimLeaseMs: 30_000,
    });
    expect(options).toMatchObject({
      retryDelayMs: 100,
      maxRetryDelayMs: 400,
      maxRetryAfterMs: 1000,
      probeIntervalMs: 300,
      shutdownGraceMs: 1000,
      expireAfterMs: 2 * 3_600_000,
      retentionMs: 3 * 24 * 3_600_000,
      pollIntervalMs: 50,
      claimLeaseMs: 30_000,
    });
    expect(logger.warn).toHaveBeenCalledTimes(9);
    expect(logger.warn).toHaveBeenCalledWith(
      'emailProvider.delivery.expireAfterHours is deprecated; use emailProvider.delivery.expireAfter, a duration such as { seconds: 30 } or PT30S',
    );
  });

  it('reads the largest batch body, never less than one largest message takes', () => {
    const MB = 1024 * 1024;
    expect(read({}).options).toMatchObject({
      maxMessageBytes: 25 * MB,
      maxBatchBytes: 50 * MB,
    });
    expect(
      read({ maxMessageSizeMb: 5, maxBatchSizeMb: 10 }).options.maxBatchBytes,
    ).toBe(10 * MB);
    // A 40 MB message is a JSON body of 57 MB in base64, which POST /messages reads.
    expect(
      read({ maxMessageSizeMb: 40, maxBatchSizeMb: 10 }).options.maxBatchBytes,
    ).toBe(Math.ceil(40 * MB * 1.4) + MB);
  });

  it('prefers the duration when both keys are set, and says the old one is ignored', () => {
    const { options, logger } = read({
      pollIntervalMs: 50,
      pollInterval: { seconds: 2 },
    });
    expect(options.pollIntervalMs).toBe(2000);
    expect(logger.warn).toHaveBeenCalledWith(
      'emailProvider.delivery.pollIntervalMs is deprecated and ignored, since emailProvider.delivery.pollInterval is set; remove it',
    );
  });

  it.each([
    [
      { retryDelay: 'soon' },
      /Invalid duration 'soon' in config at 'emailProvider.delivery.retryDelay'/,
    ],
    [{ retryDelay: 30 }, /emailProvider\.delivery\.retryDelay/],
    [
      { retryDelay: { secs: 30 } },
      /at 'emailProvider.delivery.retryDelay', Error: Needs one or more of 'years'/,
    ],
    [
      { claimLease: { seconds: 0 } },
      'emailProvider.delivery.claimLease must be a duration greater than 0, such as { seconds: 30 } or PT30S',
    ],
    [
      { retentionDays: -1 },
      'emailProvider.delivery.retentionDays must be a number greater than 0, got -1',
    ],
  ])('refuses a bad duration, naming the key: %j', (delivery, message) => {
    expect(() => read(delivery)).toThrow(message);
  });
});
