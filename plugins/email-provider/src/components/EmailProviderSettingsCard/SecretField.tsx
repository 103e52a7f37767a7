import { useTranslationRef } from '@backstage/frontend-plugin-api';
import TextField from '@material-ui/core/TextField';
import type { SecretRequiredReason } from '@email-provider/backstage-plugin-email-provider-common';
import { emailProviderTranslationRef } from '../../translation';
import { SecretState } from './validation';
import { CONFIG_KEY_HELPER_TEXT_PROPS } from './ManagedByConfig';

/**
 * A write-only secret: never shown, "saved" when one is stored, asked for again when the
 * destination changed. With `configKey` the secret comes from the configuration: the field only
 * says whether that key is set.
 */
export function SecretField(props: {
  id: string;
  label: string;
  /** Which secret it is, for the sentences about it. */
  kind: 'password' | 'clientSecret' | 'certificate';
  value: string;
  state: SecretState;
  error?: string;
  disabled?: boolean;
  onChange(value: string): void;
  /** Put before "Stored encrypted and never shown again.", ending with a space. */
  help?: string;
  /** The app-config key the secret is set with when the configuration pins the settings. */
  configKey?: string;
  /**
   * A text area instead of a masked field, for a PEM: it cannot be masked, but like a secret it
   * is never read back.
   */
  multiline?: boolean;
  /** The public description of the saved secret (a certificate's thumbprint and expiry). */
  savedDetails?: string;
  /** Why the secret must be entered, for reasons other than a new or changed destination. */
  requiredHelp?: Partial<Record<SecretRequiredReason, string>>;
}) {
  const { id, label, kind, value, state, error, disabled } = props;
  const { configKey, multiline, savedDetails } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const shownAsSet = configKey ? state.saved : state.saved && !state.required;
  const details = savedDetails ? ` ${savedDetails}` : '';
  const reasonHelp = state.required
    ? props.requiredHelp?.[state.reason]
    : undefined;
  let helperText: string;
  if (error) {
    helperText = error;
  } else if (configKey) {
    helperText = state.saved
      ? t('fields.secret.setInConfig', { key: configKey, details })
      : t('fields.secret.notSetInConfig', { key: configKey });
  } else if (!state.required) {
    helperText = t(`fields.secret.${kind}.saved`, { details });
  } else if (reasonHelp) {
    helperText = reasonHelp;
  } else if (state.reason === 'destination-changed') {
    helperText = t(`fields.secret.${kind}.enterAgain`);
  } else {
    helperText = t('fields.secret.storedEncrypted', { help: props.help ?? '' });
  }
  return (
    <TextField
      id={id}
      label={label}
      type={multiline ? undefined : 'password'}
      multiline={multiline}
      minRows={multiline ? 4 : undefined}
      autoComplete={multiline ? 'off' : 'new-password'}
      value={value}
      onChange={event => props.onChange(event.target.value)}
      placeholder={
        shownAsSet
          ? t(
              configKey
                ? 'fields.secret.setPlaceholder'
                : 'fields.secret.savedPlaceholder',
            )
          : undefined
      }
      InputLabelProps={shownAsSet ? { shrink: true } : {}}
      inputProps={{
        'aria-required': !configKey && state.required,
        ...(multiline
          ? { spellCheck: false, style: { fontFamily: 'monospace' } }
          : {}),
      }}
      error={Boolean(error)}
      helperText={helperText}
      FormHelperTextProps={configKey ? CONFIG_KEY_HELPER_TEXT_PROPS : undefined}
      disabled={disabled}
      fullWidth
      margin="normal"
      variant="outlined"
    />
  );
}
