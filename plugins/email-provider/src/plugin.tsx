import { createFrontendPlugin } from '@backstage/frontend-plugin-api';

/**
 * The email-provider frontend plugin. The settings page and card are added by the admin page
 * work; until then the plugin contributes nothing to the app.
 *
 * @public
 */
export const emailProviderPlugin = createFrontendPlugin({
  pluginId: 'email-provider',
  info: { packageJson: () => import('../package.json') },
  extensions: [],
});
