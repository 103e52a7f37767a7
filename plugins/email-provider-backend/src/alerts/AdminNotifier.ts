import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';

/** The admin page, where every alert leads. */
const ADMIN_PAGE = '/email-provider';

/** What the admins can mute in their notification settings. */
export const ALERT_TOPIC = 'email-provider';

/** Something the email provider admins should know. Never holds a secret. */
export type AdminAlert = {
  title: string;
  description: string;
  severity: 'normal' | 'high';
  /**
   * Alerts with the same scope are one notification: a later one updates it (and marks it
   * unread) instead of adding another.
   */
  scope?: string;
};

/**
 * Tells the email provider admins (`emailProvider.admins`) through Backstage's notifications,
 * so the bell shows it even when email is what broke. Without the notifications backend in the
 * portal, or with nobody listed as admin, each alert is a warning in the log instead.
 */
export class AdminNotifier {
  private started = false;
  private held: AdminAlert[] = [];

  constructor(
    private readonly options: {
      notifications: NotificationService;
      logger: LoggerService;
      admins: string[];
      /** Off: alerts are dropped, neither notified nor logged. */
      enabled: boolean;
    },
  ) {}

  /**
   * Sends the alert, and resolves once it was notified or logged; never rejects. Before the
   * backend has started (see `start`) the alert is held and this resolves at once.
   */
  async send(alert: AdminAlert): Promise<void> {
    if (!this.options.enabled) {
      return;
    }
    if (!this.started) {
      this.held.push(alert);
      return;
    }
    await this.deliver(alert);
  }

  /**
   * Call once the whole backend has started: from then on alerts go out as they come, and
   * those held until then go now. Plugins start one by one, so before then the notifications
   * backend may not take requests yet, and an alert from this plugin's initialization (the
   * startup deletion for managed settings) would be lost.
   */
  async start(): Promise<void> {
    this.started = true;
    const held = this.held;
    this.held = [];
    await Promise.all(held.map(alert => this.deliver(alert)));
  }

  private async deliver(alert: AdminAlert): Promise<void> {
    const { notifications, logger, admins } = this.options;
    const text = `${alert.title}. ${alert.description}`;
    if (admins.length === 0) {
      logger.warn(
        `${text} (no one is listed in emailProvider.admins to notify)`,
      );
      return;
    }
    try {
      await notifications.send({
        recipients: { type: 'entity', entityRef: admins },
        payload: {
          title: alert.title,
          description: alert.description,
          link: ADMIN_PAGE,
          severity: alert.severity,
          topic: ALERT_TOPIC,
          ...(alert.scope ? { scope: alert.scope } : {}),
        },
      });
      logger.info(`Notified the email provider admins: ${alert.title}`);
    } catch (error) {
      // Most often the portal has no notifications backend; the log is then the only place.
      logger.warn(
        `${text} (the admins could not be notified: ${
          (error as Error).message
        })`,
      );
    }
  }
}
