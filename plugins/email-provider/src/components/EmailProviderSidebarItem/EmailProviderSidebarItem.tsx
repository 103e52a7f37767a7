import { SidebarItem } from '@backstage/core-components';
import type { IconComponent } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import EmailIcon from '@material-ui/icons/Email';
import { useEmailProviderAccess } from '../EmailProviderAccess';
import { emailProviderTranslationRef } from '../../translation';

/**
 * The sidebar entry of the Email provider page, shown only to users the backend lets read the
 * settings or the delivery log (`GET /api/email-provider/access`: `emailProvider.admins`,
 * narrowed by the portal's permission policy). The page contributes no nav item of its own, since
 * a nav item generated from a page is shown to every user whom the portal's permission policy
 * allows, and create-app's policy allows everyone; put this in the app's sidebar instead.
 *
 * @public
 */
export function EmailProviderSidebarItem(props: {
  /** Where the page is mounted; `/email-provider` by default. */
  to?: string;
  text?: string;
  icon?: IconComponent;
}) {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const state = useEmailProviderAccess();
  const access = 'access' in state ? state.access : undefined;
  if (!access?.settings.read && !access?.deliveries.read) {
    return null;
  }
  return (
    <SidebarItem
      icon={props.icon ?? EmailIcon}
      to={props.to ?? '/email-provider'}
      text={props.text ?? t('page.sidebarItem')}
    />
  );
}
