import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';

/** Shown instead of the delivery log to a user without the permission to read it. */
export function DeliveriesNotAllowed() {
  return (
    <Alert severity="warning" role="alert">
      <AlertTitle>Not allowed</AlertTitle>
      You are not allowed to see the delivery log: that needs the{' '}
      <code>email-provider.deliveries.read</code> permission, which email
      provider admins have.
    </Alert>
  );
}
