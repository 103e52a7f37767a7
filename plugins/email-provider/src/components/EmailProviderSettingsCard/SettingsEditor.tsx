import { InfoCard, Progress } from '@backstage/core-components';
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
import { CredentialExpiryAlert } from '../CredentialExpiry';
import { ConfirmDialog } from './ConfirmDialog';
import {
  checkTargetName,
  ConnectionCheckResult,
} from './ConnectionCheckResult';
import { differsFromSaved, hasUnsavedInput } from './draft';
import { PROVIDER_LABELS } from './labels';
import { configKeyHelp, ManagedByConfigNote } from './ManagedByConfig';
import { Microsoft365Fields } from './Microsoft365Fields';
import { SmtpFields } from './SmtpFields';
import { StatusLine } from './StatusLine';
import { TestEmailDialog } from './TestEmailDialog';
import { useSettingsForm } from './useSettingsForm';
import { useUnsavedChangesPrompt } from './useUnsavedChangesPrompt';
import { microsoft365SecretState, smtpSecretState } from './validation';

const PROVIDERS: EmailProviderType[] = ['none', 'smtp', 'microsoft365'];

const CARD_TITLE = 'Outgoing email';

/**
 * The settings form, for a user who may read them; `readOnly` without the update permission.
 * Settings pinned by the portal's configuration (`managedBy: 'config'`) are shown read-only to
 * everyone, with the keys that set them; admins can still check the connection and send the
 * test email.
 */
export function SettingsEditor(props: { readOnly: boolean }) {
  const { readOnly } = props;
  const form = useSettingsForm();
  const { state, managed, problemRef, change } = form;
  const { snapshot, draft, initial, errors, problem, conflict, notice } = state;
  const { saving, confirmation, verify } = state;
  const locked = readOnly || managed;
  const unsaved = Boolean(draft && initial && hasUnsavedInput(draft, initial));
  const prompt = useUnsavedChangesPrompt(unsaved && !locked);

  if (state.loadError) {
    return (
      <InfoCard title={CARD_TITLE}>
        <Alert
          severity="error"
          role="alert"
          action={
            <Button color="inherit" onClick={form.load}>
              Try again
            </Button>
          }
        >
          The email provider settings could not be loaded: {state.loadError}
        </Alert>
      </InfoCard>
    );
  }
  if (!snapshot || !draft || !initial) {
    return (
      <InfoCard title={CARD_TITLE}>
        <Progress />
      </InfoCard>
    );
  }

  const saved = snapshot.settings;
  const setProvider = (provider: EmailProviderType) =>
    change({ ...draft, provider });

  return (
    <InfoCard title={CARD_TITLE}>
      <StatusLine settings={saved} />
      <CredentialExpiryAlert settings={saved} />
      {managed && <ManagedByConfigNote provider={saved.provider} />}
      {state.takenOverByConfig && (
        <Box mt={2}>
          <Alert severity="warning" role="alert">
            <strong>Nothing was saved</strong>: the portal's configuration now
            sets the email provider (<code>{MANAGED_SETTINGS_CONFIG_KEY}</code>
            ), so it cannot be changed on this page. The form shows the
            configured settings; what you typed was discarded.
          </Alert>
        </Box>
      )}
      {readOnly && !managed && (
        <Alert severity="info">
          You can see these settings but not change them: that needs the{' '}
          <code>email-provider.settings.update</code> permission, which email
          provider admins have.
        </Alert>
      )}
      <form
        noValidate
        onSubmit={form.submit}
        aria-label="Email provider settings"
        aria-busy={saving}
      >
        <Box mt={2}>
          <FormControl component="fieldset" disabled={locked}>
            <FormLabel component="legend" id="email-provider-provider-label">
              Provider
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
                  label={PROVIDER_LABELS[provider]}
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
              ? 'No provider: the portal sends no email. Choose SMTP or Microsoft 365 to set one up.'
              : `Saving None deletes the saved ${
                  PROVIDER_LABELS[saved.provider]
                } settings and stops all email from the portal.`}
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
              <Alert severity="error" role="alert">
                <strong>{problem.summary}</strong>
                {problem.details.map(detail => (
                  <div key={detail}>{detail}</div>
                ))}
              </Alert>
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
                  Reload
                </Button>
              }
            >
              <strong>Someone else changed the settings</strong> while you were
              editing; nothing was saved. Reload to see their changes (what you
              typed here will be replaced). {conflict}
            </Alert>
          </Box>
        )}
        <Box role="status" aria-live="polite" mt={notice ? 2 : 0}>
          {notice && <Alert severity="success">{notice}</Alert>}
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
                Save
              </Button>
            )}
            <Button
              variant="outlined"
              onClick={form.checkConnection}
              disabled={verify?.status === 'running'}
            >
              Check connection
            </Button>
            <Button variant="outlined" onClick={() => form.setTestOpen(true)}>
              Send test email
            </Button>
            {(saving || verify?.status === 'running') && (
              <CircularProgress size={24} aria-label="Working" />
            )}
          </Box>
        )}
      </form>

      <Box mt={2} aria-live="polite">
        {verify?.status === 'running' && (
          <Typography role="status">
            Checking the connection of the {checkTargetName(verify.target)}…
          </Typography>
        )}
        {verify?.status === 'done' && (
          <ConnectionCheckResult
            result={verify.result}
            target={verify.target}
          />
        )}
        {verify?.status === 'error' && (
          <Alert severity="error" role="alert">
            The connection was not checked: {verify.message}
          </Alert>
        )}
      </Box>

      <ConfirmDialog
        open={Boolean(confirmation)}
        title={confirmation?.title ?? ''}
        confirmLabel={confirmation?.confirmLabel ?? ''}
        onCancel={form.cancelConfirmation}
        onConfirm={() => confirmation && form.save(confirmation.input)}
      >
        <Typography>{confirmation?.body}</Typography>
      </ConfirmDialog>
      <ConfirmDialog
        open={prompt.pendingPath !== undefined}
        title="Leave without saving?"
        confirmLabel="Leave"
        cancelLabel="Stay"
        onCancel={prompt.stay}
        onConfirm={prompt.leave}
      >
        <Typography>
          The email provider settings have unsaved changes; leaving this page
          discards them.
        </Typography>
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
