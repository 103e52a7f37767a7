import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { emailProviderTranslationRef } from '../../translation';
import { useEmailProviderAccess } from '../EmailProviderAccess';
import { NotAllowed } from './NotAllowed';
import { SettingsEditor } from './SettingsEditor';

/**
 * The email provider settings: status, provider choice and its fields, save, connection check
 * and test email. Users the backend does not let read the settings (`email-provider.settings.read`)
 * see a not-allowed message; those it does not let change them
 * (`email-provider.settings.update`) see the form read-only. The backend checks both again.
 *
 * @public
 */
export function EmailProviderSettingsCard() {
  const state = useEmailProviderAccess();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  if (state.loading) {
    return (
      <InfoCard title={t('settings.title')}>
        <Progress />
      </InfoCard>
    );
  }
  if ('error' in state) {
    return <ResponseErrorPanel error={state.error} />;
  }
  const { access } = state;
  if (!access.settings.read) {
    return <NotAllowed adminsConfigured={access.adminsConfigured} />;
  }
  return <SettingsEditor readOnly={!access.settings.update} />;
}
