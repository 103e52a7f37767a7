/**
 * The email-provider backend plugin, and the email provider admins for a portal's own permission
 * policy.
 *
 * @packageDocumentation
 */

export { emailProviderPlugin as default } from './plugin';
export { EmailProviderAdmins } from './permissions/EmailProviderAdmins';
