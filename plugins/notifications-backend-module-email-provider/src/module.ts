import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';

export const notificationsModuleEmailProvider = createBackendModule({
  pluginId: 'notifications',
  moduleId: 'email-provider',
  register(reg) {
    reg.registerInit({
      deps: { logger: coreServices.logger },
      async init({ logger }) {
        logger.info('Hello World!');
      },
    });
  },
});
