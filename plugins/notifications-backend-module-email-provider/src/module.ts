import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationsProcessingExtensionPoint } from '@backstage/plugin-notifications-node';
import { emailServiceRef } from '@email-provider/backstage-plugin-email-provider-node';
import { readProcessorConfig } from './config';
import { readDigestConfig } from './digest/digestConfig';
import { NotificationDigest } from './digest/NotificationDigest';
import { DatabaseEmailChannelSettings } from './processor/EmailChannelSettings';
import { EmailProviderNotificationProcessor } from './processor/EmailProviderNotificationProcessor';
import { NotificationsUserSettingsTable } from './processor/NotificationsUserSettingsTable';
import {
  NotificationsEmailProviderTemplate,
  notificationsEmailProviderTemplateExtensionPoint,
} from './templates/NotificationsEmailProviderTemplate';

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
    let template: NotificationsEmailProviderTemplate | undefined;
    reg.registerExtensionPoint(
      notificationsEmailProviderTemplateExtensionPoint,
      {
        setTemplate(newTemplate) {
          if (template) {
            throw new ConflictError(
              'The notification email template was already set by another module; only one module may set it',
            );
          }
          template = newTemplate;
        },
      },
    );
    reg.registerInit({
      deps: {
        notifications: notificationsProcessingExtensionPoint,
        email: emailServiceRef,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
      },
      async init({
        notifications,
        email,
        catalog,
        auth,
        config,
        logger,
        database,
        scheduler,
        lifecycle,
      }) {
        const processorConfig = readProcessorConfig(config);
        const digestConfig = readDigestConfig(config);
        const digest = digestConfig
          ? await NotificationDigest.create({
              config: digestConfig,
              database,
              logger,
            })
          : undefined;
        const userSettings = new NotificationsUserSettingsTable(
          () => database.getClient(),
          logger,
        );
        if (processorConfig.broadcastEnabled) {
          // Only once the notifications backend has migrated its tables.
          lifecycle.addStartupHook(async () => {
            await userSettings.unreadableBecause().catch(error => {
              logger.error(
                `Could not check the notifications backend's user_settings table; it is checked again at the next broadcast: ${error}`,
              );
            });
          });
        }
        const processor = new EmailProviderNotificationProcessor({
          email,
          catalog,
          auth,
          logger,
          config: processorConfig,
          channelSettings: new DatabaseEmailChannelSettings(
            userSettings,
            processorConfig.defaultSettings,
          ),
          template,
          digest,
        });
        notifications.addProcessor(processor);
        await digest?.schedule(scheduler, digests =>
          processor.sendDigests(digests),
        );
      },
    });
  },
});
