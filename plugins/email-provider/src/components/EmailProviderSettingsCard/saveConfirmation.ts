import { useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  EmailProviderSettings,
  EmailProviderSettingsInput,
} from '@email-provider/backstage-plugin-email-provider-common';
import { emailProviderTranslationRef } from '../../translation';
import { useSettingsLabels } from './labels';

/** A save that deletes saved settings, waiting for the admin to confirm it. */
export type Confirmation = {
  input: EmailProviderSettingsInput;
  /** The saved settings the save deletes. */
  deletes: EmailProviderSettings;
};

/** What the confirmation dialog says. */
export type ConfirmationText = {
  title: string;
  body: string;
  confirmLabel: string;
};

/** The secret that saved settings hold besides their fields, for the sentence saying what is deleted. */
function secretOf(
  settings: EmailProviderSettings,
): 'plain' | 'password' | 'clientSecret' | 'certificate' {
  if (settings.provider === 'smtp') {
    return settings.smtp.authentication === 'none' ? 'plain' : 'password';
  }
  if (settings.provider === 'microsoft365') {
    return settings.microsoft365.credential === 'certificate'
      ? 'certificate'
      : 'clientSecret';
  }
  return 'plain';
}

/** What a save would delete, for the confirmation; undefined when it deletes nothing. */
export function confirmationFor(
  saved: EmailProviderSettings,
  input: EmailProviderSettingsInput,
): Confirmation | undefined {
  if (saved.provider === 'none' || saved.provider === input.provider) {
    return undefined;
  }
  return { input, deletes: saved };
}

/** The confirmation's title, its sentence naming what is deleted, and its button, in the page's language. */
export function useConfirmationText(): (
  confirmation: Confirmation,
) => ConfirmationText {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const labels = useSettingsLabels();
  return ({ input, deletes }) => {
    const settings = labels.describeSettings(deletes);
    const secret = secretOf(deletes);
    if (input.provider === 'none') {
      return {
        title: t('settings.confirm.deleteAll.title'),
        body: t(`settings.confirm.deleteAll.body.${secret}`, { settings }),
        confirmLabel: t('settings.confirm.deleteAll.confirm'),
      };
    }
    const next = labels.provider[input.provider];
    const current = labels.provider[deletes.provider];
    return {
      title: t('settings.confirm.switch.title', { next }),
      body: t(`settings.confirm.switch.body.${secret}`, {
        next,
        current,
        settings,
      }),
      confirmLabel: t('settings.confirm.switch.confirm', { current }),
    };
  };
}
