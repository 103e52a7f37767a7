import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import EmailIcon from '@material-ui/icons/Email';
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
 * The Email provider page at `/email-provider`. It also gives the app its nav item (title and
 * icon of the plugin); show that through `EmailProviderSidebarItem` so that only users allowed
 * to read the settings see it.
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
 * page, its nav item and the API client.
 *
 * @public
 */
export const emailProviderPlugin = createFrontendPlugin({
  pluginId: 'email-provider',
  title: 'Email provider',
  icon: <EmailIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef },
  extensions: [emailProviderApi, emailProviderPage],
});
