import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { emailProviderPermissions } from '@internal/plugin-email-provider-common';
import { MailProviderFactory } from './providers/MailProviderFactory';
import { AdminAccess } from './routes/AdminAccess';
import { createRouter } from './routes/router';
import { DatabaseSettingsStore } from './settings/DatabaseSettingsStore';
import { SecretCipher } from './settings/SecretCipher';
import { SettingsService } from './settings/SettingsService';

/**
 * The email-provider backend plugin: the one active email provider of the portal, its settings
 * and encrypted credentials, and the admin API at `/api/email-provider`.
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
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        userInfo: coreServices.userInfo,
        auditor: coreServices.auditor,
      },
      async init({
        config,
        database,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        userInfo,
        auditor,
      }) {
        const cipher = SecretCipher.fromConfig(config);
        const access = AdminAccess.fromConfig(config, {
          httpAuth,
          permissions,
          userInfo,
        });
        const store = await DatabaseSettingsStore.create({ database });
        permissionsRegistry.addPermissions(emailProviderPermissions);
        httpRouter.use(
          await createRouter({
            settings: new SettingsService(store, cipher),
            access,
            auditor,
            providers: MailProviderFactory.fromConfig(config),
            appTitle: config.getOptionalString('app.title') ?? 'Backstage',
          }),
        );
      },
    });
  },
});
