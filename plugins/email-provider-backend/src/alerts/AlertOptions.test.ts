import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readAlertOptions } from './AlertOptions';

describe('readAlertOptions', () => {
  it('has documented defaults', () => {
    expect(readAlertOptions(new ConfigReader({}))).toEqual({
      enabled: true,
      failedMessages: 5,
      windowMs: 30 * 60_000,
      queuedLongerThanMs: 30 * 60_000,
      deliveryCheckIntervalMs: 5 * 60_000,
    });
  });

  it('reads every key under emailProvider.alerts', () => {
    expect(
      readAlertOptions(
        new ConfigReader({
          emailProvider: {
            alerts: {
              enabled: false,
              failedMessages: 2,
              windowMinutes: 10,
              queuedLongerThanMinutes: 90,
              checkIntervalMinutes: 1,
            },
          },
        }),
      ),
    ).toEqual({
      enabled: false,
      failedMessages: 2,
      windowMs: 10 * 60_000,
      queuedLongerThanMs: 90 * 60_000,
      deliveryCheckIntervalMs: 60_000,
    });
  });

  it('reads the durations as Backstage does, and the minute keys with a deprecation warning', () => {
    const logger = mockServices.logger.mock();
    expect(
      readAlertOptions(
        new ConfigReader({
          emailProvider: {
            alerts: {
              window: { hours: 1 },
              queuedLongerThan: 'PT45M',
              checkIntervalMinutes: 2,
            },
          },
        }),
        { logger },
      ),
    ).toMatchObject({
      windowMs: 3_600_000,
      queuedLongerThanMs: 45 * 60_000,
      deliveryCheckIntervalMs: 2 * 60_000,
    });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      'emailProvider.alerts.checkIntervalMinutes is deprecated; use emailProvider.alerts.checkInterval, a duration such as { seconds: 30 } or PT30S',
    );
  });

  it('refuses a bad duration, naming the key', () => {
    expect(() =>
      readAlertOptions(
        new ConfigReader({
          emailProvider: { alerts: { checkInterval: 'often' } },
        }),
      ),
    ).toThrow(
      /Invalid duration 'often' in config at 'emailProvider.alerts.checkInterval'/,
    );
  });

  it('refuses a value that is not above zero, naming the key', () => {
    expect(() =>
      readAlertOptions(
        new ConfigReader({ emailProvider: { alerts: { windowMinutes: 0 } } }),
      ),
    ).toThrow(
      'emailProvider.alerts.windowMinutes must be a number greater than 0, got 0',
    );
  });
});
