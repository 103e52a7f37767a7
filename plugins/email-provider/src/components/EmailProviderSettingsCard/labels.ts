import {
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';
import {
  EmailProviderSettings,
  EmailProviderType,
  MICROSOFT365_CLOUDS,
  MICROSOFT365_CREDENTIALS,
  Microsoft365Cloud,
  Microsoft365Credential,
  SMTP_SECURITY_MODES,
  SmtpSecurity,
} from '@email-provider/backstage-plugin-email-provider-common';
import { useMemo } from 'react';
import { emailProviderTranslationRef } from '../../translation';

/** The names of the settings' choices, and the settings as a short phrase, in the page's language. */
export type SettingsLabels = {
  provider: Record<EmailProviderType, string>;
  security: Record<SmtpSecurity, string>;
  cloud: Record<Microsoft365Cloud, string>;
  credential: Record<Microsoft365Credential, string>;
  /** The settings as a short phrase: `SMTP (smtp.example.com:587, StartTLS)`. */
  describeSettings(settings: EmailProviderSettings): string;
};

const PROVIDERS: EmailProviderType[] = ['none', 'smtp', 'microsoft365'];

function byKey<K extends string>(
  keys: readonly K[],
  label: (key: K) => string,
): Record<K, string> {
  return Object.fromEntries(keys.map(key => [key, label(key)])) as Record<
    K,
    string
  >;
}

/** The labels from the plugin's translation function. */
function settingsLabels(
  t: TranslationFunction<typeof emailProviderTranslationRef.T>,
): SettingsLabels {
  const provider = byKey(PROVIDERS, key => t(`fields.provider.${key}`));
  const security = byKey(SMTP_SECURITY_MODES, key =>
    t(`fields.security.${key}`),
  );
  return {
    provider,
    security,
    cloud: byKey(MICROSOFT365_CLOUDS, key => t(`fields.cloud.${key}`)),
    credential: byKey(MICROSOFT365_CREDENTIALS, key =>
      t(`fields.credential.${key}`),
    ),
    describeSettings(settings) {
      if (settings.provider === 'smtp') {
        const { host, port, authentication } = settings.smtp;
        const values = {
          host,
          port: String(port),
          security:
            settings.smtp.security === 'none'
              ? t('fields.summary.noEncryption')
              : security[settings.smtp.security],
        };
        return authentication === 'none'
          ? t('fields.summary.smtpWithoutAuthentication', values)
          : t('fields.summary.smtp', values);
      }
      if (settings.provider === 'microsoft365') {
        return t('fields.summary.microsoft365', {
          from: settings.microsoft365.from,
        });
      }
      return provider.none;
    },
  };
}

/** The labels in the page's language. */
export function useSettingsLabels(): SettingsLabels {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return useMemo(() => settingsLabels(t), [t]);
}
