import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  EmailAddressProblem,
  emailAddressProblem,
  EmailProviderSettings,
  MAX_EMAIL_ADDRESS_LENGTH,
} from '@email-provider/backstage-plugin-email-provider-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { FormEvent, useState } from 'react';
import { emailProviderApiRef, TestEmailOutcome } from '../../api';
import { emailProviderTranslationRef } from '../../translation';
import { useFailureSentence } from '../FailureSentence';
import { FailureDetails } from './FailureDetails';
import { useSettingsLabels } from './labels';

/** Why the backend did not send the test email, when it did not even try. */
type Refusal = 'rateLimited' | 'noActiveProvider' | 'notAllowed' | 'notSent';

/** `message` is the server's sentence, or the error's. */
type Refused = { kind: 'refused'; refusal: Refusal; message: string };

type Result = { kind: 'outcome'; outcome: TestEmailOutcome } | Refused;

/** What is wrong with the recipient: found by the form, or the server's sentence. */
type RecipientProblem =
  | { kind: 'required' | EmailAddressProblem }
  | { kind: 'refused'; message: string };

function checkRecipient(recipient: string): RecipientProblem | undefined {
  if (!recipient) {
    return { kind: 'required' };
  }
  const problem = emailAddressProblem(recipient);
  return problem && { kind: problem };
}

function refusalOf(error: unknown): Refused {
  if (!(error instanceof ResponseError)) {
    return {
      kind: 'refused',
      refusal: 'notSent',
      message: error instanceof Error ? error.message : String(error),
    };
  }
  const message = error.body?.error?.message ?? error.message;
  switch (error.statusCode) {
    case 429:
      return { kind: 'refused', refusal: 'rateLimited', message };
    case 409:
      return { kind: 'refused', refusal: 'noActiveProvider', message };
    case 403:
      return { kind: 'refused', refusal: 'notAllowed', message };
    default:
      return { kind: 'refused', refusal: 'notSent', message };
  }
}

/**
 * Sends the test email through the saved settings and shows what happened: the message ID, or
 * the failure's sentence saying what to fix.
 */
export function TestEmailDialog(props: {
  open: boolean;
  onClose(): void;
  saved: EmailProviderSettings;
  unsavedChanges: boolean;
  defaultRecipient?: string;
}) {
  const { open, onClose, saved, unsavedChanges } = props;
  const api = useApi(emailProviderApiRef);
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const { describeSettings } = useSettingsLabels();
  const explain = useFailureSentence();
  const [recipient, setRecipient] = useState(props.defaultRecipient ?? '');
  const [recipientProblem, setRecipientProblem] = useState<RecipientProblem>();
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<Result>();

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const to = recipient.trim();
    const problem = checkRecipient(to);
    setRecipientProblem(problem);
    setResult(undefined);
    if (problem) {
      return;
    }
    setSending(true);
    try {
      setResult({ kind: 'outcome', outcome: await api.sendTestEmail({ to }) });
    } catch (error) {
      const refusal = refusalOf(error);
      if (error instanceof ResponseError && error.statusCode === 400) {
        setRecipientProblem({ kind: 'refused', message: refusal.message });
      } else {
        setResult(refusal);
      }
    } finally {
      setSending(false);
    }
  };

  let recipientError: string | undefined;
  if (recipientProblem?.kind === 'refused') {
    recipientError = t('settings.testEmail.recipientRefused', {
      message: recipientProblem.message.replace(/^to: /, ''),
    });
  } else if (recipientProblem?.kind === 'tooLong') {
    recipientError = t('settings.testEmail.recipientTooLong', {
      max: MAX_EMAIL_ADDRESS_LENGTH,
    });
  } else if (recipientProblem) {
    recipientError =
      recipientProblem.kind === 'required'
        ? t('settings.testEmail.recipientRequired')
        : t('settings.testEmail.recipientInvalid');
  }

  let through: string;
  if (saved.provider === 'none') {
    through = t('settings.testEmail.noProvider');
  } else if (saved.managedBy === 'config') {
    through = t('settings.testEmail.throughConfig', {
      settings: describeSettings(saved),
    });
  } else {
    through = t('settings.testEmail.throughSaved', {
      settings: describeSettings(saved),
    });
  }

  return (
    <Dialog
      open={open}
      onClose={onClose}
      aria-labelledby="email-provider-test-email-title"
      aria-describedby="email-provider-test-email-description"
      fullWidth
      maxWidth="sm"
    >
      <form noValidate onSubmit={send}>
        <DialogTitle id="email-provider-test-email-title">
          {t('settings.testEmail.title')}
        </DialogTitle>
        <DialogContent>
          <DialogContentText id="email-provider-test-email-description">
            {through}
          </DialogContentText>
          {unsavedChanges && (
            <Alert severity="info">
              {t('settings.testEmail.unsavedChanges')}
            </Alert>
          )}
          <TextField
            id="email-provider-test-recipient"
            label={t('settings.testEmail.recipient')}
            type="email"
            value={recipient}
            onChange={event => setRecipient(event.target.value)}
            // A dialog moves focus to its first field (WAI-ARIA dialog pattern).
            // eslint-disable-next-line jsx-a11y/no-autofocus
            autoFocus
            inputProps={{ 'aria-required': true }}
            fullWidth
            margin="normal"
            variant="outlined"
            error={Boolean(recipientError)}
            helperText={recipientError ?? t('settings.testEmail.recipientHelp')}
          />
          <Box aria-live="polite" mt={1}>
            {sending && (
              <Box display="flex" alignItems="center" role="status">
                <CircularProgress size={20} aria-hidden />
                <Typography variant="body2" style={{ marginLeft: 8 }}>
                  {t('settings.testEmail.sending')}
                </Typography>
              </Box>
            )}
            {result?.kind === 'outcome' && result.outcome.ok && (
              <Alert severity="success" role="status">
                {t('settings.testEmail.sent.body', {
                  heading: (
                    <strong>{t('settings.testEmail.sent.heading')}</strong>
                  ),
                  durationMs: result.outcome.durationMs,
                  messageId: <code>{result.outcome.messageId}</code>,
                })}
              </Alert>
            )}
            {result?.kind === 'outcome' && !result.outcome.ok && (
              <Alert severity="error" role="alert">
                {t('settings.testEmail.notSent.body', {
                  heading: (
                    <strong>{t('settings.testEmail.notSent.heading')}</strong>
                  ),
                  reason: explain(result.outcome.failure),
                })}
                <FailureDetails failure={result.outcome.failure} />
              </Alert>
            )}
            {result?.kind === 'refused' && (
              <Alert severity="error" role="alert">
                {t('settings.testEmail.refused.body', {
                  heading: (
                    <strong>
                      {t(`settings.testEmail.refused.${result.refusal}`)}
                    </strong>
                  ),
                  // The server's sentence for a 409 only repeats the heading.
                  message:
                    result.refusal === 'noActiveProvider'
                      ? t('settings.testEmail.refused.noActiveProviderHelp')
                      : result.message,
                })}
              </Alert>
            )}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{t('settings.testEmail.close')}</Button>
          <Button
            type="submit"
            color="primary"
            variant="contained"
            disabled={sending}
          >
            {t('settings.testEmail.send')}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
