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
