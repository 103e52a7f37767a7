import { InfoCard, Progress } from '@backstage/core-components';
import {
  emailProviderSettingsReadPermission,
  emailProviderSettingsUpdatePermission,
} from '@email-provider/backstage-plugin-email-provider-common';
import { usePermission } from '@backstage/plugin-permission-react';
import { NotAllowed } from './NotAllowed';
import { SettingsEditor } from './SettingsEditor';

/**
 * The email provider settings: status, provider choice and its fields, save, connection check
 * and test email. Users without `email-provider.settings.read` see a not-allowed message;
 * without `email-provider.settings.update` the form is read-only. The backend checks both
 * again.
 *
 * @public
 */
export function EmailProviderSettingsCard() {
  const read = usePermission({
    permission: emailProviderSettingsReadPermission,
  });
  const update = usePermission({
    permission: emailProviderSettingsUpdatePermission,
  });
  if (read.loading || (read.allowed && update.loading)) {
    return (
      <InfoCard title="Outgoing email">
        <Progress />
      </InfoCard>
    );
  }
  if (!read.allowed) {
    return <NotAllowed />;
  }
  return <SettingsEditor readOnly={!update.allowed} />;
}
