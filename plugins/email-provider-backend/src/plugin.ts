import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { notificationService } from '@backstage/plugin-notifications-node';
import { emailProviderPermissions } from '@email-provider/backstage-plugin-email-provider-common';
import { AdminNotifier } from './alerts/AdminNotifier';
import { readAlertOptions } from './alerts/AlertOptions';
import { AlertStore } from './alerts/AlertStore';
import { CredentialExpiryCheck } from './alerts/CredentialExpiryCheck';
import { DeliveryHealthCheck } from './alerts/DeliveryHealthCheck';
import { migrateDatabase } from './database/migrateDatabase';
import { DatabaseOutboxStore } from './delivery/DatabaseOutboxStore';
import { readDeliveryOptions } from './delivery/DeliveryOptions';
import { Outbox } from './delivery/Outbox';
import { OutboxCleaner } from './delivery/OutboxCleaner';
import { MailProviderFactory } from './providers/MailProviderFactory';
import { readEmailProviderAdmins } from './permissions/EmailProviderAdmins';
import { AdminAccess } from './routes/AdminAccess';
import { createMessagesRouter } from './routes/messagesRouter';
import { createRouter } from './routes/router';
import { createSuppressionsRouter } from './routes/suppressionsRouter';
import { readTestEmailLocale } from './routes/testEmailContent';
import {
  createUnsubscribeRouter,
  UNSUBSCRIBE_PATH,
} from './routes/unsubscribeRouter';
import { DatabaseSettingsStore } from './settings/DatabaseSettingsStore';
import { SecretCipher } from './settings/SecretCipher';
import { DeliveryLog } from './deliveryLog/DeliveryLog';
import { RecipientHasher } from './deliveryLog/RecipientHasher';
import { SettingsService } from './settings/SettingsService';
import { SuppressionStore } from './suppressions/SuppressionStore';
import { UnsubscribeTokens } from './suppressions/UnsubscribeTokens';
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
        discovery: coreServices.discovery,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        lifecycle: coreServices.lifecycle,
        rootLifecycle: coreServices.rootLifecycle,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        userInfo: coreServices.userInfo,
        auditor: coreServices.auditor,
        notifications: notificationService,
      },
      async init({
        config,
        database,
        discovery,
        httpAuth,
        httpRouter,
        lifecycle,
        rootLifecycle,
        logger,
        permissions,
        permissionsRegistry,
        scheduler,
        userInfo,
        auditor,
        notifications,
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
        const deliveryOptions = readDeliveryOptions(config, { logger });
        const alertOptions = readAlertOptions(config, { logger });
        const notifier = new AdminNotifier({
          notifications,
          logger,
          admins: readEmailProviderAdmins(config),
          enabled: alertOptions.enabled,
        });
        // Once every plugin has started, the notifications backend among them; not awaited, so
        // a slow notifications backend does not hold up the portal's startup.
        rootLifecycle.addStartupHook(() => {
          void notifier.start();
        });
        const providers = MailProviderFactory.fromConfig(config, logger);
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
            notifier,
          });
        }
        const store = new DatabaseOutboxStore(db);
        const recipients = RecipientHasher.fromCipher(cipher);
        const log = new DeliveryLog(db, recipients);
        const suppressions = new SuppressionStore(db, cipher, recipients);
        const unsubscribeTokens = UnsubscribeTokens.fromConfig(config, {
          cipher,
          discovery,
          logger,
        });
        const unsubscribeWarning = await unsubscribeTokens.startupWarning();
        if (unsubscribeWarning) {
          logger.warn(unsubscribeWarning);
        }
        const outbox = new Outbox({
          store,
          settings,
          providers,
          recipients,
          suppressions,
          unsubscribeTokens,
          logger,
          options: deliveryOptions,
        });
        lifecycle.addStartupHook(() => outbox.start());
        lifecycle.addShutdownHook(() => outbox.stop());
        await new OutboxCleaner({
          store,
          logger,
          retentionMs: deliveryOptions.retentionMs,
        }).schedule(scheduler);

        await scheduler.scheduleTask({
          id: 'email-provider-delivery-hours',
          scope: 'global',
          frequency: { minutes: 10 },
          timeout: { minutes: 10 },
          initialDelay: { seconds: 30 },
          fn: () => log.settle(),
        });

        if (alertOptions.enabled) {
          const alerts = new AlertStore(db);
          const credentialExpiry = new CredentialExpiryCheck({
            settings,
            alerts,
            notifier,
          });
          const deliveryHealth = new DeliveryHealthCheck({
            outbox: store,
            settings,
            alerts,
            notifier,
            options: alertOptions,
            expireAfterMs: deliveryOptions.expireAfterMs,
          });
          // Global tasks: one instance runs each at a time; the alert table makes each alert
          // go out once even so.
          await scheduler.scheduleTask({
            id: 'email-provider-credential-expiry',
            scope: 'global',
            frequency: { hours: 24 },
            timeout: { minutes: 5 },
            initialDelay: { minutes: 1 },
            fn: () => credentialExpiry.run(),
          });
          await scheduler.scheduleTask({
            id: 'email-provider-delivery-health',
            scope: 'global',
            frequency: { milliseconds: alertOptions.deliveryCheckIntervalMs },
            timeout: { minutes: 5 },
            initialDelay: { minutes: 1 },
            fn: () => deliveryHealth.run(),
          });
        }

        permissionsRegistry.addPermissions(emailProviderPermissions);
        const locale = readTestEmailLocale(config, logger);
        // The recipients of a message open its unsubscribe link without a Backstage sign-in;
        // the link's token is their credential.
        httpRouter.addAuthPolicy({
          path: UNSUBSCRIBE_PATH,
          allow: 'unauthenticated',
        });
        // First: other plugins' messages are most of the requests, and each router mounted
        // before theirs is walked on every one of them.
        httpRouter.use(
          createMessagesRouter({
            outbox,
            store,
            log,
            deliveryOptions,
            httpAuth,
            access,
            auditor,
            logger,
          }),
        );
        httpRouter.use(
          createUnsubscribeRouter({
            tokens: unsubscribeTokens,
            suppressions,
            auditor,
            locale,
          }),
        );
        httpRouter.use(
          createSuppressionsRouter({ suppressions, access, auditor }),
        );
        httpRouter.use(
          await createRouter({
            settings,
            access,
            auditor,
            providers,
            notifier,
            appTitle: config.getOptionalString('app.title') ?? 'Backstage',
            locale,
          }),
        );
      },
    });
  },
});
