import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { Notification } from '@backstage/plugin-notifications-common';
import { NotificationEmail } from '../email/notificationEmail';

/**
 * The parts of an email a template supplies; a part left out is the module's default one.
 *
 * @public
 */
export type NotificationEmailParts = Partial<NotificationEmail>;

/**
 * Links of a notification email, absolute and safe to put in an `href` once HTML-escaped.
 *
 * @public
 */
export type NotificationEmailLinks = {
  /**
   * The notification's own `link`, made absolute against `app.baseUrl`; undefined when it has
   * none or it is not an `http:` or `https:` link (`javascript:`, `data:`…).
   */
  notification?: string;
  /** The portal's notifications page, `<app.baseUrl>/notifications`. */
  notificationsPage: string;
  /** The page where users turn notification emails off (`settingsUrl`). */
  settingsPage: string;
};

/**
 * The portal that sends notification emails, as configured (`app.title`, `app.baseUrl`).
 *
 * @public
 */
export type NotificationEmailPortal = {
  title: string;
  baseUrl: string;
};

/**
 * What a template gets to render the email of one notification for one user.
 *
 * @public
 */
export type NotificationEmailContext = {
  notification: Notification;
  /** The entity ref of the user the email is for. */
  userRef: string;
  portal: NotificationEmailPortal;
  links: NotificationEmailLinks;
  /** The module's own rendering of this email, for a template that changes only part of it. */
  defaultEmail: NotificationEmail;
};

/**
 * What a template gets to render one user's digest email.
 *
 * @public
 */
export type NotificationDigestEmailContext = {
  /** The notifications the digest gathers, in the order the default digest lists them. */
  notifications: Notification[];
  /** The entity ref of the user the email is for. */
  userRef: string;
  portal: NotificationEmailPortal;
  links: Omit<NotificationEmailLinks, 'notification'>;
  /** The module's own rendering of this digest. */
  defaultEmail: NotificationEmail;
};

/**
 * A portal's own notification emails.
 *
 * @remarks
 *
 * Each method may supply any of `subject`, `text` and `html`; the parts it leaves out, and the
 * whole email when it has no such method, are the module's default. Titles, descriptions and
 * other values of a notification come from other plugins and users: the HTML a template returns
 * is sent as it is, so it must pass every such value through `escapeHtml`. The subject is still
 * made one line (line breaks and control characters become spaces) and cut to 998 characters.
 * A method that throws, or returns something other than strings, is logged as an error and the
 * user gets the default email.
 *
 * @public
 */
export interface NotificationsEmailProviderTemplate {
  /** The email of one notification for one user. */
  render?(context: NotificationEmailContext): Promise<NotificationEmailParts>;
  /** The digest email of several notifications for one user. */
  renderDigest?(
    context: NotificationDigestEmailContext,
  ): Promise<NotificationEmailParts>;
}

/**
 * Lets another module of the notifications backend supply the emails' templates.
 *
 * @public
 */
export interface NotificationsEmailProviderTemplateExtensionPoint {
  /** Sets the template; only one module may set it. */
  setTemplate(template: NotificationsEmailProviderTemplate): void;
}

/**
 * The extension point of the email-provider notifications module for custom email templates.
 *
 * @public
 */
export const notificationsEmailProviderTemplateExtensionPoint =
  createExtensionPoint<NotificationsEmailProviderTemplateExtensionPoint>({
    id: 'notifications.email-provider.templates',
  });
