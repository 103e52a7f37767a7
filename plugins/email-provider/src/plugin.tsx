import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { emailProviderApiRef, EmailProviderClient } from './api';
import { rootRouteRef } from './routes';

/**
 * The client of the email-provider backend.
 *
 * @public
 */
export const emailProviderApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: emailProviderApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new EmailProviderClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The Email provider page at `/email-provider`. It gives the app no nav item: one generated
 * from a page is shown to every user the portal's permission policy allows (with create-app's
 * allow-all policy, everyone), so the sidebar entry is `EmailProviderSidebarItem`, which follows
 * the backend's decision.
 *
 * @public
 */
export const emailProviderPage = PageBlueprint.make({
  params: {
    path: '/email-provider',
    routeRef: rootRouteRef,
    // The page brings its own header (core-components), as the rest of the portal.
    noHeader: true,
    loader: () =>
      import('./components/EmailProviderPage').then(m => (
        <m.EmailProviderPage />
      )),
  },
});

/**
 * The email-provider frontend plugin for the new frontend system: the Email provider admin
 * page and the API client.
 *
 * @public
 */
export const emailProviderPlugin = createFrontendPlugin({
  pluginId: 'email-provider',
  title: 'Email provider',
  // No icon, on purpose: the app's nav generates an entry for every page that has an icon (its
  // own or its plugin's), whoever the user is, and an `if` predicate on the page can only ask the
  // permission API, which create-app's allow-all policy answers ALLOW for everyone.
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef },
  extensions: [emailProviderApi, emailProviderPage],
});
