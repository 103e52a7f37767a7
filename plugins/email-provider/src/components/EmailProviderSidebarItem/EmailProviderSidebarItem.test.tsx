import { SidebarPage, Sidebar } from '@backstage/core-components';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  AuthorizeResult,
  EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import { screen, waitFor } from '@testing-library/react';
import { SWRConfig } from 'swr';
import { EmailProviderSidebarItem } from './EmailProviderSidebarItem';

function renderItem(
  authorize:
    | AuthorizeResult.ALLOW
    | AuthorizeResult.DENY
    | ((
        request: EvaluatePermissionRequest,
      ) => AuthorizeResult.ALLOW | AuthorizeResult.DENY),
) {
  const permissionApi = mockApis.permission({ authorize });
  const authorizeSpy = jest.spyOn(permissionApi, 'authorize');
  renderInTestApp(
    <SWRConfig value={{ provider: () => new Map() }}>
      <SidebarPage>
        <Sidebar>
          <EmailProviderSidebarItem />
        </Sidebar>
      </SidebarPage>
    </SWRConfig>,
    { apis: [permissionApi] },
  );
  return authorizeSpy;
}

describe('EmailProviderSidebarItem', () => {
  it('links admins to the page', async () => {
    renderItem(AuthorizeResult.ALLOW);
    expect(
      await screen.findByRole('link', { name: 'Email provider' }),
    ).toHaveAttribute('href', '/email-provider');
  });

  it('is not there for everyone else', async () => {
    const authorize = renderItem(AuthorizeResult.DENY);
    await waitFor(() => expect(authorize).toHaveBeenCalled());
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(
      screen.queryByRole('link', { name: 'Email provider' }),
    ).not.toBeInTheDocument();
  });

  it('links users who may read only the delivery log', async () => {
    renderItem(request =>
      request.permission.name === 'email-provider.deliveries.read'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
    );
    expect(
      await screen.findByRole('link', { name: 'Email provider' }),
    ).toHaveAttribute('href', '/email-provider');
  });
});
