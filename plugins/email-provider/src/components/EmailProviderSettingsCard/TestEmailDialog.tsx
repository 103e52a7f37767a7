import { useApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  emailAddressSchema,
  EmailProviderSettings,
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
import { describeSettings } from './labels';
import { FailureDetails } from './FailureDetails';

type Result =
  | { kind: 'outcome'; outcome: TestEmailOutcome }
  | { kind: 'error'; title: string; message: string };

const recipientSchema = emailAddressSchema('Recipient');

function describeError(error: unknown): Result {
  if (error instanceof ResponseError) {
    const message = error.body?.error?.message ?? error.message;
    switch (error.statusCode) {
      case 429:
        return {
          kind: 'error',
          title: 'Rate limited: too many test emails',
          message,
        };
      case 409:
        return {
          kind: 'error',
          title: 'No email provider is active',
          message:
            'Save SMTP or Microsoft 365 settings first, then send the test email.',
        };
      case 403:
        return { kind: 'error', title: 'Not allowed', message };
      default:
        return { kind: 'error', title: 'The test email was not sent', message };
    }
  }
  return {
    kind: 'error',
    title: 'The test email was not sent',
    message: error instanceof Error ? error.message : String(error),
  };
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
  const [recipient, setRecipient] = useState(props.defaultRecipient ?? '');
  const [recipientError, setRecipientError] = useState<string>();
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<Result>();

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = recipientSchema.safeParse(recipient.trim());
    if (!parsed.success) {
      setRecipientError(parsed.error.issues[0]?.message);
      setResult(undefined);
      return;
    }
    setRecipientError(undefined);
    setSending(true);
    setResult(undefined);
    try {
      setResult({
        kind: 'outcome',
        outcome: await api.sendTestEmail({ to: parsed.data }),
      });
    } catch (error) {
      const described = describeError(error);
      if (
        error instanceof ResponseError &&
        error.statusCode === 400 &&
        described.kind === 'error'
      ) {
        setRecipientError(described.message.replace(/^to: /, ''));
      } else {
        setResult(described);
      }
    } finally {
      setSending(false);
    }
  };

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
          Send a test email
        </DialogTitle>
        <DialogContent>
          <DialogContentText id="email-provider-test-email-description">
            {saved.provider === 'none'
              ? 'No email provider is saved yet: save SMTP or Microsoft 365 settings first.'
              : `The test email goes out now through the ${
                  saved.managedBy === 'config'
                    ? "settings from the portal's configuration"
                    : 'saved settings'
                }: ${describeSettings(saved)}.`}
          </DialogContentText>
          {unsavedChanges && (
            <Alert severity="info">
              The form has unsaved changes; the test uses the saved settings.
              Save first to test your changes.
            </Alert>
          )}
          <TextField
            id="email-provider-test-recipient"
            label="Recipient"
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
            helperText={
              recipientError ??
              'The address that should receive the test email.'
            }
          />
          <Box aria-live="polite" mt={1}>
            {sending && (
              <Box display="flex" alignItems="center" role="status">
                <CircularProgress size={20} aria-hidden />
                <Typography variant="body2" style={{ marginLeft: 8 }}>
                  Sending…
                </Typography>
              </Box>
            )}
            {result?.kind === 'outcome' && result.outcome.ok && (
              <Alert severity="success" role="status">
                <strong>Test email sent.</strong> The provider accepted it in{' '}
                {result.outcome.durationMs} ms; message ID{' '}
                <code>{result.outcome.messageId}</code>. Check the recipient's
                inbox, and the spam folder.
              </Alert>
            )}
            {result?.kind === 'outcome' && !result.outcome.ok && (
              <Alert severity="error" role="alert">
                <strong>The test email was not sent.</strong>{' '}
                {result.outcome.failure.message}
                <FailureDetails failure={result.outcome.failure} />
              </Alert>
            )}
            {result?.kind === 'error' && (
              <Alert severity="error" role="alert">
                <strong>{result.title}.</strong> {result.message}
              </Alert>
            )}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Close</Button>
          <Button
            type="submit"
            color="primary"
            variant="contained"
            disabled={sending}
          >
            Send
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
