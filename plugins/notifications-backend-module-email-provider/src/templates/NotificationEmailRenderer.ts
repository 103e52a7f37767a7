import { LoggerService } from '@backstage/backend-plugin-api';
import { Notification } from '@backstage/plugin-notifications-common';
import { DigestEmailOptions, renderDigestEmail } from '../email/digestEmail';
import {
  absoluteHttpLink,
  NotificationEmail,
  notificationsPageUrl,
  PortalDetails,
  renderNotificationEmail,
  subjectLine,
} from '../email/notificationEmail';
import {
  NotificationEmailParts,
  NotificationsEmailProviderTemplate,
} from './NotificationsEmailProviderTemplate';

const PARTS = ['subject', 'text', 'html'] as const;

/**
 * The template's parts over the default email. The subject is made one line and cut to the
 * limit whoever wrote it; one that is empty after that is left to the default.
 */
function withParts(
  defaultEmail: NotificationEmail,
  parts: NotificationEmailParts | undefined,
): NotificationEmail {
  if (parts === undefined) {
    return defaultEmail;
  }
  if (parts === null || typeof parts !== 'object') {
    throw new TypeError(
      `the template returned ${
        parts === null ? 'null' : typeof parts
      }, not an object with subject, text or html`,
    );
  }
  for (const part of PARTS) {
    if (parts[part] !== undefined && typeof parts[part] !== 'string') {
      throw new TypeError(
        `the template returned a ${typeof parts[
          part
        ]} as ${part}, not a string`,
      );
    }
  }
  return {
    subject:
      (parts.subject !== undefined && subjectLine(parts.subject)) ||
      defaultEmail.subject,
    text: parts.text ?? defaultEmail.text,
    html: parts.html ?? defaultEmail.html,
  };
}

/**
 * Renders notification and digest emails: the portal's template
 * (`notificationsEmailProviderTemplateExtensionPoint`) where it supplies a part, the module's
 * default rendering for the rest, and the default alone when the template fails, so that a
 * broken template never costs anybody their email.
 */
export class NotificationEmailRenderer {
  constructor(
    private readonly options: {
      portal: PortalDetails;
      logger: LoggerService;
      template?: NotificationsEmailProviderTemplate;
    },
  ) {}

  private get links() {
    const { portal } = this.options;
    return {
      notificationsPage: notificationsPageUrl(portal.baseUrl),
      settingsPage: portal.settingsUrl,
    };
  }

  private get portal() {
    const { title, baseUrl } = this.options.portal;
    return { title, baseUrl };
  }

  /**
   * The email of `notification` for each of its recipients. The default is rendered once, and a
   * failing template is logged once, however many users (a broadcast) the email is for.
   */
  forNotification(
    notification: Notification,
  ): (userRef: string) => Promise<NotificationEmail> {
    const { portal, template, logger } = this.options;
    const defaultEmail = renderNotificationEmail(notification, portal);
    if (!template?.render) {
      return async () => defaultEmail;
    }
    const links = {
      notification: absoluteHttpLink(notification.payload.link, portal.baseUrl),
      ...this.links,
    };
    let failureLogged = false;
    return async userRef => {
      try {
        return withParts(
          defaultEmail,
          await template.render!({
            notification,
            userRef,
            portal: this.portal,
            links,
            defaultEmail,
          }),
        );
      } catch (error) {
        if (!failureLogged) {
          failureLogged = true;
          logger.error(
            `The notification email template failed for notification ${notification.id}; sending the default email instead: ${error}`,
          );
        }
        return defaultEmail;
      }
    };
  }

  /** The digest email of `notifications` for one user. */
  async forDigest(
    notifications: Notification[],
    userRef: string,
    digestOptions?: DigestEmailOptions,
  ): Promise<NotificationEmail> {
    const { portal, template, logger } = this.options;
    const defaultEmail = renderDigestEmail(
      notifications,
      portal,
      digestOptions,
    );
    if (!template?.renderDigest) {
      return defaultEmail;
    }
    try {
      return withParts(
        defaultEmail,
        await template.renderDigest({
          notifications,
          userRef,
          portal: this.portal,
          links: this.links,
          defaultEmail,
        }),
      );
    } catch (error) {
      logger.error(
        `The notification digest email template failed for ${userRef}; sending the default digest instead: ${error}`,
      );
      return defaultEmail;
    }
  }
}
