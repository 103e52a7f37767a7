import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { DefaultEmailService } from './DefaultEmailService';
import { EmailService } from './EmailService';

/**
 * The email service for backend plugins. Its default implementation,
 * {@link DefaultEmailService}, sends through the `email-provider` backend plugin with a plugin
 * token of the plugin that uses it, so nothing needs to be installed besides this package and the
 * `email-provider` backend itself.
 *
 * @example
 *
 * ```ts
 * env.registerInit({
 *   deps: { email: emailServiceRef },
 *   async init({ email }) {
 *     await email.send({ to: ['ada@example.com'], subject: 'Hello', text: 'Hi Ada' });
 *   },
 * });
 * ```
 *
 * @public
 */
export const emailServiceRef = createServiceRef<EmailService>({
  id: 'email-provider.email',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        auth: coreServices.auth,
        discovery: coreServices.discovery,
      },
      factory({ auth, discovery }) {
        return DefaultEmailService.create({ auth, discovery });
      },
    }),
});
