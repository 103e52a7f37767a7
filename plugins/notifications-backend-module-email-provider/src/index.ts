/**
 * A module for Backstage's notifications backend that sends notifications by email through the
 * portal's email provider.
 *
 * @packageDocumentation
 */

export { notificationsModuleEmailProvider as default } from './module';
