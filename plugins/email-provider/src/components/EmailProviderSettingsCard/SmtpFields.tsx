import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import type { SmtpSecurity } from '@email-provider/backstage-plugin-email-provider-common';
import { SmtpDraft, SUGGESTED_PORTS, withSecurity } from './draft';
import { SECURITY_LABELS } from './labels';
import { FieldErrors, SecretState } from './validation';
import { fieldId } from './ids';
import {
  CONFIG_KEY_HELPER_TEXT_PROPS,
  configKey,
  configKeyHelp,
} from './ManagedByConfig';
import { SecretField } from './SecretField';

const SECURITY_MODES: SmtpSecurity[] = ['starttls', 'tls', 'none'];

const SECURITY_HELP: Record<SmtpSecurity, string> = {
  starttls: 'Switches to TLS before signing in; never goes on without it.',
  tls: 'Encrypted from the first byte (SMTPS).',
  none: 'No encryption, the password included: only on a trusted network.',
};

/** A hint when the port is the usual one of another security mode. */
function portHint(smtp: SmtpDraft): string | undefined {
  const port = Number(smtp.port.trim());
  const usual = SUGGESTED_PORTS[smtp.security];
  if (port === usual) {
    return undefined;
  }
  const other = (Object.keys(SUGGESTED_PORTS) as SmtpSecurity[]).find(
    mode => mode !== 'none' && SUGGESTED_PORTS[mode] === port,
  );
  return other
    ? `Port ${port} usually expects ${SECURITY_LABELS[other]}, not ${
        SECURITY_LABELS[smtp.security]
      }. `
    : undefined;
}

function usernameHelp(smtp: SmtpDraft, managed: boolean): string {
  if (managed) {
    return configKeyHelp(
      smtp.usernameSameAsFrom ? 'smtp.usernameSameAsFrom' : 'smtp.username',
    );
  }
  return smtp.usernameSameAsFrom
    ? 'Signs in as the sender email address. Untick "Same as sender email address" to sign in with another username.'
    : 'The login of the SMTP account: an address or a plain login name such as an Amazon SES access key.';
}

export function SmtpFields(props: {
  smtp: SmtpDraft;
  onChange(smtp: SmtpDraft): void;
  errors: FieldErrors;
  secret: SecretState;
  readOnly: boolean;
  /** The configuration pins the settings: each field names its key instead of its help. */
  managed: boolean;
}) {
  const { smtp, onChange, errors, secret, readOnly, managed } = props;
  const authenticationHelpId = `${fieldId('smtp.authentication')}-helper-text`;
  const signsIn = smtp.authentication === 'password';
  const set = (changes: Partial<SmtpDraft>) =>
    onChange({ ...smtp, ...changes });
  const help = (field: string, text: string) =>
    errors[field] ?? (managed ? configKeyHelp(field) : text);
  const common = {
    fullWidth: true,
    margin: 'normal' as const,
    variant: 'outlined' as const,
    disabled: readOnly,
    FormHelperTextProps: managed ? CONFIG_KEY_HELPER_TEXT_PROPS : undefined,
  };

  return (
    <Grid container spacing={2}>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('smtp.host')}
          label="Server address"
          value={smtp.host}
          onChange={event => set({ host: event.target.value })}
          inputProps={{ 'aria-required': true }}
          autoComplete="off"
          error={Boolean(errors['smtp.host'])}
          helperText={help(
            'smtp.host',
            'Host name or IP address of the SMTP server, for example smtp.gmail.com or smtp.office365.com.',
          )}
        />
      </Grid>
      <Grid item xs={6} md={3}>
        <TextField
          {...common}
          id={fieldId('smtp.port')}
          label="Port"
          value={smtp.port}
          onChange={event => set({ port: event.target.value })}
          inputProps={{ inputMode: 'numeric', 'aria-required': true }}
          error={Boolean(errors['smtp.port'])}
          helperText={
            errors['smtp.port'] ??
            `${portHint(smtp) ?? ''}${
              managed
                ? configKeyHelp('smtp.port')
                : 'Usually 587 (StartTLS), 465 (SSL/TLS) or 25 (None).'
            }`
          }
        />
      </Grid>
      <Grid item xs={6} md={3}>
        <TextField
          {...common}
          id={fieldId('smtp.security')}
          label="Security"
          select
          SelectProps={{ native: true }}
          value={smtp.security}
          onChange={event =>
            onChange(withSecurity(smtp, event.target.value as SmtpSecurity))
          }
          error={Boolean(errors['smtp.security'])}
          helperText={help('smtp.security', SECURITY_HELP[smtp.security])}
        >
          {SECURITY_MODES.map(mode => (
            <option key={mode} value={mode}>
              {SECURITY_LABELS[mode]}
            </option>
          ))}
        </TextField>
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('smtp.from')}
          label="Sender email address"
          type="email"
          value={smtp.from}
          onChange={event => set({ from: event.target.value })}
          inputProps={{ 'aria-required': true }}
          autoComplete="off"
          error={Boolean(errors['smtp.from'])}
          helperText={help(
            'smtp.from',
            'The address every portal email comes from; the server must allow this account to send as it.',
          )}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('smtp.fromName')}
          label="Sender name"
          value={smtp.fromName}
          onChange={event => set({ fromName: event.target.value })}
          autoComplete="off"
          error={Boolean(errors['smtp.fromName'])}
          helperText={help(
            'smtp.fromName',
            'Optional: the name recipients see, for example ACME Portal.',
          )}
        />
      </Grid>
      <Grid item xs={12}>
        <FormControlLabel
          control={
            <Checkbox
              id={fieldId('smtp.authentication')}
              checked={signsIn}
              onChange={event =>
                set({
                  authentication: event.target.checked ? 'password' : 'none',
                })
              }
              color="primary"
              disabled={readOnly}
              inputProps={{ 'aria-describedby': authenticationHelpId }}
            />
          }
          label="Server requires authentication"
        />
        <FormHelperText
          id={authenticationHelpId}
          error={Boolean(errors['smtp.authentication'])}
          {...(managed ? CONFIG_KEY_HELPER_TEXT_PROPS : {})}
        >
          {help(
            'smtp.authentication',
            signsIn
              ? 'The portal signs in with a username and password. Untick for a relay that admits the portal by its network address instead.'
              : "No username or password is sent: for a relay that admits the portal by its network address (an internal Postfix, an Exchange connector, Google's SMTP relay with IP allow-listing).",
          )}
        </FormHelperText>
      </Grid>
      {signsIn && (
        <>
          <Grid item xs={12}>
            <FormControlLabel
              control={
                <Checkbox
                  id={fieldId('smtp.usernameSameAsFrom')}
                  checked={smtp.usernameSameAsFrom}
                  onChange={event =>
                    set({ usernameSameAsFrom: event.target.checked })
                  }
                  color="primary"
                  disabled={readOnly}
                  inputProps={{
                    'aria-describedby': `${fieldId(
                      'smtp.username',
                    )}-helper-text`,
                  }}
                />
              }
              label="Same as sender email address"
            />
          </Grid>
          <Grid item xs={12} md={6}>
            <TextField
              {...common}
              id={fieldId('smtp.username')}
              label="Username"
              value={smtp.usernameSameAsFrom ? smtp.from : smtp.username}
              onChange={event => set({ username: event.target.value })}
              inputProps={{ 'aria-required': !smtp.usernameSameAsFrom }}
              InputProps={{ readOnly: smtp.usernameSameAsFrom }}
              InputLabelProps={smtp.usernameSameAsFrom ? { shrink: true } : {}}
              autoComplete="off"
              error={Boolean(errors['smtp.username'])}
              helperText={
                errors['smtp.username'] ?? usernameHelp(smtp, managed)
              }
            />
          </Grid>
          <Grid item xs={12} md={6}>
            <SecretField
              id={fieldId('smtp.password')}
              label="Password"
              noun="password"
              destination="server address, port, security or username"
              value={smtp.password}
              state={secret}
              error={errors['smtp.password']}
              disabled={readOnly}
              onChange={password => set({ password })}
              help="For Gmail and Google Workspace, an app password. "
              requiredHelp={{
                'authentication-enabled':
                  'Enter the password: the saved settings send no authentication, so no password is saved.',
              }}
              configKey={managed ? configKey('smtp.password') : undefined}
            />
          </Grid>
        </>
      )}
    </Grid>
  );
}
