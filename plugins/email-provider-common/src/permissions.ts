import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Read the active email provider's settings (never its secrets).
 *
 * @public
 */
export const emailProviderSettingsReadPermission = createPermission({
  name: 'email-provider.settings.read',
  attributes: { action: 'read' },
});

/**
 * Activate, replace or delete the email provider, send a test email, check a connection and
 * re-queue failed messages.
 *
 * @public
 */
export const emailProviderSettingsUpdatePermission = createPermission({
  name: 'email-provider.settings.update',
  attributes: { action: 'update' },
});

/**
 * Read the delivery log (status and metadata of sent messages, never bodies or attachments).
 *
 * @public
 */
export const emailProviderDeliveriesReadPermission = createPermission({
  name: 'email-provider.deliveries.read',
  attributes: { action: 'read' },
});

/**
 * Every permission of the email provider plugin.
 *
 * @public
 */
export const emailProviderPermissions = [
  emailProviderSettingsReadPermission,
  emailProviderSettingsUpdatePermission,
  emailProviderDeliveriesReadPermission,
];
