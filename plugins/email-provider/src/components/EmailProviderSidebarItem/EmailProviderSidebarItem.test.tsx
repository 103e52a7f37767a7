import { Sidebar, SidebarPage } from '@backstage/core-components';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor } from '@testing-library/react';
import { emailProviderApiRef } from '../../api';
import {
  FakeEmailProviderApi,
  NO_ACCESS,
  responseError,
} from '../../__testUtils__/FakeEmailProviderApi';
import { renderInLanguage } from '../../__testUtils__/renderInLanguage';
import { EmailProviderSidebarItem } from './EmailProviderSidebarItem';

function renderItem(api: FakeEmailProviderApi) {
  renderInTestApp(
    <SidebarPage>
      <Sidebar>
        <EmailProviderSidebarItem />
      </Sidebar>
    </SidebarPage>,
    {
      // create-app's allow-all policy, as the permission API reports it: the item must not
      // follow it, only the backend's answer.
      apis: [
        [emailProviderApiRef, api],
        mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
      ],
    },
  );
}

/** Waits until the item has had the backend's answer, then gives it a moment to render. */
async function answered(api: FakeEmailProviderApi) {
  await waitFor(() => expect(api.getAccess).toHaveBeenCalled());
  await new Promise(resolve => setTimeout(resolve, 50));
}

describe('EmailProviderSidebarItem', () => {
  it('links admins to the page', async () => {
    renderItem(new FakeEmailProviderApi());
    expect(
      await screen.findByRole('link', { name: 'Email provider' }),
    ).toHaveAttribute('href', '/email-provider');
  });

  it('is not there for users the backend does not admit, whatever the permission API says', async () => {
    const api = new FakeEmailProviderApi();
    api.access = NO_ACCESS;
    renderItem(api);
    await answered(api);
    expect(
      screen.queryByRole('link', { name: 'Email provider' }),
    ).not.toBeInTheDocument();
  });

  it('links users who may read only the delivery log', async () => {
    const api = new FakeEmailProviderApi();
    api.access = { ...NO_ACCESS, deliveries: { read: true } };
    renderItem(api);
    expect(
      await screen.findByRole('link', { name: 'Email provider' }),
    ).toHaveAttribute('href', '/email-provider');
  });

  it('is not there when the access cannot be read', async () => {
    const api = new FakeEmailProviderApi();
    api.getAccess.mockRejectedValue(
      await responseError(503, 'ServiceUnavailableError', 'Backend away'),
    );
    renderItem(api);
    await answered(api);
    expect(
      screen.queryByRole('link', { name: 'Email provider' }),
    ).not.toBeInTheDocument();
  });

  it('names the page in the language the user chose', async () => {
    renderInLanguage(
      <SidebarPage>
        <Sidebar>
          <EmailProviderSidebarItem />
        </Sidebar>
      </SidebarPage>,
      'pt-BR',
      { apis: [[emailProviderApiRef, new FakeEmailProviderApi()]] },
    );
    expect(
      await screen.findByRole(
        'link',
        { name: 'Provedor de e-mail' },
        // The Portuguese messages load on demand.
        { timeout: 10_000 },
      ),
    ).toHaveAttribute('href', '/email-provider');
  });
});
