import {
  EmailProviderSettings,
  EmailProviderType,
  MANAGED_SETTINGS_CONFIG_KEY,
} from '@email-provider/backstage-plugin-email-provider-common';
import type { SettingsChange } from '../settings/SettingsService';
import { AdminAlert } from './AdminNotifier';

const PROVIDER_NAMES: Record<EmailProviderType, string> = {
  none: 'None',
  smtp: 'SMTP',
  microsoft365: 'Microsoft 365',
};

/** The active provider in one sentence, from the read shape, so never with a secret. */
export function describeSettings(settings: EmailProviderSettings): string {
  switch (settings.provider) {
    case 'smtp': {
      const { smtp } = settings;
      const signIn =
        smtp.authentication === 'none'
          ? 'without signing in'
          : `signing in as ${smtp.username}`;
      return `SMTP through ${smtp.host}:${smtp.port} (${smtp.security}), sending as ${smtp.from}, ${signIn}`;
    }
    case 'microsoft365': {
      const { microsoft365 } = settings;
      const cloud = microsoft365.cloud ? `, ${microsoft365.cloud} cloud` : '';
      const credential =
        microsoft365.credential === 'certificate'
          ? `a certificate${
              microsoft365.certificate
                ? ` (thumbprint ${microsoft365.certificate.thumbprint})`
                : ''
            }`
          : 'a client secret';
      return `Microsoft 365, sending as ${microsoft365.from} with app ${microsoft365.clientId} in tenant ${microsoft365.tenantId}${cloud}, signing in with ${credential}`;
    }
    default:
      return 'none: the portal sends no email';
  }
}

/**
 * What the admins are told when the email provider changed: who changed it, from which provider
 * to which, and which fields (by name; a secret is only ever said to be new).
 */
export function settingsChangeAlert(options: {
  change: SettingsChange;
  /** The settings after the change, as `GET /settings` reads them. */
  settings: EmailProviderSettings;
  /** The user or service that saved, or what replaced the saved settings. */
  changedBy: string;
}): AdminAlert {
  const { change, settings, changedBy } = options;
  const from = PROVIDER_NAMES[change.previousProvider];
  const to = PROVIDER_NAMES[change.provider];
  let title: string;
  let what: string;
  if (change.provider === change.previousProvider) {
    title = `${to} settings of the email provider changed`;
    what = `changed the ${to} settings of the email provider`;
  } else {
    title =
      change.provider === 'none'
        ? `Email provider switched off (was ${from})`
        : `Email provider changed from ${from} to ${to}`;
    what = `changed the email provider from ${from} to ${to}`;
  }
  const fields = change.changedFields.filter(field => field !== 'provider');
  return {
    title,
    description: [
      `${changedBy} ${what} (version ${change.version}).`,
      `Now: ${describeSettings(settings)}.`,
      ...(fields.length > 0 ? [`Changed: ${fields.join(', ')}.`] : []),
    ].join(' '),
    severity: 'normal',
  };
}

/**
 * What the admins are told when, at startup, the provider pinned by configuration replaced the
 * settings they had saved, which were deleted.
 */
export function managedSettingsAlert(options: {
  deleted: SettingsChange;
  /** The configured settings, as `GET /settings` reads them. */
  settings: EmailProviderSettings;
}): AdminAlert {
  const { deleted, settings } = options;
  const from = PROVIDER_NAMES[deleted.previousProvider];
  const to = PROVIDER_NAMES[settings.provider];
  return {
    title: `Email provider set by configuration: ${to} (was ${from})`,
    description: [
      `At startup, the portal's configuration (${MANAGED_SETTINGS_CONFIG_KEY}) took over the email provider, and the ${from} settings admins had saved were deleted.`,
      `Now: ${describeSettings(settings)}.`,
      'The Email provider page shows it read-only until the configuration key is removed.',
    ].join(' '),
    severity: 'normal',
  };
}
