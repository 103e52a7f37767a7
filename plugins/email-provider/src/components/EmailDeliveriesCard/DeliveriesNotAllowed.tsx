import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { WhoDecides } from '../EmailProviderAccess';

/** Shown instead of the delivery log to a user who may not read it. */
export function DeliveriesNotAllowed(props: { adminsConfigured: boolean }) {
  return (
    <Alert severity="warning" role="alert">
      <AlertTitle>Not allowed</AlertTitle>
      You are not allowed to see the delivery log: that needs the{' '}
      <code>email-provider.deliveries.read</code> permission, and{' '}
      <WhoDecides adminsConfigured={props.adminsConfigured} />
    </Alert>
  );
}
