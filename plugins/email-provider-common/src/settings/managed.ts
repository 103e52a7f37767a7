/**
 * The configuration key that pins the provider, in the PUT body's shape.
 *
 * @public
 */
export const MANAGED_SETTINGS_CONFIG_KEY = 'emailProvider.managedSettings';

/**
 * The `error.code` of the 409 that `PUT` and `DELETE /settings` answer while the provider is
 * pinned by {@link MANAGED_SETTINGS_CONFIG_KEY}.
 *
 * @public
 */
export const MANAGED_BY_CONFIG = 'managed-by-config';
