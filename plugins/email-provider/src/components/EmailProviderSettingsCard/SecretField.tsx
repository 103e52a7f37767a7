import TextField from '@material-ui/core/TextField';
import { SecretState } from './form';

/**
 * A write-only secret: never shown, "saved" when one is stored, asked for again when the
 * destination changed.
 */
export function SecretField(props: {
  id: string;
  label: string;
  /** How the secret is called in sentences: "password", "client secret". */
  noun: string;
  /** What counts as the destination, for the sentence asking to enter the secret again. */
  destination: string;
  value: string;
  state: SecretState;
  error?: string;
  disabled?: boolean;
  onChange(value: string): void;
  help?: string;
}) {
  const { id, label, noun, destination, value, state, error, disabled } = props;
  let helperText: string;
  if (error) {
    helperText = error;
  } else if (!state.required) {
    helperText = `A ${noun} is saved. Leave this empty to keep it, or type a new one to replace it.`;
  } else if (state.reason === 'destination-changed') {
    helperText = `Enter the ${noun} again: the ${destination} changed, and a saved ${noun} is never sent to a new destination.`;
  } else {
    helperText = `${props.help ?? ''}Stored encrypted and never shown again.`;
  }
  return (
    <TextField
      id={id}
      label={label}
      type="password"
      autoComplete="new-password"
      value={value}
      onChange={event => props.onChange(event.target.value)}
      placeholder={
        state.saved && !state.required ? '•••••••• saved' : undefined
      }
      InputLabelProps={state.saved && !state.required ? { shrink: true } : {}}
      inputProps={{ 'aria-required': state.required }}
      error={Boolean(error)}
      helperText={helperText}
      disabled={disabled}
      fullWidth
      margin="normal"
      variant="outlined"
    />
  );
}
