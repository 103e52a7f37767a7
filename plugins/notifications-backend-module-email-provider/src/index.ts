/***/
/**
 * The email-provider backend module for the notifications plugin.
 *
 * @packageDocumentation
 */

export { notificationsModuleEmailProvider as default } from './module';
