import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';

/** Shown instead of the settings to a user without the read permission. */
export function NotAllowed() {
  return (
    <Alert severity="warning" role="alert">
      <AlertTitle>Not allowed</AlertTitle>
      You are not allowed to see the email provider settings: that needs the{' '}
      <code>email-provider.settings.read</code> permission, which email provider
      admins have. Ask one of them if you need a change.
    </Alert>
  );
}
