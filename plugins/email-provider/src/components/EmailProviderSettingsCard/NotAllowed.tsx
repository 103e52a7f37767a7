import { useTranslationRef } from '@backstage/frontend-plugin-api';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { emailProviderTranslationRef } from '../../translation';
import { WhoDecides } from '../EmailProviderAccess';

/** Shown instead of the settings to a user who may not read them. */
export function NotAllowed(props: { adminsConfigured: boolean }) {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return (
    <Alert severity="warning" role="alert">
      <AlertTitle>{t('settings.notAllowed.title')}</AlertTitle>
      {t('settings.notAllowed.body', {
        permission: <code>email-provider.settings.read</code>,
        whoDecides: <WhoDecides adminsConfigured={props.adminsConfigured} />,
      })}
    </Alert>
  );
}
