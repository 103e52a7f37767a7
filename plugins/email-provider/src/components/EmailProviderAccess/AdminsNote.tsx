import { useTranslationRef } from '@backstage/frontend-plugin-api';
import Alert from '@material-ui/lab/Alert';
import { emailProviderTranslationRef } from '../../translation';

const ADMINS_KEY = <code>emailProvider.admins</code>;

/** Says who may change the settings: the admins listed in config, or the portal's policy. */
export function AdminsNote(props: { adminsConfigured: boolean }) {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  if (props.adminsConfigured) {
    return (
      <Alert severity="info" role="note">
        {t('page.adminsNote.configured', { adminsKey: ADMINS_KEY })}
      </Alert>
    );
  }
  return (
    <Alert severity="warning" role="note">
      {t('page.adminsNote.notConfigured', { adminsKey: ADMINS_KEY })}
    </Alert>
  );
}

/** The end of a not-allowed message: who has the permission, and whom to ask. */
export function WhoDecides(props: { adminsConfigured: boolean }) {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return t(
    props.adminsConfigured
      ? 'page.whoDecides.configured'
      : 'page.whoDecides.notConfigured',
    { adminsKey: ADMINS_KEY },
  );
}
