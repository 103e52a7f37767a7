import {
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';
import {
  MICROSOFT365_CLOUDS,
  MICROSOFT365_CREDENTIALS,
  Microsoft365Cloud,
  Microsoft365Credential,
  Microsoft365Settings,
} from '@email-provider/backstage-plugin-email-provider-common';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { emailProviderTranslationRef } from '../../translation';
import { Microsoft365Draft } from './draft';
import { useSettingsLabels } from './labels';
import {
  FieldErrors,
  SecretState,
  useTranslatedFieldErrors,
} from './validation';
import { fieldId } from './ids';
import {
  CONFIG_KEY_HELPER_TEXT_PROPS,
  configKey,
  useConfigKeyHelp,
} from './ManagedByConfig';
import { SecretField } from './SecretField';

/** The saved certificate as the admin can compare it with the one Entra lists for the app. */
function describeCertificate(
  certificate: Microsoft365Settings['certificate'],
  t: TranslationFunction<typeof emailProviderTranslationRef.T>,
): string | undefined {
  return certificate
    ? t('fields.microsoft365.clientCertificatePem.savedDetails', {
        thumbprint: certificate.thumbprint,
        subject: certificate.subject,
        day: certificate.notAfter.slice(0, 10),
      })
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
  const { microsoft365, onChange, secret, readOnly, managed } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const labels = useSettingsLabels();
  const errors = useTranslatedFieldErrors(props.errors);
  const configKeyHelp = useConfigKeyHelp();
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
          {t('fields.microsoft365.intro', {
            application: (
              <strong>{t('fields.microsoft365.introApplication')}</strong>
            ),
            permission: <code>Mail.Send</code>,
          })}
        </Typography>
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('microsoft365.from')}
          label={t('fields.microsoft365.from.label')}
          type="email"
          value={microsoft365.from}
          onChange={event => set({ from: event.target.value })}
          error={Boolean(errors['microsoft365.from'])}
          helperText={help(
            'microsoft365.from',
            t('fields.microsoft365.from.help'),
          )}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('microsoft365.tenantId')}
          label={t('fields.microsoft365.tenantId.label')}
          value={microsoft365.tenantId}
          onChange={event => set({ tenantId: event.target.value })}
          error={Boolean(errors['microsoft365.tenantId'])}
          helperText={help(
            'microsoft365.tenantId',
            t('fields.microsoft365.tenantId.help'),
          )}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('microsoft365.clientId')}
          label={t('fields.microsoft365.clientId.label')}
          value={microsoft365.clientId}
          onChange={event => set({ clientId: event.target.value })}
          error={Boolean(errors['microsoft365.clientId'])}
          helperText={help(
            'microsoft365.clientId',
            t('fields.microsoft365.clientId.help'),
          )}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('microsoft365.cloud')}
          label={t('fields.microsoft365.cloud.label')}
          select
          SelectProps={{ native: true }}
          value={microsoft365.cloud}
          onChange={event =>
            set({ cloud: event.target.value as Microsoft365Cloud })
          }
          error={Boolean(errors['microsoft365.cloud'])}
          helperText={help(
            'microsoft365.cloud',
            t('fields.microsoft365.cloud.help'),
          )}
        >
          {MICROSOFT365_CLOUDS.map(cloud => (
            <option key={cloud} value={cloud}>
              {labels.cloud[cloud]}
            </option>
          ))}
        </TextField>
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('microsoft365.credential')}
          label={t('fields.microsoft365.credential.label')}
          select
          SelectProps={{ native: true }}
          value={microsoft365.credential}
          onChange={event =>
            set({ credential: event.target.value as Microsoft365Credential })
          }
          error={Boolean(errors['microsoft365.credential'])}
          helperText={help(
            'microsoft365.credential',
            t(`fields.microsoft365.credential.help.${microsoft365.credential}`),
          )}
        >
          {MICROSOFT365_CREDENTIALS.map(credential => (
            <option key={credential} value={credential}>
              {labels.credential[credential]}
            </option>
          ))}
        </TextField>
      </Grid>
      {certificate ? (
        <Grid item xs={12}>
          <SecretField
            id={fieldId('microsoft365.clientCertificatePem')}
            label={t('fields.microsoft365.clientCertificatePem.label')}
            kind="certificate"
            multiline
            value={microsoft365.clientCertificatePem}
            state={secret}
            savedDetails={describeCertificate(props.savedCertificate, t)}
            error={errors['microsoft365.clientCertificatePem']}
            disabled={readOnly}
            onChange={clientCertificatePem => set({ clientCertificatePem })}
            configKey={
              managed
                ? configKey('microsoft365.clientCertificatePem')
                : undefined
            }
            help={t('fields.microsoft365.clientCertificatePem.help')}
            requiredHelp={{
              'credential-changed': t(
                'fields.microsoft365.clientCertificatePem.credentialChanged',
              ),
            }}
          />
        </Grid>
      ) : (
        <>
          <Grid item xs={12} md={6}>
            <SecretField
              id={fieldId('microsoft365.clientSecret')}
              label={t('fields.microsoft365.clientSecret.label')}
              kind="clientSecret"
              value={microsoft365.clientSecret}
              state={secret}
              error={errors['microsoft365.clientSecret']}
              disabled={readOnly}
              onChange={clientSecret => set({ clientSecret })}
              configKey={
                managed ? configKey('microsoft365.clientSecret') : undefined
              }
              help={t('fields.microsoft365.clientSecret.help')}
              requiredHelp={{
                'credential-changed': t(
                  'fields.microsoft365.clientSecret.credentialChanged',
                ),
              }}
            />
          </Grid>
          <Grid item xs={12} md={6}>
            <TextField
              {...common}
              id={fieldId('microsoft365.clientSecretExpiresAt')}
              label={t('fields.microsoft365.clientSecretExpiresAt.label')}
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
                t('fields.microsoft365.clientSecretExpiresAt.help'),
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
          label={t('fields.microsoft365.largeMessages.label')}
        />
        <FormHelperText
          id={largeMessagesHelpId}
          error={Boolean(errors['microsoft365.largeMessages'])}
        >
          {errors['microsoft365.largeMessages'] ??
            `${t('fields.microsoft365.largeMessages.help')}${
              managed ? `. ${configKeyHelp('microsoft365.largeMessages')}` : ''
            }`}
        </FormHelperText>
      </Grid>
    </Grid>
  );
}
