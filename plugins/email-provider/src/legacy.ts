/**
 * The email-provider frontend plugin for apps on the old frontend system (`createApp` from
 * `@backstage/app-defaults`): a `createPlugin` plugin with its API, a routable page, the
 * settings card and the delivery log card.
 *
 * @packageDocumentation
 */
import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { emailProviderApiRef, EmailProviderClient } from './api';

/**
 * Where the Email provider page is mounted in an app on the old frontend system.
 *
 * @public
 */
export const emailProviderRouteRef = createRouteRef({ id: 'email-provider' });

/**
 * The email-provider plugin for the old frontend system.
 *
 * @public
 */
export const emailProviderPlugin = createPlugin({
  id: 'email-provider',
  apis: [
    createApiFactory({
      api: emailProviderApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new EmailProviderClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: emailProviderRouteRef },
});

/**
 * The Email provider page, for a `<Route path="/email-provider" element={<EmailProviderPage />} />`.
 *
 * @public
 */
export const EmailProviderPage: () => JSX.Element = emailProviderPlugin.provide(
  createRoutableExtension({
    name: 'EmailProviderPage',
    component: () =>
      import('./components/EmailProviderPage').then(m => m.EmailProviderPage),
    mountPoint: emailProviderRouteRef,
  }),
);

/**
 * The settings card, to place on a page of your own.
 *
 * @public
 */
export const EmailProviderSettingsCard: () => JSX.Element =
  emailProviderPlugin.provide(
    createComponentExtension({
      name: 'EmailProviderSettingsCard',
      component: {
        lazy: () =>
          import('./components/EmailProviderSettingsCard').then(
            m => m.EmailProviderSettingsCard,
          ),
      },
    }),
  );

/**
 * The delivery log (health summary, recent messages, retry), to place on a page of your own.
 *
 * @public
 */
export const EmailDeliveriesCard: (props: {
  refreshIntervalMs?: number;
}) => JSX.Element = emailProviderPlugin.provide(
  createComponentExtension({
    name: 'EmailDeliveriesCard',
    component: {
      lazy: () =>
        import('./components/EmailDeliveriesCard').then(
          m => m.EmailDeliveriesCard,
        ),
    },
  }),
);

export { EmailProviderSidebarItem } from './components/EmailProviderSidebarItem';
export { emailProviderApiRef, EmailProviderClient } from './api';
export type {
  DeliveryFilter,
  EmailProviderApi,
  EmailProviderSettingsSnapshot,
  TestEmailFailureResult,
  TestEmailOutcome,
} from './api';
