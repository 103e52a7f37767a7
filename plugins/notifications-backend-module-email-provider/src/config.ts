import { Config } from '@backstage/config';
import {
  getProcessorFiltersFromConfig,
  NotificationProcessorFilters,
  NotificationSettings,
} from '@backstage/plugin-notifications-common';
import { absoluteHttpLink, PortalDetails } from './email/notificationEmail';
import { EmailAddressFilter } from './recipients/EmailAddressFilter';

const CONFIG_KEY = 'notifications.processors.emailProvider';
const DEFAULT_SETTINGS_PATH = '/settings/notifications';

/** The module's configuration, read once at startup. */
export type EmailProviderProcessorConfig = {
  portal: PortalDetails;
  /** `notifications.processors.emailProvider.broadcast.enabled`, false unless set. */
  broadcastEnabled: boolean;
  filter: NotificationProcessorFilters;
  /** `notifications.defaultSettings`: the portal's default channel settings. */
  defaultSettings?: NotificationSettings;
  /**
   * `allowlistEmailAddresses` and `denylistEmailAddresses`; undefined when neither is set, and
   * every address may get mail.
   */
  addressFilter?: EmailAddressFilter;
};

export function readProcessorConfig(
  config: Config,
): EmailProviderProcessorConfig {
  const own = config.getOptionalConfig(CONFIG_KEY);
  const baseUrl = config.getString('app.baseUrl');
  const settingsSetting = own?.getOptionalString('settingsUrl');
  const settingsUrl = absoluteHttpLink(
    settingsSetting ?? DEFAULT_SETTINGS_PATH,
    baseUrl,
  );
  if (!settingsUrl) {
    throw new Error(
      `${CONFIG_KEY}.settingsUrl must be a path under app.baseUrl or an http(s) URL, got '${settingsSetting}'`,
    );
  }
  const allowlist = own?.getOptionalStringArray('allowlistEmailAddresses');
  const denylist = own?.getOptionalStringArray('denylistEmailAddresses');
  return {
    portal: {
      baseUrl,
      title: config.getOptionalString('app.title') ?? 'Backstage',
      settingsUrl,
    },
    broadcastEnabled: own?.getOptionalBoolean('broadcast.enabled') ?? false,
    filter: own ? getProcessorFiltersFromConfig(own) : {},
    defaultSettings: config.getOptional<NotificationSettings>(
      'notifications.defaultSettings',
    ),
    addressFilter:
      allowlist || denylist
        ? new EmailAddressFilter({
            allowlist: {
              key: `${CONFIG_KEY}.allowlistEmailAddresses`,
              patterns: allowlist,
            },
            denylist: {
              key: `${CONFIG_KEY}.denylistEmailAddresses`,
              patterns: denylist,
            },
          })
        : undefined,
  };
}
