import { ConfigReader } from '@backstage/config';
import { isLessSevere, readDigestConfig } from './digestConfig';

const withDigest = (digest: object) =>
  new ConfigReader({
    notifications: { processors: { emailProvider: { digest } } },
  });

describe('readDigestConfig', () => {
  it('is off unless enabled', () => {
    expect(readDigestConfig(new ConfigReader({}))).toBeUndefined();
    expect(
      readDigestConfig(withDigest({ enabled: false, severityBelow: 'low' })),
    ).toBeUndefined();
  });

  it('digests low and normal notifications hourly by default', () => {
    expect(readDigestConfig(withDigest({ enabled: true }))).toEqual({
      severityBelow: 'high',
      schedule: { frequency: { hours: 1 }, timeout: { minutes: 10 } },
      maxItems: 20,
    });
  });

  it('reads a schedule as the scheduler does, with a default timeout', () => {
    expect(
      readDigestConfig(
        withDigest({
          enabled: true,
          severityBelow: 'critical',
          schedule: { frequency: { cron: '0 9 * * 1-5' } },
          maxItems: 5,
        }),
      ),
    ).toEqual({
      severityBelow: 'critical',
      schedule: {
        frequency: { cron: '0 9 * * 1-5' },
        timeout: { minutes: 10 },
      },
      maxItems: 5,
    });
    expect(
      readDigestConfig(
        withDigest({
          enabled: true,
          schedule: { frequency: 'PT30M', timeout: { minutes: 2 } },
        }),
      )?.schedule,
    ).toEqual(
      expect.objectContaining({
        frequency: expect.objectContaining({ minutes: 30 }),
        timeout: { minutes: 2 },
      }),
    );
  });

  it.each([
    [
      { severityBelow: 'low' },
      "notifications.processors.emailProvider.digest.severityBelow must be one of normal, high, critical, got 'low'",
    ],
    [
      { severityBelow: 'urgent' },
      "digest.severityBelow must be one of normal, high, critical, got 'urgent'",
    ],
    [{ maxItems: 0 }, 'digest.maxItems must be a whole number from 1 to 500'],
    [{ maxItems: 2.5 }, 'digest.maxItems must be a whole number'],
    [{ maxItems: 'ten' }, "got 'ten'"],
    [
      { schedule: { frequency: { fortnights: 1 } } },
      'digest.schedule is not a valid schedule',
    ],
    [{ schedule: {} }, 'digest.schedule is not a valid schedule'],
  ])('refuses %j', (digest, message) => {
    expect(() =>
      readDigestConfig(withDigest({ enabled: true, ...digest })),
    ).toThrow(message);
  });
});

describe('isLessSevere', () => {
  it('orders severities from low to critical', () => {
    expect(isLessSevere('low', 'high')).toBe(true);
    expect(isLessSevere('normal', 'high')).toBe(true);
    expect(isLessSevere('high', 'high')).toBe(false);
    expect(isLessSevere('critical', 'high')).toBe(false);
    expect(isLessSevere('high', 'critical')).toBe(true);
    expect(isLessSevere('normal', 'normal')).toBe(false);
  });
});
