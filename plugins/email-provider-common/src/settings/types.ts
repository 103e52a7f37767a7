import type { SmtpSecurity } from './schema';

/**
 * Who saved the active provider, and when. `version` increases with every save and is what
 * `If-Match` compares against.
 *
 * @public
 */
export type SettingsRevision = {
  version: number;
  updatedAt: string;
  updatedBy: string;
};

/**
 * SMTP settings as read back: never the password, only whether one is saved.
 *
 * @public
 */
export type SmtpSettings = {
  host: string;
  port: number;
  security: SmtpSecurity;
  from: string;
  fromName?: string;
  usernameSameAsFrom: boolean;
  username: string;
  passwordSet: boolean;
};

/**
 * Microsoft 365 settings as read back: never the client secret, only whether one is saved.
 *
 * @public
 */
export type Microsoft365Settings = {
  from: string;
  tenantId: string;
  clientId: string;
  clientSecretSet: boolean;
  /**
   * Present, and true, only when the app also has the Mail.ReadWrite application permission and
   * messages over 3 MB go through a draft and upload sessions; left out otherwise.
   */
  largeMessages?: true;
};

/**
 * The active email provider as `GET /settings` returns it.
 *
 * @public
 */
export type EmailProviderSettings = (
  | { provider: 'none' }
  | ({ provider: 'smtp'; smtp: SmtpSettings } & SettingsRevision)
  | ({
      provider: 'microsoft365';
      microsoft365: Microsoft365Settings;
    } & SettingsRevision)
) &
  SettingsManagement;

/**
 * Whether the portal's configuration pins the provider. With `managedBy: 'config'` the settings
 * come from `emailProvider.managedSettings` in app-config: they can be used (test email,
 * connection check, delivery) but not changed through the API or the page; `PUT` and `DELETE`
 * answer 409 with the code `managed-by-config`. Left out when admins manage the settings.
 *
 * @public
 */
export type SettingsManagement = { managedBy?: 'config' };

/**
 * Which provider is active: `none`, `smtp` or `microsoft365`.
 *
 * @public
 */
export type EmailProviderType = EmailProviderSettings['provider'];
