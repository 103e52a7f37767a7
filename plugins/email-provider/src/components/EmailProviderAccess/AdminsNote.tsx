import Alert from '@material-ui/lab/Alert';

/** Says who may change the settings: the admins listed in config, or the portal's policy. */
export function AdminsNote(props: { adminsConfigured: boolean }) {
  if (props.adminsConfigured) {
    return (
      <Alert severity="info" role="note">
        Email provider admins are set in <code>emailProvider.admins</code> in
        the portal's configuration: only the users and groups listed there may
        see and change these settings, and the portal's permission policy can
        narrow that further.
      </Alert>
    );
  }
  return (
    <Alert severity="warning" role="note">
      No email provider admins are set in <code>emailProvider.admins</code>: the
      portal's permission policy alone decides who may see and change these
      settings, and with the allow-all policy a new portal starts with, that is
      every signed-in user. List the admins in <code>emailProvider.admins</code>{' '}
      in the portal's configuration.
    </Alert>
  );
}

/** The end of a not-allowed message: who has the permission, and whom to ask. */
export function WhoDecides(props: { adminsConfigured: boolean }) {
  if (props.adminsConfigured) {
    return (
      <>
        only the email provider admins listed in{' '}
        <code>emailProvider.admins</code> have it. Ask one of them if you need a
        change.
      </>
    );
  }
  return (
    <>
      nobody is listed in <code>emailProvider.admins</code>, so the portal's
      permission policy decides who has it. Ask the portal's administrators if
      you need a change.
    </>
  );
}
