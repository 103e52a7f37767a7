import type { EmailFailure } from '@email-provider/backstage-plugin-email-provider-common';
import Typography from '@material-ui/core/Typography';

/** The failure's code, whether trying again may help, and the provider's own (redacted) reply. */
export function FailureDetails(props: { failure: EmailFailure }) {
  const { failure } = props;
  return (
    <Typography variant="body2" component="div">
      <div>
        Code <code>{failure.code}</code>
        {failure.transient
          ? ': a temporary problem, trying again later may help.'
          : '.'}
      </div>
      {failure.providerReply && (
        <div>
          The server answered: <code>{failure.providerReply}</code>
        </div>
      )}
    </Typography>
  );
}
