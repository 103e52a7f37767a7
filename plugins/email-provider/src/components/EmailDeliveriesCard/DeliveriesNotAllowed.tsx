import { useTranslationRef } from '@backstage/frontend-plugin-api';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { emailProviderTranslationRef } from '../../translation';
import { WhoDecides } from '../EmailProviderAccess';

/** Shown instead of the delivery log to a user who may not read it. */
export function DeliveriesNotAllowed(props: { adminsConfigured: boolean }) {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return (
    <Alert severity="warning" role="alert">
      <AlertTitle>{t('deliveries.notAllowed.title')}</AlertTitle>
      {t('deliveries.notAllowed.body', {
        permission: <code>email-provider.deliveries.read</code>,
        whoDecides: <WhoDecides adminsConfigured={props.adminsConfigured} />,
      })}
    </Alert>
  );
}
