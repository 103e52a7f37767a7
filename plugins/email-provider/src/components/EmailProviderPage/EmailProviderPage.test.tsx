import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { EmailProviderAccess } from '@email-provider/backstage-plugin-email-provider-common';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { emailProviderApiRef } from '../../api';
import {
  ADMIN_ACCESS,
  FAILED_DELIVERY,
  FakeEmailProviderApi,
  NO_ACCESS,
  responseError,
  SAVED_MICROSOFT365,
  SAVED_SMTP,
} from '../../__testUtils__/FakeEmailProviderApi';
import { renderInLanguage } from '../../__testUtils__/renderInLanguage';
import { EmailProviderPage } from './EmailProviderPage';

const ALL = [
  'email-provider.settings.read',
  'email-provider.settings.update',
  'email-provider.deliveries.read',
];

/** Renders the page for a user the backend allows `allowed` (permission names), or `access`. */
function renderPage(
  api: FakeEmailProviderApi,
  allowed: string[] | EmailProviderAccess,
  path = '/email-provider',
) {
  api.access = Array.isArray(allowed)
    ? {
        settings: {
          read: allowed.includes('email-provider.settings.read'),
          update: allowed.includes('email-provider.settings.update'),
        },
        deliveries: {
          read: allowed.includes('email-provider.deliveries.read'),
        },
        adminsConfigured: true,
      }
    : allowed;
  renderInTestApp(<EmailProviderPage />, {
    // create-app's allow-all policy, as the permission API reports it: the page must not follow
    // it, only the backend's answer.
    apis: [
      [emailProviderApiRef, api],
      mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
    ],
    mountPath: '/email-provider',
    initialRouteEntries: [path],
  });
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
    // The first render of the file loads the whole form: give a busy machine time for it.
    expect(
      await screen.findByLabelText('Server address', {}, { timeout: 10_000 }),
    ).toHaveValue('smtp.example.com');
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

  it('says that the admins are set in emailProvider.admins', async () => {
    renderPage(apiWithLog(), ALL);
    expect(
      await screen.findByText(/Email provider admins are set in/),
    ).toHaveTextContent(
      "Email provider admins are set in emailProvider.admins in the portal's configuration: only the users and groups listed there may see and change these settings",
    );
  });

  it("warns when nobody is listed, so that the portal's policy alone decides", async () => {
    renderPage(apiWithLog(), { ...ADMIN_ACCESS, adminsConfigured: false });
    expect(
      await screen.findByText(/No email provider admins are set in/),
    ).toHaveTextContent(
      "No email provider admins are set in emailProvider.admins: the portal's permission policy alone decides who may see and change these settings, and with the allow-all policy a new portal starts with, that is every signed-in user.",
    );
  });

  it('follows the backend, not the permission API: a user outside emailProvider.admins is not allowed', async () => {
    renderPage(apiWithLog(), NO_ACCESS);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'You are not allowed to see the email provider settings: that needs the email-provider.settings.read permission, and only the email provider admins listed in emailProvider.admins have it.',
    );
    expect(screen.queryByLabelText('Server address')).not.toBeInTheDocument();
  });

  it("says that the portal's policy decides when nobody is listed", async () => {
    renderPage(apiWithLog(), { ...NO_ACCESS, adminsConfigured: false });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      "nobody is listed in emailProvider.admins, so the portal's permission policy decides who has it.",
    );
  });

  it('says so when the access cannot be read', async () => {
    const api = apiWithLog();
    api.getAccess.mockRejectedValue(
      await responseError(503, 'ServiceUnavailableError', 'Backend away'),
    );
    renderPage(api, ALL);
    expect(await screen.findByText(/Backend away/)).toBeInTheDocument();
    expect(screen.queryByRole('tab')).not.toBeInTheDocument();
    expect(api.getSettings).not.toHaveBeenCalled();
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

/** Renders the page for an admin in a portal whose user chose Brazilian Portuguese. */
function renderPageInPortuguese(api: FakeEmailProviderApi) {
  api.access = ADMIN_ACCESS;
  renderInLanguage(<EmailProviderPage />, 'pt-BR', {
    apis: [[emailProviderApiRef, api]],
    mountPath: '/email-provider',
    initialRouteEntries: ['/email-provider'],
  });
}

/** Microsoft 365 with a client secret that expires in 12 days, as the admin counts them. */
function secretExpiringIn12Days(): FakeEmailProviderApi {
  const now = new Date();
  const expiresAt = new Date(
    Date.UTC(now.getFullYear(), now.getMonth(), now.getDate() + 12, 12),
  );
  return new FakeEmailProviderApi({
    ...SAVED_MICROSOFT365,
    microsoft365: {
      ...SAVED_MICROSOFT365.microsoft365,
      clientSecretExpiresAt: expiresAt.toISOString().slice(0, 10),
      credentialExpiresAt: expiresAt.toISOString(),
    },
  });
}

describe('EmailProviderPage in Brazilian Portuguese', () => {
  it('shows the title, tabs and who decides in Portuguese', async () => {
    renderPageInPortuguese(apiWithLog());
    expect(
      await screen.findByRole(
        'heading',
        { level: 1, name: 'Provedor de e-mail' },
        // The Portuguese messages load on demand.
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Como o portal envia e-mails: SMTP, Microsoft 365 ou nenhum',
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole('tab', { name: 'Configurações' }),
    ).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tab', { name: 'Entregas' })).toHaveAttribute(
      'href',
      '/email-provider/deliveries',
    );
    expect(
      screen.getByText(/Os administradores do provedor de e-mail/),
    ).toHaveTextContent(
      'Os administradores do provedor de e-mail são definidos em emailProvider.admins na configuração do portal: somente os usuários e grupos listados ali podem ver e alterar estas configurações',
    );
    expect(screen.queryByRole('tab', { name: 'Settings' })).toBeNull();
  });

  it('counts the days to a client secret expiry in Portuguese', async () => {
    renderPageInPortuguese(secretExpiringIn12Days());
    expect(
      await screen.findByTestId(
        'email-provider-credential-expiry',
        {},
        { timeout: 10_000 },
      ),
    ).toHaveTextContent(
      /^O segredo do cliente expira em \d{4}-\d{2}-\d{2}, daqui a 12 dias: crie um novo no Entra e cole-o aqui\.$/,
    );
  });
});
