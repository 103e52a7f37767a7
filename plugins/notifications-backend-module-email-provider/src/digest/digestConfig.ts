import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  NotificationSeverity,
  notificationSeverities,
} from '@backstage/plugin-notifications-common';

const CONFIG_KEY = 'notifications.processors.emailProvider.digest';

/** How many notifications a digest email lists unless `maxItems` says otherwise. */
export const DEFAULT_DIGEST_MAX_ITEMS = 20;
const MAX_DIGEST_MAX_ITEMS = 500;

/** Severities that may bound the digest: below `low` nothing would be digested. */
const SEVERITY_BOUNDS: NotificationSeverity[] = ['normal', 'high', 'critical'];

const DEFAULT_SCHEDULE = {
  frequency: { hours: 1 },
  timeout: { minutes: 10 },
};

/** `notifications.processors.emailProvider.digest`, when enabled. */
export type DigestConfig = {
  /** Notifications less severe than this wait for the digest; the others are emailed at once. */
  severityBelow: NotificationSeverity;
  /** When digests are sent. */
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** How many notifications one digest email lists; the rest are counted and linked. */
  maxItems: number;
};

function readSeverityBelow(digest: Config): NotificationSeverity {
  const value = digest.getOptionalString('severityBelow') ?? 'high';
  const severity = SEVERITY_BOUNDS.find(s => s === value);
  if (!severity) {
    throw new InputError(
      `${CONFIG_KEY}.severityBelow must be one of ${SEVERITY_BOUNDS.join(
        ', ',
      )}, got '${value}'`,
    );
  }
  return severity;
}

function readSchedule(digest: Config): SchedulerServiceTaskScheduleDefinition {
  const schedule = digest.getOptionalConfig('schedule');
  if (!schedule) {
    return DEFAULT_SCHEDULE;
  }
  try {
    // A schedule without a timeout gets the default one rather than an error: sending a digest
    // to every user has no natural limit the admin would know.
    return readSchedulerServiceTaskScheduleDefinitionFromConfig(
      new ConfigReader({
        timeout: DEFAULT_SCHEDULE.timeout,
        ...schedule.get<object>(),
      }),
    );
  } catch (error) {
    throw new InputError(
      `${CONFIG_KEY}.schedule is not a valid schedule (e.g. frequency: { hours: 1 } or frequency: { cron: '0 9 * * *' }): ${error}`,
    );
  }
}

function readMaxItems(digest: Config): number {
  const value = digest.getOptional('maxItems') ?? DEFAULT_DIGEST_MAX_ITEMS;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_DIGEST_MAX_ITEMS
  ) {
    throw new InputError(
      `${CONFIG_KEY}.maxItems must be a whole number from 1 to ${MAX_DIGEST_MAX_ITEMS}, got '${value}'`,
    );
  }
  return value;
}

/** The digest's configuration, or undefined when digests are off (the default). */
export function readDigestConfig(config: Config): DigestConfig | undefined {
  const digest = config.getOptionalConfig(CONFIG_KEY);
  if (!digest?.getOptionalBoolean('enabled')) {
    return undefined;
  }
  return {
    severityBelow: readSeverityBelow(digest),
    schedule: readSchedule(digest),
    maxItems: readMaxItems(digest),
  };
}

/** Whether `severity` is less severe than `bound`. */
export function isLessSevere(
  severity: NotificationSeverity,
  bound: NotificationSeverity,
): boolean {
  // notificationSeverities runs from critical to low.
  return (
    notificationSeverities.indexOf(severity) >
    notificationSeverities.indexOf(bound)
  );
}
