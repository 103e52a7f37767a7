import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationsProcessingExtensionPoint } from '@backstage/plugin-notifications-node';
import { emailServiceRef } from '@email-provider/backstage-plugin-email-provider-node';
import { readProcessorConfig } from './config';
import { DatabaseEmailChannelSettings } from './processor/EmailChannelSettings';
import { EmailProviderNotificationProcessor } from './processor/EmailProviderNotificationProcessor';

/**
 * Delivers Backstage notifications by email through the portal's email provider
 * (`emailServiceRef`), as the "Email" notification channel. It replaces
 * `@backstage/plugin-notifications-backend-module-email`; do not install both.
 *
 * @public
 */
export const notificationsModuleEmailProvider = createBackendModule({
  pluginId: 'notifications',
  moduleId: 'email-provider',
  register(reg) {
    reg.registerInit({
      deps: {
        notifications: notificationsProcessingExtensionPoint,
        email: emailServiceRef,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
      },
      async init({
        notifications,
        email,
        catalog,
        auth,
        config,
        logger,
        database,
      }) {
        const processorConfig = readProcessorConfig(config);
        // SECTION digest (digest helper): build the digest queue here.
        // END SECTION digest
        notifications.addProcessor(
          new EmailProviderNotificationProcessor({
            email,
            catalog,
            auth,
            logger,
            config: processorConfig,
            channelSettings: new DatabaseEmailChannelSettings(
              () => database.getClient(),
              processorConfig.defaultSettings,
            ),
          }),
        );
      },
    });
  },
});
