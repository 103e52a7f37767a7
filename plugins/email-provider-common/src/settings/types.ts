import type { Microsoft365Cloud, SmtpSecurity } from './schema';

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
 * SMTP settings as read back: never the password, only whether one is saved. With
 * `authentication: 'none'` (a relay that admits the portal by its address) there is no username
 * and no password; otherwise `authentication` is left out.
 *
 * @public
 */
export type SmtpSettings = {
  host: string;
  port: number;
  security: SmtpSecurity;
  from: string;
  fromName?: string;
} & (
  | {
      authentication?: undefined;
      usernameSameAsFrom: boolean;
      username: string;
      passwordSet: boolean;
    }
  | { authentication: 'none'; passwordSet: false }
);

/**
 * The public description of a Microsoft 365 client certificate: what to compare with the
 * certificate Entra lists for the app, and when it expires.
 *
 * @public
 */
export type Microsoft365CertificateInfo = {
  /** SHA-1 thumbprint, upper-case hex, as Entra's Certificates & secrets page shows it. */
  thumbprint: string;
  subject: string;
  /** When the certificate expires, ISO 8601. */
  notAfter: string;
};

/**
 * Microsoft 365 settings as read back: never the client secret or private key, only whether one
 * is saved. Fields at their default (`cloud: 'global'`, `credential: 'secret'`) are left out.
 *
 * @public
 */
export type Microsoft365Settings = {
  from: string;
  tenantId: string;
  clientId: string;
  clientSecretSet: boolean;
  /** Present when the tenant is not in the global cloud. */
  cloud?: Exclude<Microsoft365Cloud, 'global'>;
  /** Present when the app signs in with a certificate instead of a client secret. */
  credential?: 'certificate';
  clientCertificateSet?: true;
  certificate?: Microsoft365CertificateInfo;
  /** The client secret's expiry as the admin entered it from Entra. */
  clientSecretExpiresAt?: string;
  /** When the credential in use expires, ISO 8601: the secret's entered expiry, or the certificate's. */
  credentialExpiresAt?: string;
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
