/**
 * Permissions, shared types and validation of the email-provider plugin, used by its frontend and
 * backend alike.
 *
 * @packageDocumentation
 */

export * from './permissions';
export * from './admins';
export type * from './access';
export * from './settings/fields';
export * from './settings/schema';
export type * from './settings/types';
export * from './settings/managed';
export type * from './delivery';
export * from './messages';
export * from './batch';
export * from './deliveryLog';
export * from './suppressions';
export * from './settings/destination';
export * from './settings/secretRequirement';
export * from './settings/fieldIssues';
