import {
  EmailProviderSettings,
  EmailProviderType,
  Microsoft365Cloud,
  Microsoft365Credential,
  SmtpSecurity,
} from '@email-provider/backstage-plugin-email-provider-common';

export const SECURITY_LABELS: Record<SmtpSecurity, string> = {
  starttls: 'StartTLS',
  tls: 'SSL/TLS',
  none: 'None',
};

export const PROVIDER_LABELS: Record<EmailProviderType, string> = {
  none: 'None',
  smtp: 'SMTP',
  microsoft365: 'Microsoft 365',
};

export const CLOUD_LABELS: Record<Microsoft365Cloud, string> = {
  global: 'Global',
  'usgov-high': 'US Government (GCC High)',
  'usgov-dod': 'US Government (DoD)',
  china: 'China (21Vianet)',
};

export const CREDENTIAL_LABELS: Record<Microsoft365Credential, string> = {
  secret: 'Secret',
  certificate: 'Certificate',
};

/** The settings as a short phrase: `SMTP (smtp.example.com:587)`. */
export function describeSettings(settings: EmailProviderSettings): string {
  if (settings.provider === 'smtp') {
    const security =
      settings.smtp.security === 'none'
        ? 'no encryption'
        : SECURITY_LABELS[settings.smtp.security];
    const signIn =
      settings.smtp.authentication === 'none' ? ', no authentication' : '';
    return `SMTP (${settings.smtp.host}:${settings.smtp.port}, ${security}${signIn})`;
  }
  if (settings.provider === 'microsoft365') {
    return `Microsoft 365 (${settings.microsoft365.from})`;
  }
  return 'None';
}
