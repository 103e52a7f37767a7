import { SidebarItem } from '@backstage/core-components';
import type { IconComponent } from '@backstage/core-plugin-api';
import {
  emailProviderDeliveriesReadPermission,
  emailProviderSettingsReadPermission,
} from '@email-provider/backstage-plugin-email-provider-common';
import { usePermission } from '@backstage/plugin-permission-react';
import EmailIcon from '@material-ui/icons/Email';

/**
 * The sidebar entry of the Email provider page, shown only to users allowed to read the
 * settings (`email-provider.settings.read`) or the delivery log
 * (`email-provider.deliveries.read`). Use it in the app's sidebar in place of the nav
 * item the page contributes, for example with `navItems.take('page:email-provider')`.
 *
 * @public
 */
export function EmailProviderSidebarItem(props: {
  /** Where the page is mounted; `/email-provider` by default. */
  to?: string;
  text?: string;
  icon?: IconComponent;
}) {
  const settings = usePermission({
    permission: emailProviderSettingsReadPermission,
  });
  const deliveries = usePermission({
    permission: emailProviderDeliveriesReadPermission,
  });
  if (!settings.allowed && !deliveries.allowed) {
    return null;
  }
  return (
    <SidebarItem
      icon={props.icon ?? EmailIcon}
      to={props.to ?? '/email-provider'}
      text={props.text ?? 'Email provider'}
    />
  );
}
