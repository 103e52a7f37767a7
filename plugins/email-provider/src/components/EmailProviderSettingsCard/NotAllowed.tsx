import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { WhoDecides } from '../EmailProviderAccess';

/** Shown instead of the settings to a user who may not read them. */
export function NotAllowed(props: { adminsConfigured: boolean }) {
  return (
    <Alert severity="warning" role="alert">
      <AlertTitle>Not allowed</AlertTitle>
      You are not allowed to see the email provider settings: that needs the{' '}
      <code>email-provider.settings.read</code> permission, and{' '}
      <WhoDecides adminsConfigured={props.adminsConfigured} />
    </Alert>
  );
}
