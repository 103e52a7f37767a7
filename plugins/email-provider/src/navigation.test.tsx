import {
  createFrontendPlugin,
  createRouteRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor } from '@testing-library/react';
import emailProviderPlugin, { emailProviderApiRef } from './index';
import {
  FakeEmailProviderApi,
  NO_ACCESS,
  SAVED_SMTP,
} from './__testUtils__/FakeEmailProviderApi';

/** Another plugin's page, so that the app's nav has an item to show. */
const catalogLikePlugin = createFrontendPlugin({
  pluginId: 'catalog-like',
  extensions: [
    PageBlueprint.make({
      params: {
        path: '/catalog-like',
        title: 'Catalog',
        icon: <span />,
        routeRef: createRouteRef(),
        loader: async () => <div>Catalog page</div>,
      },
    }),
  ],
});

/**
 * The app as create-app makes it: the default nav, which shows `navItems.rest()`, and the
 * allow-all policy, so the permission API allows everything.
 */
function renderApp(api: FakeEmailProviderApi) {
  renderTestApp({
    features: [emailProviderPlugin, catalogLikePlugin],
    apis: [
      [emailProviderApiRef, api],
      mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
    ],
    initialRouteEntries: ['/email-provider'],
  });
}

describe('the plugin in an app with the default nav and an allow-all policy', () => {
  it('gives a user outside emailProvider.admins no nav entry and no page', async () => {
    const api = new FakeEmailProviderApi(SAVED_SMTP);
    api.access = NO_ACCESS;
    renderApp(api);
    expect(
      await screen.findByRole(
        'alert',
        {},
        // The first app render of the file: generous for a busy machine.
        { timeout: 10_000 },
      ),
    ).toHaveTextContent(
      'You are not allowed to see the email provider settings',
    );
    expect(screen.getByRole('link', { name: 'Catalog' })).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: 'Email provider' }),
    ).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Server address')).not.toBeInTheDocument();
    await waitFor(() => expect(api.getAccess).toHaveBeenCalled());
    expect(api.getSettings).not.toHaveBeenCalled();
  });

  it('opens the page for an admin, who reaches it through EmailProviderSidebarItem', async () => {
    const api = new FakeEmailProviderApi(SAVED_SMTP);
    renderApp(api);
    expect(
      await screen.findByLabelText('Server address', {}, { timeout: 10_000 }),
    ).toHaveValue('smtp.example.com');
    // No nav entry is generated from the page, for anyone: the app's nav cannot ask the backend.
    expect(screen.getByRole('link', { name: 'Catalog' })).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: 'Email provider' }),
    ).not.toBeInTheDocument();
  });
});
