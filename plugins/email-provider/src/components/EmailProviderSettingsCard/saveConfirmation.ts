import {
  EmailProviderSettings,
  EmailProviderSettingsInput,
} from '@email-provider/backstage-plugin-email-provider-common';
import { describeSettings, PROVIDER_LABELS } from './labels';

/** A save that deletes saved settings, waiting for the admin to confirm it. */
export type Confirmation = {
  title: string;
  body: string;
  confirmLabel: string;
  input: EmailProviderSettingsInput;
};

/** What saved settings hold besides their fields, for the sentence saying what is deleted. */
function withItsSecret(settings: EmailProviderSettings): string {
  if (settings.provider === 'smtp') {
    return settings.smtp.authentication === 'none' ? '' : ' with its password';
  }
  if (settings.provider === 'microsoft365') {
    return settings.microsoft365.credential === 'certificate'
      ? ' with its certificate and private key'
      : ' with its client secret';
  }
  return '';
}

/** What a save would delete, for the confirmation; undefined when it deletes nothing. */
export function confirmationFor(
  saved: EmailProviderSettings,
  input: EmailProviderSettingsInput,
): Confirmation | undefined {
  if (saved.provider === 'none' || saved.provider === input.provider) {
    return undefined;
  }
  const current = PROVIDER_LABELS[saved.provider];
  if (input.provider === 'none') {
    return {
      title: 'Delete all email settings?',
      body: `All saved settings will be deleted: ${describeSettings(
        saved,
      )}${withItsSecret(
        saved,
      )}. The portal sends no email until a provider is saved again.`,
      confirmLabel: 'Delete all settings',
      input,
    };
  }
  const next = PROVIDER_LABELS[input.provider];
  return {
    title: `Switch to ${next}?`,
    body: `Saving activates ${next} and deletes the saved ${current} settings: ${describeSettings(
      saved,
    )}${withItsSecret(saved)}. Switching back later means entering them again.`,
    confirmLabel: `Delete ${current} settings and switch`,
    input,
  };
}
