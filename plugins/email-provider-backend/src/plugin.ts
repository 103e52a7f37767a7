import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { emailProviderPermissions } from '@email-provider/backstage-plugin-email-provider-common';
import { migrateDatabase } from './database/migrateDatabase';
import { DatabaseOutboxStore } from './delivery/DatabaseOutboxStore';
import { readDeliveryOptions } from './delivery/DeliveryOptions';
import { OutboxWorker } from './delivery/OutboxWorker';
import { MailProviderFactory } from './providers/MailProviderFactory';
import { AdminAccess } from './routes/AdminAccess';
import { createMessagesRouter } from './routes/messagesRouter';
import { OutboxIntake } from './delivery/OutboxIntake';
import { createRouter } from './routes/router';
import { DatabaseSettingsStore } from './settings/DatabaseSettingsStore';
import { SecretCipher } from './settings/SecretCipher';
import { SettingsService } from './settings/SettingsService';
import {
  adoptManagedSettings,
  readManagedSettings,
} from './settings/ManagedSettings';

/**
 * The email-provider backend plugin: the one active email provider of the portal, its settings
 * and encrypted credentials, the admin API at `/api/email-provider`, and the outbox that
 * delivers other plugins' messages through it.
 *
 * @public
 */
export const emailProviderPlugin = createBackendPlugin({
  pluginId: 'email-provider',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        lifecycle: coreServices.lifecycle,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        userInfo: coreServices.userInfo,
        auditor: coreServices.auditor,
      },
      async init({
        config,
        database,
        httpAuth,
        httpRouter,
        lifecycle,
        logger,
        permissions,
        permissionsRegistry,
        scheduler,
        userInfo,
        auditor,
      }) {
        const cipher = SecretCipher.fromConfig(config, { logger });
        const access = AdminAccess.fromConfig(config, {
          httpAuth,
          permissions,
          userInfo,
        });
        if (access.startupWarning) {
          logger.warn(access.startupWarning);
        }
        const deliveryOptions = readDeliveryOptions(config);
        const providers = MailProviderFactory.fromConfig(config);
        const managedSettings = readManagedSettings(
          config,
          providers.destinations,
        );
        const db = await migrateDatabase(database);
        const settings = new SettingsService(
          new DatabaseSettingsStore(db),
          cipher,
        );
        if (managedSettings) {
          await adoptManagedSettings({
            settings,
            input: managedSettings,
            logger,
            auditor,
          });
        }
        const outbox = new DatabaseOutboxStore(db);
        const worker = new OutboxWorker({
          store: outbox,
          settings,
          providers,
          logger,
          options: deliveryOptions,
        });
        lifecycle.addStartupHook(() => worker.start());
        lifecycle.addShutdownHook(() => worker.stop());

        await scheduler.scheduleTask({
          id: 'email-provider-outbox-purge',
          frequency: { hours: 6 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 5 },
          fn: async () => {
            const before = new Date(
              Date.now() - deliveryOptions.retentionDays * 24 * 3600_000,
            );
            const purged = await outbox.purge(before);
            logger.info(`Purged ${purged} finished email message(s)`);
          },
        });

        permissionsRegistry.addPermissions(emailProviderPermissions);
        httpRouter.use(
          createMessagesRouter({
            store: outbox,
            intake: new OutboxIntake({
              store: outbox,
              settings,
              options: deliveryOptions,
              onStored: () => worker.notifyEnqueued(),
            }),
            deliveryOptions,
            httpAuth,
            access,
            auditor,
            onEnqueued: () => worker.notifyEnqueued(),
          }),
        );
        httpRouter.use(
          await createRouter({
            settings,
            access,
            auditor,
            providers,
            appTitle: config.getOptionalString('app.title') ?? 'Backstage',
          }),
        );
      },
    });
  },
});
