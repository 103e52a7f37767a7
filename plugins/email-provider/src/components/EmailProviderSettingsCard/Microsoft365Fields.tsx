import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { FieldErrors, Microsoft365Draft, SecretState } from './form';
import { fieldId } from './ids';
import {
  CONFIG_KEY_HELPER_TEXT_PROPS,
  configKey,
  configKeyHelp,
} from './ManagedByConfig';
import { SecretField } from './SecretField';

export function Microsoft365Fields(props: {
  microsoft365: Microsoft365Draft;
  onChange(microsoft365: Microsoft365Draft): void;
  errors: FieldErrors;
  secret: SecretState;
  readOnly: boolean;
  /** The configuration pins the settings: each field names its key instead of its help. */
  managed: boolean;
}) {
  const { microsoft365, onChange, errors, secret, readOnly, managed } = props;
  const largeMessagesHelpId = `${fieldId(
    'microsoft365.largeMessages',
  )}-helper-text`;
  const set = (changes: Partial<Microsoft365Draft>) =>
    onChange({ ...microsoft365, ...changes });
  const help = (field: string, text: string) =>
    errors[field] ?? (managed ? configKeyHelp(field) : text);
  const common = {
    fullWidth: true,
    margin: 'normal' as const,
    variant: 'outlined' as const,
    disabled: readOnly,
    FormHelperTextProps: managed ? CONFIG_KEY_HELPER_TEXT_PROPS : undefined,
    // Required, but labels stay exactly as written (no asterisk in the accessible name).
    inputProps: { 'aria-required': true },
    autoComplete: 'off',
  };

  return (
    <Grid container spacing={2}>
      <Grid item xs={12}>
        <Typography variant="body2" color="textSecondary">
          The portal sends as a mailbox of your tenant through Microsoft Graph,
          signing in as an app registration of Microsoft Entra with a client
          secret. The app needs the Microsoft Graph <strong>application</strong>{' '}
          permission <code>Mail.Send</code> with admin consent (Entra admin
          center → App registrations → your app → API permissions → Grant admin
          consent). To limit which mailboxes it may send as, add an Exchange
          application access policy.
        </Typography>
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('microsoft365.from')}
          label="Sender email address"
          type="email"
          value={microsoft365.from}
          onChange={event => set({ from: event.target.value })}
          error={Boolean(errors['microsoft365.from'])}
          helperText={help(
            'microsoft365.from',
            'The mailbox the portal sends as: a user principal name such as reports@contoso.onmicrosoft.com, with an Exchange Online mailbox (a shared mailbox works).',
          )}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('microsoft365.tenantId')}
          label="Tenant ID"
          value={microsoft365.tenantId}
          onChange={event => set({ tenantId: event.target.value })}
          error={Boolean(errors['microsoft365.tenantId'])}
          helperText={help(
            'microsoft365.tenantId',
            'Entra admin center → Overview → Tenant ID (a GUID), or a verified domain such as contoso.onmicrosoft.com.',
          )}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('microsoft365.clientId')}
          label="Client ID"
          value={microsoft365.clientId}
          onChange={event => set({ clientId: event.target.value })}
          error={Boolean(errors['microsoft365.clientId'])}
          helperText={help(
            'microsoft365.clientId',
            'App registrations → your app → Overview → Application (client) ID, a GUID.',
          )}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <SecretField
          id={fieldId('microsoft365.clientSecret')}
          label="Client secret"
          noun="client secret"
          destination="tenant ID or client ID"
          value={microsoft365.clientSecret}
          state={secret}
          error={errors['microsoft365.clientSecret']}
          disabled={readOnly}
          onChange={clientSecret => set({ clientSecret })}
          configKey={
            managed ? configKey('microsoft365.clientSecret') : undefined
          }
          help="App registrations → your app → Certificates & secrets: the secret's Value (shown once, when it is created), not its Secret ID. "
        />
      </Grid>
      <Grid item xs={12}>
        <FormControlLabel
          control={
            <Checkbox
              id={fieldId('microsoft365.largeMessages')}
              checked={microsoft365.largeMessages}
              onChange={event => set({ largeMessages: event.target.checked })}
              color="primary"
              disabled={readOnly}
              inputProps={{ 'aria-describedby': largeMessagesHelpId }}
            />
          }
          label="Send large messages (over 3 MB) through upload sessions"
        />
        <FormHelperText
          id={largeMessagesHelpId}
          error={Boolean(errors['microsoft365.largeMessages'])}
        >
          {errors['microsoft365.largeMessages'] ??
            `Needs the Mail.ReadWrite application permission in addition to Mail.Send${
              managed ? `. ${configKeyHelp('microsoft365.largeMessages')}` : ''
            }`}
        </FormHelperText>
      </Grid>
    </Grid>
  );
}
