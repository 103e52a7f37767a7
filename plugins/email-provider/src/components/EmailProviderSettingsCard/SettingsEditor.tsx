import { InfoCard, Progress } from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  EmailProviderSettings,
  EmailProviderSettingsInput,
  EmailProviderType,
  MANAGED_SETTINGS_CONFIG_KEY,
  VerifyResult,
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
import { FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { emailProviderApiRef, EmailProviderSettingsSnapshot } from '../../api';
import { CredentialExpiryAlert } from '../CredentialExpiry';
import { ConfirmDialog } from './ConfirmDialog';
import {
  CheckTarget,
  checkTargetName,
  ConnectionCheckResult,
} from './ConnectionCheckResult';
import {
  changedFields,
  describeSettings,
  differsFromSaved,
  Draft,
  draftFromSettings,
  FIELD_PATHS,
  FieldErrors,
  hasUnsavedInput,
  microsoft365SecretState,
  parseServerMessage,
  PROVIDER_LABELS,
  smtpSecretState,
  validateDraft,
} from './form';
import { fieldId } from './ids';
import {
  configKeyHelp,
  isManagedByConfigError,
  ManagedByConfigNote,
} from './ManagedByConfig';
import { Microsoft365Fields } from './Microsoft365Fields';
import { SmtpFields } from './SmtpFields';
import { StatusLine } from './StatusLine';
import { TestEmailDialog } from './TestEmailDialog';
import { useUnsavedChangesPrompt } from './useUnsavedChangesPrompt';

const PROVIDERS: EmailProviderType[] = ['none', 'smtp', 'microsoft365'];

const CARD_TITLE = 'Outgoing email';

type Confirmation = {
  title: string;
  body: string;
  confirmLabel: string;
  input: EmailProviderSettingsInput;
};

type Problem = {
  /** A sentence for the admin, shown above the form and announced. */
  summary: string;
  details: string[];
};

type VerifyState =
  | { status: 'running'; target: CheckTarget }
  | { status: 'done'; target: CheckTarget; result: VerifyResult }
  | { status: 'error'; target: CheckTarget; message: string };

function errorMessage(error: unknown): string {
  if (error instanceof ResponseError) {
    return error.body?.error?.message ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

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

/** What a save would delete, for the confirmation. */
function confirmationFor(
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

/**
 * The settings form, for a user who may read them; `readOnly` without the update permission.
 * Settings pinned by the portal's configuration (`managedBy: 'config'`) are shown read-only to
 * everyone, with the keys that set them; admins can still check the connection and send the
 * test email.
 */
export function SettingsEditor(props: { readOnly: boolean }) {
  const { readOnly } = props;
  const api = useApi(emailProviderApiRef);
  const identityApi = useApi(identityApiRef);

  const [snapshot, setSnapshot] = useState<EmailProviderSettingsSnapshot>();
  const [loadError, setLoadError] = useState<string>();
  const [initial, setInitial] = useState<Draft>();
  const [draft, setDraft] = useState<Draft>();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<Problem>();
  const [conflict, setConflict] = useState<string>();
  // Kept across the reload that follows: it explains why the form became read-only.
  const [takenOverByConfig, setTakenOverByConfig] = useState(false);
  const [notice, setNotice] = useState<string>();
  const [validateLive, setValidateLive] = useState(false);
  const [saving, setSaving] = useState(false);
  const [confirmation, setConfirmation] = useState<Confirmation>();
  const [testOpen, setTestOpen] = useState(false);
  const [verify, setVerify] = useState<VerifyState>();
  const [recipient, setRecipient] = useState<string>();
  const problemRef = useRef<HTMLDivElement>(null);

  const load = useCallback(async () => {
    setLoadError(undefined);
    try {
      const loaded = await api.getSettings();
      const loadedDraft = draftFromSettings(loaded.settings);
      setSnapshot(loaded);
      setInitial(loadedDraft);
      setDraft(loadedDraft);
      setErrors({});
      setProblem(undefined);
      setConflict(undefined);
      setValidateLive(false);
    } catch (error) {
      setLoadError(errorMessage(error));
    }
  }, [api]);

  useEffect(() => {
    load();
  }, [load]);

  useEffect(() => {
    let cancelled = false;
    identityApi
      .getProfileInfo()
      .then(profile => {
        if (!cancelled && profile.email) {
          setRecipient(profile.email);
        }
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [identityApi]);

  const managed = snapshot?.settings.managedBy === 'config';
  const locked = readOnly || managed;
  const unsaved = Boolean(draft && initial && hasUnsavedInput(draft, initial));
  const prompt = useUnsavedChangesPrompt(unsaved && !locked);

  if (loadError) {
    return (
      <InfoCard title={CARD_TITLE}>
        <Alert
          severity="error"
          role="alert"
          action={
            <Button color="inherit" onClick={load}>
              Try again
            </Button>
          }
        >
          The email provider settings could not be loaded: {loadError}
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
  const smtpSecret = smtpSecretState(draft.smtp, saved);
  const microsoft365Secret = microsoft365SecretState(draft.microsoft365, saved);

  const showProblem = (next: Problem) => {
    setProblem(next);
    setNotice(undefined);
  };

  const focusFirstError = (fieldErrors: FieldErrors) => {
    // The first invalid field in the order of the form.
    const first = [...FIELD_PATHS].find(path => path in fieldErrors);
    const element = first ? document.getElementById(fieldId(first)) : null;
    if (element) {
      element.focus();
    } else {
      problemRef.current?.focus();
    }
  };

  const change = (next: Draft) => {
    setDraft(next);
    setNotice(undefined);
    if (validateLive) {
      const validation = validateDraft(next, saved);
      setErrors(validation.ok ? {} : validation.errors);
      if (validation.ok) {
        setProblem(undefined);
      }
    } else {
      // A message from the server goes away once its field is edited.
      const edited = changedFields(draft, next);
      if (edited.some(field => field in errors)) {
        setErrors(current =>
          Object.fromEntries(
            Object.entries(current).filter(
              ([field]) => !edited.includes(field),
            ),
          ),
        );
      }
    }
  };

  /** The form as settings, or undefined after showing what is wrong. */
  const validated = (what: string): EmailProviderSettingsInput | undefined => {
    const validation = validateDraft(draft, saved);
    if (validation.ok) {
      setErrors({});
      return validation.input;
    }
    const count = Object.keys(validation.errors).length;
    setErrors(validation.errors);
    setValidateLive(true);
    showProblem({
      summary: `${what}: ${
        count === 1 ? 'one field needs' : `${count} fields need`
      } attention.`,
      details: validation.general,
    });
    focusFirstError(validation.errors);
    return undefined;
  };

  const save = async (input: EmailProviderSettingsInput) => {
    setConfirmation(undefined);
    setSaving(true);
    setProblem(undefined);
    setConflict(undefined);
    setNotice(undefined);
    try {
      const result =
        input.provider === 'none'
          ? await api.deleteSettings({ version: snapshot.version })
          : await api.saveSettings(input, { version: snapshot.version });
      const savedDraft = draftFromSettings(result.settings);
      setSnapshot(result);
      setInitial(savedDraft);
      setDraft(savedDraft);
      setErrors({});
      setValidateLive(false);
      setVerify(undefined);
      setNotice(
        result.settings.provider === 'none'
          ? 'Saved: all email settings were deleted and no provider is active.'
          : `Saved: ${describeSettings(
              result.settings,
            )} is the active provider.`,
      );
    } catch (error) {
      if (isManagedByConfigError(error)) {
        await load();
        setTakenOverByConfig(true);
      } else if (error instanceof ResponseError && error.statusCode === 409) {
        setConflict(errorMessage(error));
      } else if (error instanceof ResponseError && error.statusCode === 400) {
        const parsed = parseServerMessage(errorMessage(error));
        setErrors(parsed.errors);
        showProblem({
          summary: 'The server refused the settings; nothing was saved.',
          details: parsed.general,
        });
        focusFirstError(parsed.errors);
      } else {
        showProblem({
          summary: 'The settings were not saved.',
          details: [errorMessage(error)],
        });
        problemRef.current?.focus();
      }
    } finally {
      setSaving(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const input = validated('The settings were not saved');
    if (!input) {
      return;
    }
    const needed = confirmationFor(saved, input);
    if (needed) {
      setConfirmation(needed);
    } else {
      save(input);
    }
  };

  const checkConnection = async () => {
    const draftChanged = differsFromSaved(draft, initial);
    let settings: EmailProviderSettingsInput | undefined;
    if (draftChanged) {
      settings = validated('The connection was not checked');
      if (!settings) {
        return;
      }
      if (settings.provider === 'none') {
        setVerify({
          status: 'error',
          target: 'draft',
          message: 'Choose SMTP or Microsoft 365 to check a connection.',
        });
        return;
      }
    } else if (saved.provider === 'none') {
      setVerify({
        status: 'error',
        target: 'saved',
        message:
          'No email provider is saved: choose SMTP or Microsoft 365 and fill in its settings to check them.',
      });
      return;
    }
    let target: CheckTarget = 'saved';
    if (draftChanged) {
      target = 'draft';
    } else if (managed) {
      target = 'config';
    }
    setVerify({ status: 'running', target });
    try {
      const result = await api.verify(settings ? { settings } : {});
      setVerify({ status: 'done', target, result });
    } catch (error) {
      if (error instanceof ResponseError && error.statusCode === 400) {
        const parsed = parseServerMessage(errorMessage(error));
        setErrors(parsed.errors);
      }
      setVerify({ status: 'error', target, message: errorMessage(error) });
    }
  };

  const setProvider = (provider: EmailProviderType) =>
    change({ ...draft, provider });

  return (
    <InfoCard title={CARD_TITLE}>
      <StatusLine settings={saved} />
      <CredentialExpiryAlert settings={saved} />
      {managed && <ManagedByConfigNote provider={saved.provider} />}
      {takenOverByConfig && (
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
        onSubmit={submit}
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
            secret={smtpSecret}
            readOnly={locked}
            managed={managed}
          />
        )}
        {draft.provider === 'microsoft365' && (
          <Microsoft365Fields
            microsoft365={draft.microsoft365}
            onChange={microsoft365 => change({ ...draft, microsoft365 })}
            errors={errors}
            secret={microsoft365Secret}
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
                <Button color="inherit" onClick={load}>
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
              onClick={checkConnection}
              disabled={verify?.status === 'running'}
            >
              Check connection
            </Button>
            <Button variant="outlined" onClick={() => setTestOpen(true)}>
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
        onCancel={() => setConfirmation(undefined)}
        onConfirm={() => confirmation && save(confirmation.input)}
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
      {testOpen && (
        <TestEmailDialog
          open
          onClose={() => setTestOpen(false)}
          saved={saved}
          unsavedChanges={differsFromSaved(draft, initial)}
          defaultRecipient={recipient}
        />
      )}
    </InfoCard>
  );
}
