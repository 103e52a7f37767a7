import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { EmailFailure } from '@email-provider/backstage-plugin-email-provider-common';
import Typography from '@material-ui/core/Typography';
import { emailProviderTranslationRef } from '../../translation';

/** The failure's code, whether trying again may help, and the provider's own (redacted) reply. */
export function FailureDetails(props: { failure: EmailFailure }) {
  const { failure } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const code = <code>{failure.code}</code>;
  return (
    <Typography variant="body2" component="div">
      <div>
        {failure.transient
          ? t('settings.failureDetails.codeTransient', { code })
          : t('settings.failureDetails.code', { code })}
      </div>
      {failure.providerReply && (
        <div>
          {t('settings.failureDetails.providerReply', {
            reply: <code>{failure.providerReply}</code>,
          })}
        </div>
      )}
    </Typography>
  );
}
