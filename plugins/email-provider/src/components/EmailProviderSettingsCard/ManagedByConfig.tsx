import { ResponseError } from '@backstage/errors';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  EmailProviderType,
  MANAGED_BY_CONFIG,
  MANAGED_SETTINGS_CONFIG_KEY,
} from '@email-provider/backstage-plugin-email-provider-common';
import Alert from '@material-ui/lab/Alert';
import { emailProviderTranslationRef } from '../../translation';

/** The app-config key of a field of the pinned settings: `emailProvider.managedSettings.smtp.host`. */
export function configKey(field: string): string {
  return `${MANAGED_SETTINGS_CONFIG_KEY}.${field}`;
}

/** The help of a field whose value comes from the configuration: where to change it. */
export function useConfigKeyHelp(): (field: string) => string {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return field =>
    t('settings.managedByConfig.fieldHelp', { key: configKey(field) });
}

/** Helper text props that let a configuration key, one long word, wrap in a narrow field. */
export const CONFIG_KEY_HELPER_TEXT_PROPS = {
  style: { overflowWrap: 'anywhere' as const },
};

/** The 409 of a save or delete refused because the configuration pins the provider. */
export function isManagedByConfigError(error: unknown): boolean {
  return (
    error instanceof ResponseError &&
    error.statusCode === 409 &&
    error.body?.error?.code === MANAGED_BY_CONFIG
  );
}

/**
 * Why the settings cannot be changed here: the portal's configuration pins them, and changing
 * them means changing it and restarting.
 */
export function ManagedByConfigNote(props: { provider: EmailProviderType }) {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const key = <code>{MANAGED_SETTINGS_CONFIG_KEY}</code>;
  // A note, not an alert: it describes the page rather than announcing a change.
  if (props.provider === 'none') {
    return (
      <Alert severity="info" role="note">
        {t('settings.managedByConfig.off.body', {
          heading: <strong>{t('settings.managedByConfig.off.heading')}</strong>,
          key,
        })}
      </Alert>
    );
  }
  return (
    <Alert severity="info" role="note">
      {t('settings.managedByConfig.pinned.body', {
        heading: (
          <strong>{t('settings.managedByConfig.pinned.heading')}</strong>
        ),
        key,
      })}
    </Alert>
  );
}
