import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  AuthorizeResult,
  EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SWRConfig } from 'swr';
import { emailProviderApiRef } from '../../api';
import {
  FAILED_DELIVERY,
  FakeEmailProviderApi,
  SAVED_SMTP,
} from '../../__testUtils__/FakeEmailProviderApi';
import { EmailProviderPage } from './EmailProviderPage';

const ALL = [
  'email-provider.settings.read',
  'email-provider.settings.update',
  'email-provider.deliveries.read',
];

function renderPage(
  api: FakeEmailProviderApi,
  allowed: string[],
  path = '/email-provider',
) {
  const authorize = (request: EvaluatePermissionRequest) =>
    allowed.includes(request.permission.name)
      ? AuthorizeResult.ALLOW
      : AuthorizeResult.DENY;
  renderInTestApp(
    <SWRConfig value={{ provider: () => new Map() }}>
      <EmailProviderPage />
    </SWRConfig>,
    {
      apis: [[emailProviderApiRef, api], mockApis.permission({ authorize })],
      mountPath: '/email-provider',
      initialRouteEntries: [path],
    },
  );
  return userEvent.setup();
}

function apiWithLog() {
  const api = new FakeEmailProviderApi(SAVED_SMTP);
  api.messages = [FAILED_DELIVERY];
  return api;
}

describe('EmailProviderPage', () => {
  it('shows the settings and the delivery hints to an admin', async () => {
    renderPage(apiWithLog(), ALL);
    expect(
      screen.getByRole('heading', { level: 1, name: 'Email provider' }),
    ).toBeInTheDocument();
    expect(await screen.findByLabelText('Server address')).toHaveValue(
      'smtp.example.com',
    );
    expect(screen.getByRole('tab', { name: 'Settings' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(
      screen.getByText(/allow the servers that send for it/),
    ).toBeVisible();
    expect(
      screen.getByText(/30\s+messages a minute and 10,000 recipients a day/),
    ).toBeVisible();
    expect(
      screen.getByRole('link', { name: /How the portal delivers mail/ }),
    ).toHaveAttribute('href', expect.stringContaining('learn.microsoft.com'));
  });

  it('opens the delivery log in its own tab, at its own address', async () => {
    const api = apiWithLog();
    const user = renderPage(api, ALL);
    await screen.findByLabelText('Server address');
    const tab = screen.getByRole('tab', { name: 'Deliveries' });
    expect(tab).toHaveAttribute('href', '/email-provider/deliveries');
    expect(api.listMessages).not.toHaveBeenCalled();

    await user.click(tab);
    expect(
      await screen.findByRole('table', { name: 'Recent messages' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Nightly build report')).toBeVisible();
    expect(screen.getByRole('tab', { name: 'Deliveries' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(screen.queryByLabelText('Server address')).not.toBeInTheDocument();

    await user.click(screen.getByRole('tab', { name: 'Settings' }));
    expect(await screen.findByLabelText('Server address')).toBeVisible();
  });

  it('opens the Deliveries tab from a link', async () => {
    renderPage(apiWithLog(), ALL, '/email-provider/deliveries');
    expect(
      await screen.findByRole('table', { name: 'Recent messages' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Deliveries' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
  });

  it('has no Deliveries tab without the permission to read the log', async () => {
    const api = apiWithLog();
    renderPage(
      api,
      ['email-provider.settings.read', 'email-provider.settings.update'],
      '/email-provider/deliveries',
    );
    expect(await screen.findByLabelText('Server address')).toBeVisible();
    expect(screen.getByRole('tab', { name: 'Settings' })).toBeInTheDocument();
    expect(
      screen.queryByRole('tab', { name: 'Deliveries' }),
    ).not.toBeInTheDocument();
    expect(api.listMessages).not.toHaveBeenCalled();
  });

  it('shows only the delivery log to a user who may read it but not the settings', async () => {
    const api = apiWithLog();
    renderPage(api, ['email-provider.deliveries.read']);
    expect(
      await screen.findByRole('table', { name: 'Recent messages' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('tab', { name: 'Settings' }),
    ).not.toBeInTheDocument();
    expect(api.getSettings).not.toHaveBeenCalled();
    expect(
      screen.queryByRole('button', { name: 'Retry' }),
    ).not.toBeInTheDocument();
  });

  it('shows a not-allowed message to everyone else', async () => {
    const api = apiWithLog();
    renderPage(api, []);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'You are not allowed to see the email provider settings',
    );
    expect(
      screen.getByRole('heading', { level: 1, name: 'Email provider' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('tab')).not.toBeInTheDocument();
    await waitFor(() => expect(api.getSettings).not.toHaveBeenCalled());
    expect(api.listMessages).not.toHaveBeenCalled();
  });
});
