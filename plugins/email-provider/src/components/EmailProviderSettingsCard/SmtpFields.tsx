import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import {
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';
import {
  SMTP_SECURITY_MODES,
  SmtpSecurity,
} from '@email-provider/backstage-plugin-email-provider-common';
import { emailProviderTranslationRef } from '../../translation';
import { SmtpDraft, SUGGESTED_PORTS, withSecurity } from './draft';
import { SettingsLabels, useSettingsLabels } from './labels';
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

type Translate = TranslationFunction<typeof emailProviderTranslationRef.T>;

/** A hint when the port is the usual one of another security mode. */
function portHint(
  smtp: SmtpDraft,
  t: Translate,
  labels: SettingsLabels,
): string | undefined {
  const port = Number(smtp.port.trim());
  const usual = SUGGESTED_PORTS[smtp.security];
  if (port === usual) {
    return undefined;
  }
  const other = (Object.keys(SUGGESTED_PORTS) as SmtpSecurity[]).find(
    mode => mode !== 'none' && SUGGESTED_PORTS[mode] === port,
  );
  return other
    ? t('fields.smtp.port.otherSecurityExpected', {
        port: String(port),
        expected: labels.security[other],
        chosen: labels.security[smtp.security],
      })
    : undefined;
}

/** The username's help: how it signs in, or with `configKeyHelp` its configuration key. */
function usernameHelp(
  smtp: SmtpDraft,
  t: Translate,
  configKeyHelp?: (field: string) => string,
): string {
  if (configKeyHelp) {
    return configKeyHelp(
      smtp.usernameSameAsFrom ? 'smtp.usernameSameAsFrom' : 'smtp.username',
    );
  }
  return smtp.usernameSameAsFrom
    ? t('fields.smtp.username.helpSameAsFrom', {
        sameAsFrom: t('fields.smtp.usernameSameAsFrom.label'),
      })
    : t('fields.smtp.username.help');
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
  const { smtp, onChange, secret, readOnly, managed } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const labels = useSettingsLabels();
  const errors = useTranslatedFieldErrors(props.errors);
  const configKeyHelp = useConfigKeyHelp();
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
          label={t('fields.smtp.host.label')}
          value={smtp.host}
          onChange={event => set({ host: event.target.value })}
          inputProps={{ 'aria-required': true }}
          autoComplete="off"
          error={Boolean(errors['smtp.host'])}
          helperText={help('smtp.host', t('fields.smtp.host.help'))}
        />
      </Grid>
      <Grid item xs={6} md={3}>
        <TextField
          {...common}
          id={fieldId('smtp.port')}
          label={t('fields.smtp.port.label')}
          value={smtp.port}
          onChange={event => set({ port: event.target.value })}
          inputProps={{ inputMode: 'numeric', 'aria-required': true }}
          error={Boolean(errors['smtp.port'])}
          helperText={
            errors['smtp.port'] ??
            `${portHint(smtp, t, labels) ?? ''}${
              managed ? configKeyHelp('smtp.port') : t('fields.smtp.port.help')
            }`
          }
        />
      </Grid>
      <Grid item xs={6} md={3}>
        <TextField
          {...common}
          id={fieldId('smtp.security')}
          label={t('fields.smtp.security.label')}
          select
          SelectProps={{ native: true }}
          value={smtp.security}
          onChange={event =>
            onChange(withSecurity(smtp, event.target.value as SmtpSecurity))
          }
          error={Boolean(errors['smtp.security'])}
          helperText={help(
            'smtp.security',
            t(`fields.smtp.security.help.${smtp.security}`),
          )}
        >
          {SMTP_SECURITY_MODES.map(mode => (
            <option key={mode} value={mode}>
              {labels.security[mode]}
            </option>
          ))}
        </TextField>
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('smtp.from')}
          label={t('fields.smtp.from.label')}
          type="email"
          value={smtp.from}
          onChange={event => set({ from: event.target.value })}
          inputProps={{ 'aria-required': true }}
          autoComplete="off"
          error={Boolean(errors['smtp.from'])}
          helperText={help('smtp.from', t('fields.smtp.from.help'))}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <TextField
          {...common}
          id={fieldId('smtp.fromName')}
          label={t('fields.smtp.fromName.label')}
          value={smtp.fromName}
          onChange={event => set({ fromName: event.target.value })}
          autoComplete="off"
          error={Boolean(errors['smtp.fromName'])}
          helperText={help('smtp.fromName', t('fields.smtp.fromName.help'))}
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
          label={t('fields.smtp.authentication.label')}
        />
        <FormHelperText
          id={authenticationHelpId}
          error={Boolean(errors['smtp.authentication'])}
          {...(managed ? CONFIG_KEY_HELPER_TEXT_PROPS : {})}
        >
          {help(
            'smtp.authentication',
            signsIn
              ? t('fields.smtp.authentication.helpOn')
              : t('fields.smtp.authentication.helpOff'),
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
              label={t('fields.smtp.usernameSameAsFrom.label')}
            />
          </Grid>
          <Grid item xs={12} md={6}>
            <TextField
              {...common}
              id={fieldId('smtp.username')}
              label={t('fields.smtp.username.label')}
              value={smtp.usernameSameAsFrom ? smtp.from : smtp.username}
              onChange={event => set({ username: event.target.value })}
              inputProps={{ 'aria-required': !smtp.usernameSameAsFrom }}
              InputProps={{ readOnly: smtp.usernameSameAsFrom }}
              InputLabelProps={smtp.usernameSameAsFrom ? { shrink: true } : {}}
              autoComplete="off"
              error={Boolean(errors['smtp.username'])}
              helperText={
                errors['smtp.username'] ??
                usernameHelp(smtp, t, managed ? configKeyHelp : undefined)
              }
            />
          </Grid>
          <Grid item xs={12} md={6}>
            <SecretField
              id={fieldId('smtp.password')}
              label={t('fields.smtp.password.label')}
              kind="password"
              value={smtp.password}
              state={secret}
              error={errors['smtp.password']}
              disabled={readOnly}
              onChange={password => set({ password })}
              help={t('fields.smtp.password.help')}
              requiredHelp={{
                'authentication-enabled': t(
                  'fields.smtp.password.authenticationEnabled',
                ),
              }}
              configKey={managed ? configKey('smtp.password') : undefined}
            />
          </Grid>
        </>
      )}
    </Grid>
  );
}
