import { createBackendModule } from '@backstage/backend-plugin-api';

/**
 * Delivers Backstage notifications by email through the email-provider plugin. Not yet
 * functional: it registers nothing until the notifications work lands (see the README), and the
 * portal does not install it.
 *
 * @public
 */
export const notificationsModuleEmailProvider = createBackendModule({
  pluginId: 'notifications',
  moduleId: 'email-provider',
  register(reg) {
    reg.registerInit({ deps: {}, async init() {} });
  },
});
