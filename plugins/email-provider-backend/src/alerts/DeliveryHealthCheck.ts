import type { DatabaseOutboxStore } from '../delivery/DatabaseOutboxStore';
import type { SettingsService } from '../settings/SettingsService';
import { AdminNotifier } from './AdminNotifier';
import { AlertOptions } from './AlertOptions';
import { AlertStore } from './AlertStore';

/** The open incident's record; absent while delivery works. */
const INCIDENT_KEY = 'delivery-failing';

function minutes(ms: number): string {
  const whole = Math.max(1, Math.round(ms / 60_000));
  return `${whole} ${whole === 1 ? 'minute' : 'minutes'}`;
}

/**
 * Tells the admins when delivery is failing (at least `failedMessages` messages failed for good
 * within the window, or a message has waited longer than `queuedLongerThanMs`), once per
 * incident, and once more when it recovers (neither holds any longer). The incident is kept in
 * the database, so replicas and restarts share it.
 */
export class DeliveryHealthCheck {
  constructor(
    private readonly deps: {
      outbox: DatabaseOutboxStore;
      settings: SettingsService;
      alerts: AlertStore;
      notifier: AdminNotifier;
      options: Pick<
        AlertOptions,
        'failedMessages' | 'windowMs' | 'queuedLongerThanMs'
      >;
      /** How long a message may wait before it expires; see `DeliveryOptions`. */
      expireAfterMs: number;
    },
  ) {}

  async run(now = new Date()): Promise<void> {
    const { outbox, alerts, notifier, options } = this.deps;
    const health = await outbox.deliveryHealth({
      failedSince: new Date(now.getTime() - options.windowMs),
      expiresAfterMs: this.deps.expireAfterMs,
    });
    const problems: string[] = [];
    if (health.failedCount >= options.failedMessages) {
      problems.push(
        `${health.failedCount} messages failed in the last ${minutes(
          options.windowMs,
        )}`,
      );
    }
    const waitedMs =
      health.waitingSince && now.getTime() - health.waitingSince.getTime();
    if (waitedMs !== undefined && waitedMs > options.queuedLongerThanMs) {
      problems.push(
        `${health.waitingCount} ${
          health.waitingCount === 1 ? 'message is' : 'messages are'
        } waiting to go out, the oldest for ${minutes(waitedMs)}`,
      );
    }

    const openedAt = await alerts.raisedAt(INCIDENT_KEY);
    if (problems.length > 0 && !openedAt) {
      if (await alerts.raise(INCIDENT_KEY, now)) {
        const cause = await this.cause(health.lastFailure);
        await notifier.send({
          title: 'Email delivery is failing',
          description: [
            `${problems.join('; ')}.`,
            ...(cause ? [cause] : []),
            'The deliveries on the Email provider page show each message and its error.',
          ].join(' '),
          severity: 'high',
          scope: incidentScope(now),
        });
      }
    } else if (problems.length === 0 && openedAt) {
      if (await alerts.clear(INCIDENT_KEY)) {
        await notifier.send({
          title: 'Email delivery has recovered',
          description: `Email is going out again: fewer than ${
            options.failedMessages
          } messages failed in the last ${minutes(
            options.windowMs,
          )}, and no message has waited longer than ${minutes(
            options.queuedLongerThanMs,
          )}. Delivery was failing from ${openedAt.toISOString()} until ${now.toISOString()}.`,
          severity: 'normal',
          scope: incidentScope(openedAt),
        });
      }
    }
  }

  private async cause(
    lastFailure: { code: string; message: string } | undefined,
  ): Promise<string | undefined> {
    if (!(await this.deps.settings.getActiveSender())) {
      return 'No email provider is active: choose one on the Email provider page.';
    }
    return (
      lastFailure &&
      `The latest failure (${lastFailure.code}): ${lastFailure.message.replace(
        /\.?$/,
        '.',
      )}`
    );
  }
}

/** The recovery updates the incident's notification instead of adding one. */
function incidentScope(openedAt: Date): string {
  return `email-provider:delivery-failing:${openedAt.toISOString()}`;
}
