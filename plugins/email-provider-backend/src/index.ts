/**
 * The email-provider backend plugin.
 *
 * @packageDocumentation
 */

export { emailProviderPlugin as default } from './plugin';
