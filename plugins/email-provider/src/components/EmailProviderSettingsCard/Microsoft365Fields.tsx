import {
  Microsoft365Cloud,
  Microsoft365Credential,
  Microsoft365Settings,
  MICROSOFT365_DESTINATION,
} from '@email-provider/backstage-plugin-email-provider-common';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { Microsoft365Draft } from './draft';
import { CLOUD_LABELS, CREDENTIAL_LABELS } from './labels';
import { FieldErrors, SecretState } from './validation';
import { fieldId } from './ids';
import {
  CONFIG_KEY_HELPER_TEXT_PROPS,
  configKey,
  configKeyHelp,
} from './ManagedByConfig';
import { SecretField } from './SecretField';

const CLOUDS = Object.keys(CLOUD_LABELS) as Microsoft365Cloud[];
const CREDENTIALS = Object.keys(CREDENTIAL_LABELS) as Microsoft365Credential[];

const CREDENTIAL_HELP: Record<Microsoft365Credential, string> = {
  secret:
    'A client secret of the app registration. Tenants that forbid client secrets use a certificate.',
  certificate:
    'A certificate whose private key signs the sign-in, as Microsoft recommends; the app in Entra has the certificate, the portal its private key.',
};

/** The saved certificate as the admin can compare it with the one Entra lists for the app. */
function describeCertificate(
  certificate: Microsoft365Settings['certificate'],
): string | undefined {
  return certificate
    ? `Thumbprint ${certificate.thumbprint}, subject ${
        certificate.subject
      }, expires on ${certificate.notAfter.slice(0, 10)}.`
    : undefined;
}

export function Microsoft365Fields(props: {
  microsoft365: Microsoft365Draft;
  onChange(microsoft365: Microsoft365Draft): void;
  errors: FieldErrors;
  /** The state of the credential the form has chosen: the client secret or the certificate. */
  secret: SecretState;
  /** The saved certificate's public description, when one is saved. */
  savedCertificate?: Microsoft365Settings['certificate'];
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
  const certificate = microsoft365.credential === 'certificate';

  return (
    <Grid container spacing={2}>
      <Grid item xs={12}>
        <Typography variant="body2" color="textSecondary">
          The portal sends as a mailbox of your tenant through Microsoft Graph,
          signing in as an app registration of Microsoft Entra with a client
          secret or a certificate. The app needs the Microsoft Graph{' '}
          <strong>application</strong> permission <code>Mail.Send</code> with
          admin consent (Entra admin center → App registrations → your app → API
          permissions → Grant admin consent). To limit which mailboxes it may
          send as, add an Exchange application access policy.
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
        <TextField
          {...common}
          id={fieldId('microsoft365.cloud')}
          label="Cloud"
          select
          SelectProps={{ native: true }}
          value={microsoft365.cloud}
          onChange={event =>
            set({ cloud: event.target.value as Microsoft365Cloud })
          }
          error={Boolean(errors['microsoft365.cloud'])}
          helperText={help(
            'microsoft365.cloud',
            'Where the tenant lives: Global for most tenants. US Government and China tenants sign in and send through their own Microsoft hosts.',
          )}
        >
          {CLOUDS.map(cloud => (
            <option key={cloud} value={cloud}>
              {CLOUD_LABELS[cloud]}
            </option>
          ))}
        </TextField>
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('microsoft365.credential')}
          label="Credential"
          select
          SelectProps={{ native: true }}
          value={microsoft365.credential}
          onChange={event =>
            set({ credential: event.target.value as Microsoft365Credential })
          }
          error={Boolean(errors['microsoft365.credential'])}
          helperText={help(
            'microsoft365.credential',
            CREDENTIAL_HELP[microsoft365.credential],
          )}
        >
          {CREDENTIALS.map(credential => (
            <option key={credential} value={credential}>
              {CREDENTIAL_LABELS[credential]}
            </option>
          ))}
        </TextField>
      </Grid>
      {certificate ? (
        <Grid item xs={12}>
          <SecretField
            id={fieldId('microsoft365.clientCertificatePem')}
            label="Certificate and private key (PEM)"
            noun="certificate"
            destination={MICROSOFT365_DESTINATION}
            multiline
            value={microsoft365.clientCertificatePem}
            state={secret}
            savedDetails={describeCertificate(props.savedCertificate)}
            error={errors['microsoft365.clientCertificatePem']}
            disabled={readOnly}
            onChange={clientCertificatePem => set({ clientCertificatePem })}
            configKey={
              managed
                ? configKey('microsoft365.clientCertificatePem')
                : undefined
            }
            help="The certificate (-----BEGIN CERTIFICATE-----) followed by its private key (-----BEGIN PRIVATE KEY-----, without a passphrase); upload the certificate alone to the app in Entra → Certificates & secrets. "
            requiredHelp={{
              'credential-changed':
                'Paste the certificate and its private key: the saved settings sign in with a client secret, which saving deletes. Stored encrypted and never shown again.',
            }}
          />
        </Grid>
      ) : (
        <>
          <Grid item xs={12} md={6}>
            <SecretField
              id={fieldId('microsoft365.clientSecret')}
              label="Client secret"
              noun="client secret"
              destination={MICROSOFT365_DESTINATION}
              value={microsoft365.clientSecret}
              state={secret}
              error={errors['microsoft365.clientSecret']}
              disabled={readOnly}
              onChange={clientSecret => set({ clientSecret })}
              configKey={
                managed ? configKey('microsoft365.clientSecret') : undefined
              }
              help="App registrations → your app → Certificates & secrets: the secret's Value (shown once, when it is created), not its Secret ID. "
              requiredHelp={{
                'credential-changed':
                  'Enter a client secret: the saved settings sign in with a certificate, which saving deletes. Stored encrypted and never shown again.',
              }}
            />
          </Grid>
          <Grid item xs={12} md={6}>
            <TextField
              {...common}
              id={fieldId('microsoft365.clientSecretExpiresAt')}
              label="Secret expires"
              type="date"
              value={microsoft365.clientSecretExpiresAt}
              onChange={event =>
                set({ clientSecretExpiresAt: event.target.value })
              }
              // The date input always shows its own placeholder (a date pattern).
              InputLabelProps={{ shrink: true }}
              inputProps={{ 'aria-required': false }}
              error={Boolean(errors['microsoft365.clientSecretExpiresAt'])}
              helperText={help(
                'microsoft365.clientSecretExpiresAt',
                'Optional: copy it from the Expires column in Entra (App registrations → your app → Certificates & secrets), and the page warns 30 days before the secret expires.',
              )}
            />
          </Grid>
        </>
      )}
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
