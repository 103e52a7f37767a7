import { InfoCard, Progress } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  EmailProviderType,
  MANAGED_SETTINGS_CONFIG_KEY,
} from '@email-provider/backstage-plugin-email-provider-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import FormLabel from '@material-ui/core/FormLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { emailProviderTranslationRef } from '../../translation';
import { CredentialExpiryAlert } from '../CredentialExpiry';
import { ConfirmDialog } from './ConfirmDialog';
import { ConnectionCheckResult } from './ConnectionCheckResult';
import { differsFromSaved, hasUnsavedInput } from './draft';
import { useSettingsLabels } from './labels';
import { ManagedByConfigNote, useConfigKeyHelp } from './ManagedByConfig';
import { Microsoft365Fields } from './Microsoft365Fields';
import { useConfirmationText } from './saveConfirmation';
import { SmtpFields } from './SmtpFields';
import { StatusLine } from './StatusLine';
import { TestEmailDialog } from './TestEmailDialog';
import { Problem, useSettingsForm, VerifyState } from './useSettingsForm';
import { useUnsavedChangesPrompt } from './useUnsavedChangesPrompt';
import { microsoft365SecretState, smtpSecretState } from './validation';

const PROVIDERS: EmailProviderType[] = ['none', 'smtp', 'microsoft365'];

/** What stopped the save or the check, with the sentences of the problems that name no field. */
function ProblemAlert(props: { problem: Problem }) {
  const { problem } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  let summary: string;
  if (problem.kind === 'invalid') {
    summary = t(`settings.problem.invalid.${problem.attempt}`, {
      count: problem.fieldCount,
    });
  } else if (problem.kind === 'refused') {
    summary = t('settings.problem.refused');
  } else {
    summary = t('settings.problem.notSaved');
  }
  return (
    <Alert severity="error" role="alert">
      <strong>{summary}</strong>
      {problem.details.map(detail => (
        <div key={detail}>{detail}</div>
      ))}
    </Alert>
  );
}

/** The connection check: running, what it found, or why it did not run. */
function VerifyStatus(props: { verify: VerifyState }) {
  const { verify } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  switch (verify.status) {
    case 'running':
      return (
        <Typography role="status">
          {t(`settings.connectionCheck.running.${verify.target}`)}
        </Typography>
      );
    case 'done':
      return (
        <ConnectionCheckResult result={verify.result} target={verify.target} />
      );
    case 'nothing-to-check':
      return (
        <Alert severity="error" role="alert">
          {verify.target === 'draft'
            ? t('settings.connectionCheck.noProviderChosen')
            : t('settings.connectionCheck.noProviderSaved')}
        </Alert>
      );
    default:
      return (
        <Alert severity="error" role="alert">
          {t('settings.connectionCheck.notChecked', {
            message: verify.message,
          })}
        </Alert>
      );
  }
}

/**
 * The settings form, for a user who may read them; `readOnly` without the update permission.
 * Settings pinned by the portal's configuration (`managedBy: 'config'`) are shown read-only to
 * everyone, with the keys that set them; admins can still check the connection and send the
 * test email.
 */
export function SettingsEditor(props: { readOnly: boolean }) {
  const { readOnly } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const labels = useSettingsLabels();
  const configKeyHelp = useConfigKeyHelp();
  const confirmationText = useConfirmationText();
  const form = useSettingsForm();
  const { state, managed, problemRef, change } = form;
  const { snapshot, draft, initial, errors, problem, conflict, notice } = state;
  const { saving, confirmation, verify } = state;
  const locked = readOnly || managed;
  const unsaved = Boolean(draft && initial && hasUnsavedInput(draft, initial));
  const prompt = useUnsavedChangesPrompt(unsaved && !locked);
  const title = t('settings.title');

  if (state.loadError) {
    return (
      <InfoCard title={title}>
        <Alert
          severity="error"
          role="alert"
          action={
            <Button color="inherit" onClick={form.load}>
              {t('settings.tryAgain')}
            </Button>
          }
        >
          {t('settings.loadFailed', { message: state.loadError })}
        </Alert>
      </InfoCard>
    );
  }
  if (!snapshot || !draft || !initial) {
    return (
      <InfoCard title={title}>
        <Progress />
      </InfoCard>
    );
  }

  const saved = snapshot.settings;
  const setProvider = (provider: EmailProviderType) =>
    change({ ...draft, provider });
  const confirming = confirmation && confirmationText(confirmation);

  return (
    <InfoCard title={title}>
      <StatusLine settings={saved} />
      <CredentialExpiryAlert settings={saved} />
      {managed && <ManagedByConfigNote provider={saved.provider} />}
      {state.takenOverByConfig && (
        <Box mt={2}>
          <Alert severity="warning" role="alert">
            {t('settings.takenOverByConfig.body', {
              heading: (
                <strong>{t('settings.takenOverByConfig.heading')}</strong>
              ),
              key: <code>{MANAGED_SETTINGS_CONFIG_KEY}</code>,
            })}
          </Alert>
        </Box>
      )}
      {readOnly && !managed && (
        <Alert severity="info">
          {t('settings.readOnly', {
            permission: <code>email-provider.settings.update</code>,
          })}
        </Alert>
      )}
      <form
        noValidate
        onSubmit={form.submit}
        aria-label={t('settings.formLabel')}
        aria-busy={saving}
      >
        <Box mt={2}>
          <FormControl component="fieldset" disabled={locked}>
            <FormLabel component="legend" id="email-provider-provider-label">
              {t('settings.provider')}
            </FormLabel>
            <RadioGroup
              row
              name="provider"
              aria-labelledby="email-provider-provider-label"
              value={draft.provider}
              onChange={event =>
                setProvider(event.target.value as EmailProviderType)
              }
            >
              {PROVIDERS.map(provider => (
                <FormControlLabel
                  key={provider}
                  value={provider}
                  control={<Radio color="primary" />}
                  label={labels.provider[provider]}
                />
              ))}
            </RadioGroup>
            {managed && (
              <FormHelperText>{configKeyHelp('provider')}</FormHelperText>
            )}
          </FormControl>
        </Box>

        {draft.provider === 'none' && !managed && (
          <Typography variant="body2" color="textSecondary">
            {saved.provider === 'none'
              ? t('settings.noProvider.nothingSaved')
              : t('settings.noProvider.deletesSaved', {
                  none: labels.provider.none,
                  provider: labels.provider[saved.provider],
                })}
          </Typography>
        )}
        {draft.provider === 'smtp' && (
          <SmtpFields
            smtp={draft.smtp}
            onChange={smtp => change({ ...draft, smtp })}
            errors={errors}
            secret={smtpSecretState(draft.smtp, saved)}
            readOnly={locked}
            managed={managed}
          />
        )}
        {draft.provider === 'microsoft365' && (
          <Microsoft365Fields
            microsoft365={draft.microsoft365}
            onChange={microsoft365 => change({ ...draft, microsoft365 })}
            errors={errors}
            secret={microsoft365SecretState(draft.microsoft365, saved)}
            savedCertificate={
              saved.provider === 'microsoft365'
                ? saved.microsoft365.certificate
                : undefined
            }
            readOnly={locked}
            managed={managed}
          />
        )}

        <div ref={problemRef} tabIndex={-1}>
          {problem && (
            <Box mt={2}>
              <ProblemAlert problem={problem} />
            </Box>
          )}
        </div>
        {conflict && (
          <Box mt={2}>
            <Alert
              severity="warning"
              role="alert"
              action={
                <Button color="inherit" onClick={form.load}>
                  {t('settings.conflict.reload')}
                </Button>
              }
            >
              {t('settings.conflict.body', {
                heading: <strong>{t('settings.conflict.heading')}</strong>,
                message: conflict,
              })}
            </Alert>
          </Box>
        )}
        <Box role="status" aria-live="polite" mt={notice ? 2 : 0}>
          {notice && (
            <Alert severity="success">
              {notice.saved.provider === 'none'
                ? t('settings.saved.deleted')
                : t('settings.saved.active', {
                    settings: labels.describeSettings(notice.saved),
                  })}
            </Alert>
          )}
        </Box>

        {!readOnly && !(managed && saved.provider === 'none') && (
          <Box mt={2} display="flex" flexWrap="wrap" style={{ gap: 8 }}>
            {!managed && (
              <Button
                type="submit"
                color="primary"
                variant="contained"
                disabled={saving}
              >
                {t('settings.save')}
              </Button>
            )}
            <Button
              variant="outlined"
              onClick={form.checkConnection}
              disabled={verify?.status === 'running'}
            >
              {t('settings.checkConnection')}
            </Button>
            <Button variant="outlined" onClick={() => form.setTestOpen(true)}>
              {t('settings.sendTestEmail')}
            </Button>
            {(saving || verify?.status === 'running') && (
              <CircularProgress size={24} aria-label={t('settings.working')} />
            )}
          </Box>
        )}
      </form>

      <Box mt={2} aria-live="polite">
        {verify && <VerifyStatus verify={verify} />}
      </Box>

      <ConfirmDialog
        open={Boolean(confirming)}
        title={confirming?.title ?? ''}
        confirmLabel={confirming?.confirmLabel ?? ''}
        onCancel={form.cancelConfirmation}
        onConfirm={() => confirmation && form.save(confirmation.input)}
      >
        <Typography>{confirming?.body}</Typography>
      </ConfirmDialog>
      <ConfirmDialog
        open={prompt.pendingPath !== undefined}
        title={t('settings.unsavedChanges.title')}
        confirmLabel={t('settings.unsavedChanges.leave')}
        cancelLabel={t('settings.unsavedChanges.stay')}
        onCancel={prompt.stay}
        onConfirm={prompt.leave}
      >
        <Typography>{t('settings.unsavedChanges.body')}</Typography>
      </ConfirmDialog>
      {state.testOpen && (
        <TestEmailDialog
          open
          onClose={() => form.setTestOpen(false)}
          saved={saved}
          unsavedChanges={differsFromSaved(draft, initial)}
          defaultRecipient={state.recipient}
        />
      )}
    </InfoCard>
  );
}
