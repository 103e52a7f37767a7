/**
 * A module for Backstage's notifications backend that sends notifications by email through the
 * portal's email provider.
 *
 * @packageDocumentation
 */

export { notificationsModuleEmailProvider as default } from './module';
export { escapeHtml } from './email/escapeHtml';
export type { NotificationEmail } from './email/notificationEmail';
export { notificationsEmailProviderTemplateExtensionPoint } from './templates/NotificationsEmailProviderTemplate';
export type {
  NotificationDigestEmailContext,
  NotificationEmailContext,
  NotificationEmailLinks,
  NotificationEmailParts,
  NotificationEmailPortal,
  NotificationsEmailProviderTemplate,
  NotificationsEmailProviderTemplateExtensionPoint,
} from './templates/NotificationsEmailProviderTemplate';
