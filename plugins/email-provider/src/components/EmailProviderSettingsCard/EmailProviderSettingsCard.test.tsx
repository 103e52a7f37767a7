import { renderInTestApp } from '@backstage/frontend-test-utils';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Link } from 'react-router-dom';
import { emailProviderApiRef } from '../../api';
import type { EmailProviderSettings } from '@email-provider/backstage-plugin-email-provider-common';
import {
  FakeEmailProviderApi,
  MANAGED_MICROSOFT365,
  MANAGED_NONE,
  MANAGED_SMTP,
  responseError,
  SAVED_MICROSOFT365,
  SAVED_MICROSOFT365_CERTIFICATE,
  SAVED_SMTP,
  SAVED_SMTP_RELAY,
} from '../../__testUtils__/FakeEmailProviderApi';
import { EmailProviderSettingsCard } from './EmailProviderSettingsCard';

function renderCard(
  api: FakeEmailProviderApi,
  options: { read?: boolean; update?: boolean; withLink?: boolean } = {},
) {
  const { read = true, update = true } = options;
  api.access = {
    settings: { read, update },
    deliveries: { read: true },
    adminsConfigured: true,
  };
  renderInTestApp(
    <>
      {options.withLink && <Link to="/catalog">Catalog</Link>}
      <EmailProviderSettingsCard />
    </>,
    { apis: [[emailProviderApiRef, api]] },
  );
  return userEvent.setup();
}

type User = ReturnType<typeof userEvent.setup>;

/** The form has loaded once the provider radios are there. */
async function loaded() {
  await screen.findByRole('radiogroup', { name: 'Provider' });
}

/** Renders the card over `api`, or over a fake serving those settings, and waits for the form. */
async function renderLoadedCard(
  apiOrSettings?: FakeEmailProviderApi | EmailProviderSettings,
  options?: Parameters<typeof renderCard>[1],
) {
  const api =
    apiOrSettings instanceof FakeEmailProviderApi
      ? apiOrSettings
      : new FakeEmailProviderApi(apiOrSettings);
  const user = renderCard(api, options);
  await loaded();
  return { api, user };
}

const field = (label: string) => screen.getByLabelText(label);

const clickButton = (user: User, name: string) =>
  user.click(screen.getByRole('button', { name }));

/** A fake serving `settings` whose next save the backend refuses with that error. */
async function apiRefusingNextSave(
  settings: EmailProviderSettings,
  ...refusal: Parameters<typeof responseError>
) {
  const api = new FakeEmailProviderApi(settings);
  api.saveSettings.mockRejectedValueOnce(await responseError(...refusal));
  return api;
}

/** Clicks Save and returns the arguments of the card's call to `saveSettings`, once it is made. */
async function saveAndGetRequest(user: User, api: FakeEmailProviderApi) {
  await clickButton(user, 'Save');
  await waitFor(() => expect(api.saveSettings).toHaveBeenCalled());
  return api.saveSettings.mock.calls[0];
}

/** Picks the option labelled `option` in the combobox named `name`. */
const choose = (user: User, name: string, option: string) =>
  user.selectOptions(screen.getByRole('combobox', { name }), option);

async function fillSmtp(user: User, values: Partial<Record<string, string>>) {
  for (const [label, value] of Object.entries(values)) {
    await user.clear(field(label));
    if (value) {
      await user.type(field(label), value);
    }
  }
}

const LARGE_MESSAGES =
  'Send large messages (over 3 MB) through upload sessions';
const REQUIRES_AUTHENTICATION = 'Server requires authentication';
const CERTIFICATE_FIELD = 'Certificate and private key (PEM)';
const SECRET_EXPIRES = 'Secret expires';

const PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBszCCAVmgAwIBAgIUfakefakefake',
  '-----END CERTIFICATE-----',
  '-----BEGIN PRIVATE KEY-----',
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49fake',
  '-----END PRIVATE KEY-----',
].join('\n');

/** The day `days` from the local today, `YYYY-MM-DD`, as a date input and Entra show it. */
function dayFromToday(days: number): string {
  const now = new Date();
  return new Date(
    Date.UTC(now.getFullYear(), now.getMonth(), now.getDate() + days),
  )
    .toISOString()
    .slice(0, 10);
}

/** Saved Microsoft 365 settings whose client secret expires on that day, as the backend reads them. */
function microsoft365WithSecretExpiring(
  day: string,
): Extract<EmailProviderSettings, { provider: 'microsoft365' }> {
  return {
    ...SAVED_MICROSOFT365,
    microsoft365: {
      ...SAVED_MICROSOFT365.microsoft365,
      clientSecretExpiresAt: day,
      credentialExpiresAt: `${day}T00:00:00.000Z`,
    },
  };
}

/** Saved certificate settings whose certificate expires at noon UTC on that day. */
function microsoft365WithCertificateExpiring(
  day: string,
): Extract<EmailProviderSettings, { provider: 'microsoft365' }> {
  const notAfter = `${day}T12:00:00.000Z`;
  const { microsoft365 } = SAVED_MICROSOFT365_CERTIFICATE;
  return {
    ...SAVED_MICROSOFT365_CERTIFICATE,
    microsoft365: {
      ...microsoft365,
      certificate: { ...microsoft365.certificate!, notAfter },
      credentialExpiresAt: notAfter,
    },
  };
}

describe('EmailProviderSettingsCard', () => {
  describe('states', () => {
    it('shows progress while the settings load', async () => {
      const api = new FakeEmailProviderApi();
      api.getSettings.mockReturnValue(new Promise(() => {}));
      renderCard(api);
      await waitFor(() => expect(api.getSettings).toHaveBeenCalled());
      expect(screen.getByTestId('progress')).toBeInTheDocument();
    });

    it('says that no provider is active', async () => {
      await renderLoadedCard();
      expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
        'No email provider is active',
      );
      expect(screen.getByRole('radio', { name: 'None' })).toBeChecked();
      expect(screen.queryByLabelText('Server address')).not.toBeInTheDocument();
    });

    it('shows the saved SMTP settings, since when and by whom, without the password', async () => {
      await renderLoadedCard(SAVED_SMTP);
      const status = screen.getByTestId('email-provider-status');
      expect(status).toHaveTextContent(
        'Active: SMTP (smtp.example.com:587, StartTLS)',
      );
      expect(status).toHaveTextContent('changed by user:default/ada');
      expect(within(status).getByText(/2026/)).toHaveAttribute(
        'datetime',
        '2026-11-28T09:30:00.000Z',
      );
      expect(screen.getByRole('radio', { name: 'SMTP' })).toBeChecked();
      expect(field('Server address')).toHaveValue('smtp.example.com');
      expect(field('Port')).toHaveValue('587');
      expect(screen.getByRole('combobox', { name: 'Security' })).toHaveValue(
        'starttls',
      );
      expect(field('Sender email address')).toHaveValue('reports@example.com');
      expect(field('Sender name')).toHaveValue('ACME Portal');
      expect(
        screen.getByRole('checkbox', { name: 'Same as sender email address' }),
      ).toBeChecked();
      expect(field('Username')).toHaveValue('reports@example.com');
      expect(field('Username')).toHaveAttribute('readonly');
      expect(field('Password')).toHaveValue('');
      expect(field('Password')).toHaveAttribute(
        'placeholder',
        expect.stringContaining('saved'),
      );
      expect(field('Password')).toHaveAccessibleDescription(
        expect.stringContaining('A password is saved'),
      );
    });

    it('shows the saved Microsoft 365 settings without the client secret', async () => {
      await renderLoadedCard(SAVED_MICROSOFT365);
      expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
        'Active: Microsoft 365 (reports@contoso.onmicrosoft.com)',
      );
      expect(
        screen.getByRole('radio', { name: 'Microsoft 365' }),
      ).toBeChecked();
      expect(field('Sender email address')).toHaveValue(
        'reports@contoso.onmicrosoft.com',
      );
      expect(field('Tenant ID')).toHaveValue(
        '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
      );
      expect(field('Client ID')).toHaveValue(
        '11111111-2222-3333-4444-555555555555',
      );
      expect(field('Client secret')).toHaveValue('');
      expect(field('Client secret')).toHaveAccessibleDescription(
        expect.stringContaining('A client secret is saved'),
      );
      expect(
        screen.getByText('Mail.Send', { selector: 'code' }),
      ).toBeInTheDocument();
      expect(
        screen.getByRole('checkbox', { name: LARGE_MESSAGES }),
      ).not.toBeChecked();
    });

    it('offers to try again when the settings cannot be loaded', async () => {
      const api = new FakeEmailProviderApi();
      api.getSettings.mockRejectedValueOnce(
        await responseError(500, 'Error', 'database down'),
      );
      const user = renderCard(api);
      expect(await screen.findByRole('alert')).toHaveTextContent(
        'could not be loaded: database down',
      );
      await clickButton(user, 'Try again');
      await loaded();
    });
  });

  describe('saving', () => {
    it('activates SMTP with the settings typed', async () => {
      const { api, user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await fillSmtp(user, {
        'Server address': 'smtp.gmail.com',
        'Sender email address': 'reports@acme.com',
        'Sender name': 'ACME Portal',
        Password: 'app-password',
      });
      await clickButton(user, 'Save');

      await waitFor(() =>
        expect(api.saveSettings).toHaveBeenCalledWith(
          {
            provider: 'smtp',
            smtp: {
              host: 'smtp.gmail.com',
              port: 587,
              security: 'starttls',
              from: 'reports@acme.com',
              fromName: 'ACME Portal',
              usernameSameAsFrom: true,
              password: 'app-password',
            },
          },
          { version: 0 },
        ),
      );
      expect(await screen.findByText(/^Saved: SMTP/)).toBeInTheDocument();
      expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
        'Active: SMTP (smtp.gmail.com:587, StartTLS)',
      );
      expect(field('Password')).toHaveValue('');
      expect(field('Password')).toHaveAccessibleDescription(
        expect.stringContaining('A password is saved'),
      );
    });

    it('signs in with another username when the box is unticked', async () => {
      const { api, user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await user.click(
        screen.getByRole('checkbox', { name: 'Same as sender email address' }),
      );
      await fillSmtp(user, {
        'Server address': 'email-smtp.eu-west-1.amazonaws.com',
        'Sender email address': 'reports@acme.com',
        Username: 'AKIAEXAMPLE',
        Password: 'secret',
      });
      await clickButton(user, 'Save');
      await waitFor(() =>
        expect(api.saveSettings).toHaveBeenCalledWith(
          expect.objectContaining({
            smtp: expect.objectContaining({
              usernameSameAsFrom: false,
              username: 'AKIAEXAMPLE',
            }),
          }),
          { version: 0 },
        ),
      );
    });

    it('names each invalid field next to it, announces it, and sends nothing', async () => {
      const { api, user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await fillSmtp(user, {
        'Server address': 'smtp://mail.example.com',
        Port: '70000',
        'Sender email address': 'Reports <reports@example.com>',
      });
      await clickButton(user, 'Save');

      expect(await screen.findByRole('alert')).toHaveTextContent(
        'The settings were not saved: 4 fields need attention.',
      );
      expect(field('Server address')).toHaveAccessibleDescription(
        expect.stringContaining(
          'Server address must be a host name or an IP address',
        ),
      );
      expect(field('Server address')).toHaveAttribute('aria-invalid', 'true');
      expect(field('Server address')).toHaveFocus();
      expect(field('Port')).toHaveAccessibleDescription(
        'Port must be between 1 and 65535',
      );
      expect(field('Sender email address')).toHaveAccessibleDescription(
        expect.stringContaining(
          'Sender email address must be a single plain address',
        ),
      );
      expect(field('Password')).toHaveAccessibleDescription(
        'Password is required to activate SMTP',
      );
      expect(api.saveSettings).not.toHaveBeenCalled();

      // Fixing a field clears its message as the admin types.
      await fillSmtp(user, { 'Server address': 'mail.example.com' });
      expect(field('Server address')).not.toHaveAttribute(
        'aria-invalid',
        'true',
      );
    });

    it('says a port must be a number', async () => {
      const { user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await fillSmtp(user, { Port: 'abc' });
      await clickButton(user, 'Save');
      expect(field('Port')).toHaveAccessibleDescription(
        'Port must be a whole number between 1 and 65535',
      );
    });

    it('validates the Microsoft 365 fields', async () => {
      const { user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'Microsoft 365' }));
      await fillSmtp(user, {
        'Sender email address': 'reports@contoso.onmicrosoft.com',
        'Tenant ID': 'common',
        'Client ID': 'my-app',
      });
      await clickButton(user, 'Save');
      expect(field('Tenant ID')).toHaveAccessibleDescription(
        expect.stringContaining('Tenant ID must be the directory (tenant) ID'),
      );
      expect(field('Client ID')).toHaveAccessibleDescription(
        expect.stringContaining(
          'Client ID must be the application (client) ID',
        ),
      );
      expect(field('Client secret')).toHaveAccessibleDescription(
        'Client secret is required to activate Microsoft 365',
      );
    });

    it("shows the server's refusal next to the field it names and keeps the input", async () => {
      const api = await apiRefusingNextSave(
        { provider: 'none' },
        400,
        'InputError',
        'smtp.host: Server address is not allowed: only smtp.acme.com may be used; settings: something else',
        undefined,
        [
          {
            field: 'smtp.host',
            message:
              'Server address is not allowed: only smtp.acme.com may be used',
          },
          { field: 'settings', message: 'something else' },
        ],
      );
      const { user } = await renderLoadedCard(api);
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await fillSmtp(user, {
        'Server address': 'smtp.gmail.com',
        'Sender email address': 'reports@acme.com',
        Password: 'app-password',
      });
      await clickButton(user, 'Save');

      const alert = await screen.findByRole('alert');
      expect(alert).toHaveTextContent(
        'The server refused the settings; nothing was saved.',
      );
      expect(alert).toHaveTextContent('settings: something else');
      expect(field('Server address')).toHaveAccessibleDescription(
        'Server address is not allowed: only smtp.acme.com may be used',
      );
      expect(field('Server address')).toHaveValue('smtp.gmail.com');
      expect(field('Sender email address')).toHaveValue('reports@acme.com');
      expect(field('Password')).toHaveValue('app-password');

      // The server's message goes away once the field is edited.
      await fillSmtp(user, { 'Server address': 'smtp.acme.com' });
      expect(field('Server address')).toHaveAccessibleDescription(
        expect.stringContaining('Host name or IP address of the SMTP server'),
      );
    });

    it("marks each field the server's issues name, whatever its message says", async () => {
      const port = 'Port must be between 1 and 65535';
      const from = 'Sender email address is not allowed here';
      // The message is not in the `field: …` form: the fields come from the issues alone.
      const api = await apiRefusingNextSave(
        SAVED_SMTP,
        400,
        'InputError',
        'Two settings are wrong',
        undefined,
        [
          { field: 'smtp.port', message: port },
          { field: 'smtp.from', message: from },
        ],
      );
      const { user } = await renderLoadedCard(api);
      await fillSmtp(user, { 'Sender name': 'Portal' });
      await clickButton(user, 'Save');

      expect(await screen.findByRole('alert')).toHaveTextContent(
        'The server refused the settings; nothing was saved.',
      );
      expect(field('Port')).toHaveAccessibleDescription(port);
      expect(field('Sender email address')).toHaveAccessibleDescription(from);
      expect(field('Server address')).not.toHaveAccessibleDescription(
        expect.stringContaining('must'),
      );
      expect(field('Port')).toHaveFocus();
    });

    it('shows the message of a refusal that names no field', async () => {
      const api = await apiRefusingNextSave(
        SAVED_SMTP,
        400,
        'InputError',
        'smtp.port: this looks like a field but the answer has no issues',
      );
      const { user } = await renderLoadedCard(api);
      await fillSmtp(user, { 'Sender name': 'Portal' });
      await clickButton(user, 'Save');

      expect(await screen.findByRole('alert')).toHaveTextContent(
        'smtp.port: this looks like a field but the answer has no issues',
      );
      expect(field('Port')).not.toHaveAccessibleDescription(
        expect.stringContaining('this looks like a field'),
      );
    });

    it('tells the admin when someone else saved in between, and reloads on request', async () => {
      const api = await apiRefusingNextSave(
        SAVED_SMTP,
        409,
        'ConflictError',
        'The email provider settings were changed by someone else in the meantime (they are now at version 5); reload them and save again',
      );
      const { user } = await renderLoadedCard(api);
      await fillSmtp(user, { 'Sender name': 'Portal' });
      await clickButton(user, 'Save');

      const alert = await screen.findByRole('alert');
      expect(alert).toHaveTextContent('Someone else changed the settings');
      expect(alert).toHaveTextContent('now at version 5');
      expect(api.saveSettings).toHaveBeenCalledWith(expect.anything(), {
        version: 4,
      });
      expect(field('Sender name')).toHaveValue('Portal');

      api.settings = {
        ...SAVED_SMTP,
        version: 5,
        updatedBy: 'user:default/bob',
      };
      api.version = 5;
      await user.click(within(alert).getByRole('button', { name: 'Reload' }));
      await waitFor(() =>
        expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
          'changed by user:default/bob',
        ),
      );
      expect(field('Sender name')).toHaveValue('ACME Portal');
      expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    });

    it('asks before switching provider, naming what will be deleted', async () => {
      const { api, user } = await renderLoadedCard(SAVED_SMTP);
      await user.click(screen.getByRole('radio', { name: 'Microsoft 365' }));
      await fillSmtp(user, {
        'Sender email address': 'reports@contoso.onmicrosoft.com',
        'Tenant ID': 'contoso.onmicrosoft.com',
        'Client ID': '11111111-2222-3333-4444-555555555555',
        'Client secret': 'abc~secret',
      });
      await clickButton(user, 'Save');

      const dialog = await screen.findByRole('dialog', {
        name: 'Switch to Microsoft 365?',
      });
      expect(dialog).toHaveTextContent(
        'deletes the saved SMTP settings: SMTP (smtp.example.com:587, StartTLS) with its password',
      );
      await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      expect(api.saveSettings).not.toHaveBeenCalled();
      expect(field('Tenant ID')).toHaveValue('contoso.onmicrosoft.com');

      await clickButton(user, 'Save');
      await user.click(
        await screen.findByRole('button', {
          name: 'Delete SMTP settings and switch',
        }),
      );
      await waitFor(() =>
        expect(api.saveSettings).toHaveBeenCalledWith(
          {
            provider: 'microsoft365',
            microsoft365: {
              from: 'reports@contoso.onmicrosoft.com',
              tenantId: 'contoso.onmicrosoft.com',
              clientId: '11111111-2222-3333-4444-555555555555',
              clientSecret: 'abc~secret',
            },
          },
          { version: 4 },
        ),
      );
      expect(
        await screen.findByTestId('email-provider-status'),
      ).toHaveTextContent('Active: Microsoft 365');
    });

    it('asks before None deletes all settings', async () => {
      const { api, user } = await renderLoadedCard(SAVED_MICROSOFT365);
      await user.click(screen.getByRole('radio', { name: 'None' }));
      await clickButton(user, 'Save');

      const dialog = await screen.findByRole('dialog', {
        name: 'Delete all email settings?',
      });
      expect(dialog).toHaveTextContent(
        'All saved settings will be deleted: Microsoft 365 (reports@contoso.onmicrosoft.com) with its client secret',
      );
      await user.click(
        within(dialog).getByRole('button', { name: 'Delete all settings' }),
      );
      await waitFor(() =>
        expect(api.deleteSettings).toHaveBeenCalledWith({ version: 5 }),
      );
      expect(
        await screen.findByTestId('email-provider-status'),
      ).toHaveTextContent('No email provider is active');
      expect(screen.getByText(/all email settings were deleted/)).toBeVisible();
    });

    it('does not ask when nothing saved is deleted', async () => {
      const { api, user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await fillSmtp(user, {
        'Server address': 'localhost',
        'Sender email address': 'portal@example.com',
        Password: 'dev',
      });
      await clickButton(user, 'Save');
      await waitFor(() => expect(api.saveSettings).toHaveBeenCalled());
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    });
  });

  describe('secrets', () => {
    it('keeps the saved password when the field is left empty', async () => {
      const { api, user } = await renderLoadedCard(SAVED_SMTP);
      await fillSmtp(user, { 'Sender name': 'Reports' });
      const [input] = await saveAndGetRequest(user, api);
      expect(input).toEqual({
        provider: 'smtp',
        smtp: expect.not.objectContaining({ password: expect.anything() }),
      });
    });

    it.each([
      ['Server address', 'smtp.other.com'],
      ['Port', '2525'],
      ['Sender email address', 'alerts@example.com'],
    ])('asks for the password again when %s changes', async (label, value) => {
      const { api, user } = await renderLoadedCard(SAVED_SMTP);
      await fillSmtp(user, { [label]: value });
      expect(field('Password')).toHaveAccessibleDescription(
        expect.stringContaining(
          'Enter the password again: the server address, port, security or username changed',
        ),
      );
      await clickButton(user, 'Save');
      expect(field('Password')).toHaveAccessibleDescription(
        'Password is required: the server address, port, security or username changed, and a saved password is never sent to a new destination',
      );
      expect(api.saveSettings).not.toHaveBeenCalled();

      await user.type(field('Password'), 'new-password');
      await clickButton(user, 'Save');
      await waitFor(() =>
        expect(api.saveSettings).toHaveBeenCalledWith(
          expect.objectContaining({
            smtp: expect.objectContaining({ password: 'new-password' }),
          }),
          { version: 4 },
        ),
      );
    });

    it('asks for the password again when the security changes', async () => {
      const { user } = await renderLoadedCard(SAVED_SMTP);
      await choose(user, 'Security', 'SSL/TLS');
      expect(field('Password')).toHaveAccessibleDescription(
        expect.stringContaining('Enter the password again'),
      );
    });

    it('asks for the client secret again when the tenant, client or cloud changes', async () => {
      const { api, user } = await renderLoadedCard(SAVED_MICROSOFT365);
      await fillSmtp(user, {
        'Client ID': '22222222-2222-3333-4444-555555555555',
      });
      expect(field('Client secret')).toHaveAccessibleDescription(
        expect.stringContaining(
          'Enter the client secret again: the tenant ID, client ID or cloud changed',
        ),
      );
      await clickButton(user, 'Save');
      expect(field('Client secret')).toHaveAccessibleDescription(
        expect.stringContaining(
          'Client secret is required: the tenant ID, client ID or cloud changed',
        ),
      );
      expect(api.saveSettings).not.toHaveBeenCalled();
    });
  });

  describe('large messages', () => {
    const savedWithLargeMessages = {
      ...SAVED_MICROSOFT365,
      microsoft365: {
        ...SAVED_MICROSOFT365.microsoft365,
        largeMessages: true as const,
      },
    };

    it('shows the option checked when it is on, with the permission it needs', async () => {
      await renderLoadedCard(savedWithLargeMessages);
      const checkbox = screen.getByRole('checkbox', { name: LARGE_MESSAGES });
      expect(checkbox).toBeChecked();
      expect(checkbox).toHaveAccessibleDescription(
        'Needs the Mail.ReadWrite application permission in addition to Mail.Send',
      );
    });

    it('saves it with the settings, keeping the saved secret', async () => {
      const { api, user } = await renderLoadedCard(SAVED_MICROSOFT365);
      await user.click(screen.getByRole('checkbox', { name: LARGE_MESSAGES }));
      await clickButton(user, 'Save');

      await waitFor(() =>
        expect(api.saveSettings).toHaveBeenCalledWith(
          {
            provider: 'microsoft365',
            microsoft365: {
              from: 'reports@contoso.onmicrosoft.com',
              tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
              clientId: '11111111-2222-3333-4444-555555555555',
              largeMessages: true,
            },
          },
          { version: 5 },
        ),
      );
      expect(await screen.findByText(/^Saved: Microsoft 365/)).toBeVisible();
      expect(
        screen.getByRole('checkbox', { name: LARGE_MESSAGES }),
      ).toBeChecked();
    });

    it('leaves it out of the saved settings when it is turned off', async () => {
      const { api, user } = await renderLoadedCard(savedWithLargeMessages);
      await user.click(screen.getByRole('checkbox', { name: LARGE_MESSAGES }));
      const [input] = await saveAndGetRequest(user, api);
      expect(input).toEqual({
        provider: 'microsoft365',
        microsoft365: {
          from: 'reports@contoso.onmicrosoft.com',
          tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
          clientId: '11111111-2222-3333-4444-555555555555',
        },
      });
    });

    it('names the Mail.ReadWrite step of a connection check', async () => {
      const api = new FakeEmailProviderApi(savedWithLargeMessages);
      api.verify.mockResolvedValueOnce({
        ok: false,
        provider: 'microsoft365',
        steps: [
          { name: 'token', ok: true, durationMs: 40 },
          { name: 'permission', ok: true, durationMs: 1 },
          {
            name: 'large-messages',
            ok: false,
            durationMs: 2,
            failure: {
              code: 'permission-missing',
              message:
                'The app lacks the Mail.ReadWrite application permission or admin consent',
              transient: false,
            },
          },
        ],
      });
      const { user } = await renderLoadedCard(api);
      await clickButton(user, 'Check connection');

      expect(await screen.findByRole('alert')).toHaveTextContent(
        'The connection check failed at "Mail.ReadWrite permission for large messages": The app lacks the Mail.ReadWrite application permission',
      );
    });
  });

  describe('port suggestion', () => {
    it('suggests the usual port for the security chosen', async () => {
      const { user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      const security = screen.getByRole('combobox', { name: 'Security' });
      expect(field('Port')).toHaveValue('587');
      await user.selectOptions(security, 'SSL/TLS');
      expect(field('Port')).toHaveValue('465');
      await user.selectOptions(security, 'None');
      expect(field('Port')).toHaveValue('25');
      await user.selectOptions(security, 'StartTLS');
      expect(field('Port')).toHaveValue('587');
    });

    it('keeps a port the admin typed', async () => {
      const { user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await fillSmtp(user, { Port: '2525' });
      await choose(user, 'Security', 'SSL/TLS');
      expect(field('Port')).toHaveValue('2525');
    });

    it('hints when the port usually expects the other TLS mode', async () => {
      const { user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await fillSmtp(user, { Port: '465' });
      expect(field('Port')).toHaveAccessibleDescription(
        expect.stringContaining(
          'Port 465 usually expects SSL/TLS, not StartTLS',
        ),
      );
    });
  });

  describe('test email', () => {
    async function openDialog(api: FakeEmailProviderApi) {
      const { user } = await renderLoadedCard(api);
      await clickButton(user, 'Send test email');
      const dialog = await screen.findByRole('dialog', {
        name: 'Send a test email',
      });
      const recipient = within(dialog).getByLabelText('Recipient');
      expect(recipient).toHaveFocus();
      // The signed-in user's address is the first suggestion.
      expect(recipient).toHaveValue('guest@example.com');
      await user.clear(recipient);
      return { user, dialog };
    }

    it('sends it and shows the message ID', async () => {
      const api = new FakeEmailProviderApi(SAVED_SMTP);
      const { user, dialog } = await openDialog(api);
      expect(dialog).toHaveTextContent(
        'through the saved settings: SMTP (smtp.example.com:587, StartTLS)',
      );
      await user.type(
        within(dialog).getByLabelText('Recipient'),
        'ada@example.com',
      );
      await user.click(within(dialog).getByRole('button', { name: 'Send' }));
      expect(api.sendTestEmail).toHaveBeenCalledWith({ to: 'ada@example.com' });
      expect(await within(dialog).findByText('Test email sent.')).toBeVisible();
      expect(dialog).toHaveTextContent('<test-1@example.com>');
    });

    it('checks the recipient first', async () => {
      const api = new FakeEmailProviderApi(SAVED_SMTP);
      const { user, dialog } = await openDialog(api);
      await user.type(within(dialog).getByLabelText('Recipient'), 'ada');
      await user.click(within(dialog).getByRole('button', { name: 'Send' }));
      expect(
        within(dialog).getByLabelText('Recipient'),
      ).toHaveAccessibleDescription(
        expect.stringContaining('Recipient must be a single plain address'),
      );
      expect(api.sendTestEmail).not.toHaveBeenCalled();
    });

    it("shows the failure's sentence and the server's reply", async () => {
      const api = new FakeEmailProviderApi(SAVED_SMTP);
      api.sendTestEmail.mockResolvedValueOnce({
        ok: false,
        provider: 'smtp',
        durationMs: 80,
        failure: {
          code: 'auth-failed',
          message:
            'The server rejected the username or password (535 5.7.8). Check both; providers such as Gmail and Microsoft 365 need an app password or SMTP AUTH enabled for the mailbox.',
          params: { reply: '535 5.7.8' },
          transient: false,
          providerReply: '535 5.7.8 Authentication credentials invalid',
        },
      });
      const { user, dialog } = await openDialog(api);
      await user.type(
        within(dialog).getByLabelText('Recipient'),
        'ada@example.com',
      );
      await user.click(within(dialog).getByRole('button', { name: 'Send' }));
      const alert = await within(dialog).findByRole('alert');
      expect(alert).toHaveTextContent(
        'The test email was not sent. The server rejected the username or password (535 5.7.8). Check both',
      );
      expect(alert).toHaveTextContent('auth-failed');
      expect(alert).toHaveTextContent(
        '535 5.7.8 Authentication credentials invalid',
      );
    });

    it('says when the admin is rate limited', async () => {
      const api = new FakeEmailProviderApi(SAVED_SMTP);
      api.sendTestEmail.mockRejectedValueOnce(
        await responseError(
          429,
          'TooManyRequestsError',
          'Too many test emails in a minute; try again in 60 seconds',
        ),
      );
      const { user, dialog } = await openDialog(api);
      await user.type(
        within(dialog).getByLabelText('Recipient'),
        'ada@example.com',
      );
      await user.click(within(dialog).getByRole('button', { name: 'Send' }));
      const alert = await within(dialog).findByRole('alert');
      expect(alert).toHaveTextContent('Rate limited: too many test emails');
      expect(alert).toHaveTextContent('try again in 60 seconds');
    });

    it('says when no provider is active', async () => {
      const api = new FakeEmailProviderApi();
      api.sendTestEmail.mockRejectedValueOnce(
        await responseError(
          409,
          'ConflictError',
          'No email provider is active; save SMTP or Microsoft 365 settings first',
        ),
      );
      const { user, dialog } = await openDialog(api);
      expect(dialog).toHaveTextContent('No email provider is saved yet');
      await user.type(
        within(dialog).getByLabelText('Recipient'),
        'ada@example.com',
      );
      await user.click(within(dialog).getByRole('button', { name: 'Send' }));
      expect(await within(dialog).findByRole('alert')).toHaveTextContent(
        'No email provider is active',
      );
    });

    it('says the test uses the saved settings when the form has changes', async () => {
      const { user } = await renderLoadedCard(SAVED_SMTP);
      await fillSmtp(user, { 'Server address': 'smtp.other.com' });
      await clickButton(user, 'Send test email');
      expect(
        await screen.findByRole('dialog', { name: 'Send a test email' }),
      ).toHaveTextContent('the test uses the saved settings');
    });
  });

  describe('check connection', () => {
    it('checks the saved settings when the form has no changes', async () => {
      const { api, user } = await renderLoadedCard(SAVED_SMTP);
      await clickButton(user, 'Check connection');
      expect(
        await screen.findByRole('heading', {
          name: 'Connection check of the saved settings',
        }),
      ).toBeInTheDocument();
      expect(api.verify).toHaveBeenCalledWith({});
      expect(screen.getByText(/The connection works/)).toBeVisible();
      const steps = screen.getByRole('list', {
        name: 'Connection check steps',
      });
      expect(within(steps).getAllByRole('listitem')).toHaveLength(2);
      expect(steps).toHaveTextContent('Server address lookup: passed (3 ms)');
      expect(steps).toHaveTextContent('192.0.2.10');
    });

    it('shows a sign-in the settings do not need as skipped, not passed', async () => {
      const api = new FakeEmailProviderApi(SAVED_SMTP_RELAY);
      api.verify.mockResolvedValueOnce({
        ok: true,
        provider: 'smtp',
        steps: [
          { name: 'smtp', ok: true, durationMs: 4, detail: 'TLS in use' },
          {
            name: 'login',
            ok: true,
            skipped: true,
            durationMs: 0,
            detail:
              'skipped: authentication is off (the server offers no AUTH)',
          },
        ],
      });
      const { user } = await renderLoadedCard(api);
      await clickButton(user, 'Check connection');
      const steps = await screen.findByRole('list', {
        name: 'Connection check steps',
      });
      expect(steps).toHaveTextContent('SMTP greeting: passed (4 ms)');
      expect(steps).toHaveTextContent('Sign-in: skipped (0 ms)');
      expect(within(steps).getByTitle('skipped')).toBeInTheDocument();
    });

    it('checks the unsaved settings when the form has changes, and shows the failed step', async () => {
      const api = new FakeEmailProviderApi(SAVED_SMTP);
      api.verify.mockResolvedValueOnce({
        ok: false,
        provider: 'smtp',
        steps: [
          { name: 'dns', ok: true, durationMs: 2, detail: '127.0.0.1' },
          { name: 'connect', ok: true, durationMs: 5 },
          {
            name: 'tls',
            ok: false,
            durationMs: 9,
            failure: {
              code: 'tls-mismatch',
              message: 'Port 465 expects SSL/TLS, not StartTLS',
              transient: false,
            },
          },
        ],
      });
      const { user } = await renderLoadedCard(api);
      await fillSmtp(user, { Port: '465', Password: 'pw' });
      await clickButton(user, 'Check connection');

      expect(
        await screen.findByRole('heading', {
          name: 'Connection check of the unsaved settings',
        }),
      ).toBeInTheDocument();
      expect(api.verify).toHaveBeenCalledWith({
        settings: expect.objectContaining({
          provider: 'smtp',
          smtp: expect.objectContaining({ port: 465, password: 'pw' }),
        }),
      });
      expect(screen.getByRole('alert')).toHaveTextContent(
        'The connection check failed at "TLS": Port 465 expects SSL/TLS, not StartTLS',
      );
      const steps = screen.getByRole('list', {
        name: 'Connection check steps',
      });
      expect(steps).toHaveTextContent('TLS: failed (9 ms)');
      expect(steps).toHaveTextContent('tls-mismatch');
      expect(api.saveSettings).not.toHaveBeenCalled();
    });

    it('marks the fields a refused check names under settings', async () => {
      const api = new FakeEmailProviderApi(SAVED_SMTP);
      api.verify.mockRejectedValueOnce(
        await responseError(
          400,
          'InputError',
          'smtp.host: Server address is not allowed',
          undefined,
          [
            {
              field: 'settings.smtp.host',
              message: 'Server address is not allowed',
            },
          ],
        ),
      );
      const { user } = await renderLoadedCard(api);
      await fillSmtp(user, {
        'Server address': 'smtp.other.com',
        Password: 'pw',
      });
      await clickButton(user, 'Check connection');

      expect(await screen.findByRole('alert')).toHaveTextContent(
        'The connection was not checked: smtp.host: Server address is not allowed',
      );
      expect(field('Server address')).toHaveAccessibleDescription(
        'Server address is not allowed',
      );
    });

    it('validates unsaved settings before checking them', async () => {
      const { api, user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await clickButton(user, 'Check connection');
      expect(await screen.findByRole('alert')).toHaveTextContent(
        'The connection was not checked',
      );
      expect(field('Server address')).toHaveAccessibleDescription(
        'Server address is required',
      );
      expect(api.verify).not.toHaveBeenCalled();
    });
  });

  describe('permissions', () => {
    it('is read-only without the update permission', async () => {
      await renderLoadedCard(SAVED_SMTP, { update: false });
      expect(
        screen.getByText(/You can see these settings but not change them/)
          .parentElement,
      ).toHaveTextContent(
        'You can see these settings but not change them: that needs the email-provider.settings.update permission',
      );
      expect(field('Server address')).toBeDisabled();
      expect(field('Password')).toBeDisabled();
      expect(screen.getByRole('radio', { name: 'None' })).toBeDisabled();
      expect(
        screen.queryByRole('button', { name: 'Save' }),
      ).not.toBeInTheDocument();
      expect(
        screen.queryByRole('button', { name: 'Send test email' }),
      ).not.toBeInTheDocument();
      expect(
        screen.queryByRole('button', { name: 'Check connection' }),
      ).not.toBeInTheDocument();
    });

    it('shows a not-allowed message without the read permission', async () => {
      const api = new FakeEmailProviderApi(SAVED_SMTP);
      renderCard(api, { read: false, update: false });
      expect(await screen.findByRole('alert')).toHaveTextContent('Not allowed');
      expect(screen.queryByLabelText('Server address')).not.toBeInTheDocument();
      expect(api.getSettings).not.toHaveBeenCalled();
    });
  });

  describe('SMTP without authentication', () => {
    /** The PUT body's SMTP server and sender, as `SAVED_SMTP_RELAY` holds them. */
    const RELAY_SERVER = {
      host: 'relay.example.com',
      port: 25,
      security: 'starttls',
      from: 'portal@example.com',
    };

    it('has Server requires authentication ticked by default, with the sign-in fields', async () => {
      const { user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      const box = screen.getByRole('checkbox', {
        name: REQUIRES_AUTHENTICATION,
      });
      expect(box).toBeChecked();
      expect(box).toHaveAccessibleDescription(
        expect.stringContaining('signs in with a username and password'),
      );
      expect(
        screen.getByRole('checkbox', { name: 'Same as sender email address' }),
      ).toBeInTheDocument();
      expect(field('Username')).toBeVisible();
      expect(field('Password')).toBeVisible();
    });

    it('unticked hides username and password and saves authentication none without them', async () => {
      const { api, user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'SMTP' }));
      await user.click(
        screen.getByRole('checkbox', { name: 'Same as sender email address' }),
      );
      await fillSmtp(user, {
        'Server address': 'relay.example.com',
        Port: '25',
        'Sender email address': 'portal@example.com',
        Username: 'typed-before',
        Password: 'typed-before',
      });
      await user.click(
        screen.getByRole('checkbox', { name: REQUIRES_AUTHENTICATION }),
      );
      expect(screen.queryByLabelText('Username')).not.toBeInTheDocument();
      expect(screen.queryByLabelText('Password')).not.toBeInTheDocument();
      expect(
        screen.queryByRole('checkbox', {
          name: 'Same as sender email address',
        }),
      ).not.toBeInTheDocument();
      expect(
        screen.getByRole('checkbox', { name: REQUIRES_AUTHENTICATION }),
      ).toHaveAccessibleDescription(
        expect.stringContaining('No username or password is sent'),
      );
      const [input] = await saveAndGetRequest(user, api);
      expect(input).toEqual({
        provider: 'smtp',
        smtp: {
          ...RELAY_SERVER,
          authentication: 'none',
          // The schema's default; the backend ignores it without authentication.
          usernameSameAsFrom: true,
        },
      });
      expect(
        await screen.findByText(
          'Saved: SMTP (relay.example.com:25, StartTLS, no authentication) is the active provider.',
        ),
      ).toBeVisible();
      expect(
        screen.getByRole('checkbox', { name: REQUIRES_AUTHENTICATION }),
      ).not.toBeChecked();
    });

    it('loads saved settings without authentication unticked', async () => {
      await renderLoadedCard(SAVED_SMTP_RELAY);
      expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
        'Active: SMTP (relay.example.com:25, StartTLS, no authentication)',
      );
      expect(
        screen.getByRole('checkbox', { name: REQUIRES_AUTHENTICATION }),
      ).not.toBeChecked();
      expect(screen.queryByLabelText('Username')).not.toBeInTheDocument();
      expect(screen.queryByLabelText('Password')).not.toBeInTheDocument();
    });

    it('asks for a password when authentication is ticked again', async () => {
      const { api, user } = await renderLoadedCard(SAVED_SMTP_RELAY);
      await user.click(
        screen.getByRole('checkbox', { name: REQUIRES_AUTHENTICATION }),
      );
      expect(field('Username')).toHaveValue('portal@example.com');
      expect(field('Password')).toHaveAccessibleDescription(
        'Enter the password: the saved settings send no authentication, so no password is saved.',
      );
      await clickButton(user, 'Save');
      expect(field('Password')).toHaveAccessibleDescription(
        'Password is required: the saved settings send no authentication, so no password is saved',
      );
      expect(field('Password')).toHaveFocus();
      expect(api.saveSettings).not.toHaveBeenCalled();

      await user.type(field('Password'), 'relay-password');
      expect(await saveAndGetRequest(user, api)).toEqual([
        {
          provider: 'smtp',
          smtp: {
            ...RELAY_SERVER,
            usernameSameAsFrom: true,
            password: 'relay-password',
          },
        },
        { version: 6 },
      ]);
    });

    it("shows the server's demand for a password next to the field", async () => {
      const api = await apiRefusingNextSave(
        SAVED_SMTP,
        400,
        'InputError',
        'smtp.password: Password is required: the server now requires authentication',
        undefined,
        [
          {
            field: 'smtp.password',
            message:
              'Password is required: the server now requires authentication',
          },
        ],
      );
      const { user } = await renderLoadedCard(api);
      await fillSmtp(user, { 'Sender name': 'Portal' });
      await clickButton(user, 'Save');
      expect(
        await screen.findByText(
          'The server refused the settings; nothing was saved.',
        ),
      ).toBeVisible();
      expect(field('Password')).toHaveAccessibleDescription(
        'Password is required: the server now requires authentication',
      );
    });
  });

  describe('Microsoft 365 cloud and credential', () => {
    const APPLICATION = {
      from: 'reports@contoso.onmicrosoft.com',
      tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
      clientId: '11111111-2222-3333-4444-555555555555',
    };

    /** Opens a card with nothing saved and types `APPLICATION` into Microsoft 365. */
    async function renderWithApplicationTyped() {
      const { api, user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'Microsoft 365' }));
      await fillSmtp(user, {
        'Sender email address': APPLICATION.from,
        'Tenant ID': APPLICATION.tenantId,
        'Client ID': APPLICATION.clientId,
      });
      return { api, user };
    }

    it('offers the clouds and credentials by name, Global and Secret first', async () => {
      const { user } = await renderLoadedCard();
      await user.click(screen.getByRole('radio', { name: 'Microsoft 365' }));
      const cloud = screen.getByRole('combobox', { name: 'Cloud' });
      expect(cloud).toHaveValue('global');
      expect(
        within(cloud)
          .getAllByRole('option')
          .map(option => option.textContent),
      ).toEqual([
        'Global',
        'US Government (GCC High)',
        'US Government (DoD)',
        'China (21Vianet)',
      ]);
      const credential = screen.getByRole('combobox', { name: 'Credential' });
      expect(credential).toHaveValue('secret');
      expect(
        within(credential)
          .getAllByRole('option')
          .map(option => option.textContent),
      ).toEqual(['Secret', 'Certificate']);
      expect(field('Client secret')).toBeVisible();
      expect(field(SECRET_EXPIRES)).toHaveValue('');
      expect(field(SECRET_EXPIRES)).toHaveAccessibleDescription(
        expect.stringContaining(
          'Optional: copy it from the Expires column in Entra',
        ),
      );
      expect(
        screen.queryByLabelText(CERTIFICATE_FIELD),
      ).not.toBeInTheDocument();
    });

    it('saves a national cloud', async () => {
      const { api, user } = await renderWithApplicationTyped();
      await choose(user, 'Cloud', 'US Government (GCC High)');
      await user.type(field('Client secret'), 'abc~secret');
      const [input] = await saveAndGetRequest(user, api);
      expect(input).toEqual({
        provider: 'microsoft365',
        microsoft365: {
          ...APPLICATION,
          cloud: 'usgov-high',
          clientSecret: 'abc~secret',
        },
      });
      expect(await screen.findByText(/^Saved: Microsoft 365/)).toBeVisible();
      expect(screen.getByRole('combobox', { name: 'Cloud' })).toHaveValue(
        'usgov-high',
      );
    });

    it('saves the client secret with the expiry date copied from Entra', async () => {
      const { api, user } = await renderWithApplicationTyped();
      await user.type(field('Client secret'), 'abc~secret');
      await user.type(field(SECRET_EXPIRES), '2027-06-30');
      const [input] = await saveAndGetRequest(user, api);
      expect(input).toEqual({
        provider: 'microsoft365',
        microsoft365: {
          ...APPLICATION,
          clientSecret: 'abc~secret',
          clientSecretExpiresAt: '2027-06-30',
        },
      });
      expect(await screen.findByText(/^Saved: Microsoft 365/)).toBeVisible();
      expect(field(SECRET_EXPIRES)).toHaveValue('2027-06-30');
    });

    it('loads a saved client secret expiry date', async () => {
      await renderLoadedCard(microsoft365WithSecretExpiring('2031-01-15'));
      expect(field(SECRET_EXPIRES)).toHaveValue('2031-01-15');
    });

    it('saves a certificate instead of a client secret, and shows it as saved without its key', async () => {
      const { api, user } = await renderWithApplicationTyped();
      await user.type(field('Client secret'), 'typed-before');
      await choose(user, 'Credential', 'Certificate');
      expect(screen.queryByLabelText('Client secret')).not.toBeInTheDocument();
      expect(screen.queryByLabelText(SECRET_EXPIRES)).not.toBeInTheDocument();
      const pem = field(CERTIFICATE_FIELD);
      expect(pem.tagName).toBe('TEXTAREA');

      await clickButton(user, 'Save');
      expect(pem).toHaveAccessibleDescription(
        'Certificate and private key are required to activate Microsoft 365',
      );
      expect(api.saveSettings).not.toHaveBeenCalled();

      await user.click(pem);
      await user.paste(PEM);
      const [input] = await saveAndGetRequest(user, api);
      expect(input).toEqual({
        provider: 'microsoft365',
        microsoft365: {
          ...APPLICATION,
          credential: 'certificate',
          clientCertificatePem: PEM,
        },
      });

      expect(await screen.findByText(/^Saved: Microsoft 365/)).toBeVisible();
      expect(field(CERTIFICATE_FIELD)).toHaveValue('');
      expect(field(CERTIFICATE_FIELD)).toHaveAttribute(
        'placeholder',
        '•••••••• saved',
      );
      expect(field(CERTIFICATE_FIELD)).toHaveAccessibleDescription(
        'A certificate is saved. Thumbprint 3A1F0C5E9B7D2A4C6E8F0A1B2C3D4E5F60718293, subject CN=portal.contoso.com, expires on 2028-03-31. Leave this empty to keep it, or type a new one to replace it.',
      );
      expect(document.body).not.toHaveTextContent('PRIVATE KEY');
    });

    it('loads saved certificate settings and keeps the certificate when saved unchanged', async () => {
      const { api, user } = await renderLoadedCard(
        SAVED_MICROSOFT365_CERTIFICATE,
      );
      expect(screen.getByRole('combobox', { name: 'Cloud' })).toHaveValue(
        'usgov-high',
      );
      expect(screen.getByRole('combobox', { name: 'Credential' })).toHaveValue(
        'certificate',
      );
      expect(field(CERTIFICATE_FIELD)).toHaveAccessibleDescription(
        expect.stringContaining(
          'A certificate is saved. Thumbprint 3A1F0C5E9B7D2A4C6E8F0A1B2C3D4E5F60718293',
        ),
      );
      expect(screen.queryByLabelText('Client secret')).not.toBeInTheDocument();

      await user.click(screen.getByRole('checkbox', { name: LARGE_MESSAGES }));
      expect(await saveAndGetRequest(user, api)).toEqual([
        {
          provider: 'microsoft365',
          microsoft365: {
            ...APPLICATION,
            cloud: 'usgov-high',
            credential: 'certificate',
            largeMessages: true,
          },
        },
        { version: 7 },
      ]);
    });

    it.each([
      {
        name: 'asks for the client secret again when the cloud changes',
        saved: SAVED_MICROSOFT365,
        combobox: 'Cloud',
        option: 'China (21Vianet)',
        label: 'Client secret',
        hint: 'Enter the client secret again: the tenant ID, client ID or cloud changed, and a saved client secret is never sent to a new destination.',
        required:
          'Client secret is required: the tenant ID, client ID or cloud changed, and a saved secret is never sent to another application or cloud',
      },
      {
        name: 'asks for the certificate when the credential changes from a secret',
        saved: SAVED_MICROSOFT365,
        combobox: 'Credential',
        option: 'Certificate',
        label: CERTIFICATE_FIELD,
        hint: 'Paste the certificate and its private key: the saved settings sign in with a client secret, which saving deletes. Stored encrypted and never shown again.',
        required:
          'Certificate and private key are required: the saved settings sign in with a client secret, not a certificate',
      },
      {
        name: 'asks for a client secret when the credential changes from a certificate',
        saved: SAVED_MICROSOFT365_CERTIFICATE,
        combobox: 'Credential',
        option: 'Secret',
        label: 'Client secret',
        hint: 'Enter a client secret: the saved settings sign in with a certificate, which saving deletes. Stored encrypted and never shown again.',
        required:
          'Client secret is required: the saved settings sign in with a certificate, not a client secret',
      },
    ])('$name', async ({ saved, combobox, option, label, hint, required }) => {
      const { api, user } = await renderLoadedCard(saved);
      await choose(user, combobox, option);
      expect(field(label)).toHaveAccessibleDescription(hint);
      await clickButton(user, 'Save');
      expect(field(label)).toHaveAccessibleDescription(required);
      expect(api.saveSettings).not.toHaveBeenCalled();
    });
  });

  describe('credential expiry', () => {
    const expiryAlert = () =>
      screen.queryByTestId('email-provider-credential-expiry');

    it('says nothing 31 days before the client secret expires', async () => {
      await renderLoadedCard(microsoft365WithSecretExpiring(dayFromToday(31)));
      expect(expiryAlert()).not.toBeInTheDocument();
    });

    it('warns 30 days before the client secret expires', async () => {
      const day = dayFromToday(30);
      await renderLoadedCard(microsoft365WithSecretExpiring(day));
      const alert = expiryAlert();
      expect(alert).toHaveTextContent(
        `The client secret expires on ${day}, in 30 days: create a new one in Entra and paste it here.`,
      );
      expect(alert).toHaveAttribute('role', 'status');
      expect(alert).toHaveClass('MuiAlert-standardWarning');
    });

    it('says tomorrow the day before', async () => {
      await renderLoadedCard(microsoft365WithSecretExpiring(dayFromToday(1)));
      expect(expiryAlert()).toHaveTextContent(
        `The client secret expires on ${dayFromToday(1)}, tomorrow:`,
      );
    });

    it('shows an error once the client secret has expired', async () => {
      const day = dayFromToday(-1);
      await renderLoadedCard(microsoft365WithSecretExpiring(day));
      const alert = screen.getByRole('alert');
      expect(alert).toHaveTextContent(
        `The client secret expired on ${day}: Microsoft 365 refuses it, so the portal sends no email. To send again, create a new one in Entra and paste it here.`,
      );
      expect(alert).toHaveClass('MuiAlert-standardError');
    });

    it('warns about a certificate in its own words', async () => {
      const day = dayFromToday(12);
      await renderLoadedCard(microsoft365WithCertificateExpiring(day));
      expect(expiryAlert()).toHaveTextContent(
        `The certificate expires on ${day}, in 12 days: create a new one, upload it to the app in Entra and paste it here with its private key.`,
      );
    });

    it('shows an error once the certificate has expired', async () => {
      const day = dayFromToday(-3);
      await renderLoadedCard(microsoft365WithCertificateExpiring(day));
      expect(screen.getByRole('alert')).toHaveTextContent(
        `The certificate expired on ${day}: Microsoft 365 refuses it`,
      );
    });

    it('says nothing without a known expiry', async () => {
      await renderLoadedCard(SAVED_MICROSOFT365);
      expect(expiryAlert()).not.toBeInTheDocument();
    });
  });

  describe('managed by configuration', () => {
    const CONFIG_NOTE =
      "These settings come from the portal's configuration: emailProvider.managedSettings in app-config";
    const RESTART =
      "to change them, change the configuration and restart the portal's backend";

    it('shows SMTP from the configuration read-only, each field naming its key, without Save', async () => {
      await renderLoadedCard(MANAGED_SMTP);

      expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
        "Active: SMTP (smtp.config.example.com:587, StartTLS), set by the portal's configuration.",
      );
      const note = screen.getByRole('note');
      expect(note).toHaveTextContent(CONFIG_NOTE);
      expect(note).toHaveTextContent(RESTART);
      expect(
        screen.queryByText(/You can see these settings but not change them/),
      ).not.toBeInTheDocument();

      for (const name of ['None', 'SMTP', 'Microsoft 365']) {
        expect(screen.getByRole('radio', { name })).toBeDisabled();
      }
      expect(screen.getByRole('radio', { name: 'SMTP' })).toBeChecked();
      expect(
        screen.getByText(
          'Set in the configuration: emailProvider.managedSettings.provider',
        ),
      ).toBeVisible();

      const fields: [string, string, string][] = [
        ['Server address', 'smtp.config.example.com', 'smtp.host'],
        ['Port', '587', 'smtp.port'],
        ['Sender email address', 'reports@example.com', 'smtp.from'],
        ['Sender name', 'ACME Portal', 'smtp.fromName'],
        ['Username', 'AKIACONFIG', 'smtp.username'],
      ];
      for (const [label, value, key] of fields) {
        expect(field(label)).toBeDisabled();
        expect(field(label)).toHaveValue(value);
        expect(field(label)).toHaveAccessibleDescription(
          `Set in the configuration: emailProvider.managedSettings.${key}`,
        );
      }
      const security = screen.getByRole('combobox', { name: 'Security' });
      expect(security).toBeDisabled();
      expect(security).toHaveValue('starttls');
      expect(security).toHaveAccessibleDescription(
        'Set in the configuration: emailProvider.managedSettings.smtp.security',
      );
      const sameAsSender = screen.getByRole('checkbox', {
        name: 'Same as sender email address',
      });
      expect(sameAsSender).toBeDisabled();
      expect(sameAsSender).not.toBeChecked();
      expect(field('Password')).toBeDisabled();
      expect(field('Password')).toHaveValue('');
      expect(field('Password')).toHaveAttribute('placeholder', '•••••••• set');
      expect(field('Password')).toHaveAccessibleDescription(
        'Set in the configuration: emailProvider.managedSettings.smtp.password (never shown).',
      );

      expect(
        screen.queryByRole('button', { name: 'Save' }),
      ).not.toBeInTheDocument();
      expect(
        screen.getByRole('button', { name: 'Send test email' }),
      ).toBeEnabled();
      expect(
        screen.getByRole('button', { name: 'Check connection' }),
      ).toBeEnabled();
    });

    it('shows Microsoft 365 from the configuration read-only, the client secret as set', async () => {
      await renderLoadedCard(MANAGED_MICROSOFT365);
      expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
        "Active: Microsoft 365 (reports@contoso.onmicrosoft.com), set by the portal's configuration.",
      );
      expect(
        screen.getByRole('radio', { name: 'Microsoft 365' }),
      ).toBeChecked();
      for (const [label, key] of [
        ['Sender email address', 'microsoft365.from'],
        ['Tenant ID', 'microsoft365.tenantId'],
        ['Client ID', 'microsoft365.clientId'],
        ['Cloud', 'microsoft365.cloud'],
        ['Credential', 'microsoft365.credential'],
        [SECRET_EXPIRES, 'microsoft365.clientSecretExpiresAt'],
      ]) {
        expect(field(label)).toBeDisabled();
        expect(field(label)).toHaveAccessibleDescription(
          `Set in the configuration: emailProvider.managedSettings.${key}`,
        );
      }
      expect(field('Tenant ID')).toHaveValue(
        '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
      );
      expect(field('Client secret')).toBeDisabled();
      expect(field('Client secret')).toHaveAttribute(
        'placeholder',
        '•••••••• set',
      );
      expect(field('Client secret')).toHaveAccessibleDescription(
        'Set in the configuration: emailProvider.managedSettings.microsoft365.clientSecret (never shown).',
      );
      const largeMessages = screen.getByRole('checkbox', {
        name: LARGE_MESSAGES,
      });
      expect(largeMessages).toBeDisabled();
      expect(largeMessages).toHaveAccessibleDescription(
        expect.stringContaining(
          'Set in the configuration: emailProvider.managedSettings.microsoft365.largeMessages',
        ),
      );
      expect(
        screen.queryByRole('button', { name: 'Save' }),
      ).not.toBeInTheDocument();
    });

    it('shows SMTP without authentication from the configuration, the box unticked and disabled', async () => {
      await renderLoadedCard({ ...SAVED_SMTP_RELAY, managedBy: 'config' });
      const box = screen.getByRole('checkbox', {
        name: REQUIRES_AUTHENTICATION,
      });
      expect(box).toBeDisabled();
      expect(box).not.toBeChecked();
      expect(box).toHaveAccessibleDescription(
        'Set in the configuration: emailProvider.managedSettings.smtp.authentication',
      );
      expect(screen.queryByLabelText('Password')).not.toBeInTheDocument();
    });

    it('shows a certificate from the configuration as set, with its thumbprint, and where to renew it', async () => {
      const settings = microsoft365WithCertificateExpiring(dayFromToday(5));
      await renderLoadedCard({ ...settings, managedBy: 'config' });
      expect(screen.getByRole('combobox', { name: 'Cloud' })).toBeDisabled();
      expect(screen.getByRole('combobox', { name: 'Cloud' })).toHaveValue(
        'usgov-high',
      );
      expect(
        screen.getByRole('combobox', { name: 'Credential' }),
      ).toHaveAccessibleDescription(
        'Set in the configuration: emailProvider.managedSettings.microsoft365.credential',
      );
      const pem = field(CERTIFICATE_FIELD);
      expect(pem).toBeDisabled();
      expect(pem).toHaveValue('');
      expect(pem).toHaveAccessibleDescription(
        `Set in the configuration: emailProvider.managedSettings.microsoft365.clientCertificatePem (never shown). Thumbprint 3A1F0C5E9B7D2A4C6E8F0A1B2C3D4E5F60718293, subject CN=portal.contoso.com, expires on ${dayFromToday(
          5,
        )}.`,
      );
      expect(
        screen.getByTestId('email-provider-credential-expiry'),
      ).toHaveTextContent(
        `The certificate expires on ${dayFromToday(
          5,
        )}, in 5 days: create a new one, upload it to the app in Entra, set it in the configuration (emailProvider.managedSettings.microsoft365.clientCertificatePem) and restart the portal's backend.`,
      );
    });

    it('sends the test email through the configured settings', async () => {
      const { api, user } = await renderLoadedCard(MANAGED_SMTP);
      await clickButton(user, 'Send test email');
      const dialog = await screen.findByRole('dialog', {
        name: 'Send a test email',
      });
      expect(dialog).toHaveTextContent(
        "through the settings from the portal's configuration: SMTP (smtp.config.example.com:587, StartTLS)",
      );
      expect(dialog).not.toHaveTextContent('unsaved changes');
      const recipient = within(dialog).getByLabelText('Recipient');
      await user.clear(recipient);
      await user.type(recipient, 'ada@example.com');
      await user.click(within(dialog).getByRole('button', { name: 'Send' }));
      expect(api.sendTestEmail).toHaveBeenCalledWith({ to: 'ada@example.com' });
      expect(await within(dialog).findByText('Test email sent.')).toBeVisible();
    });

    it('checks the connection of the configured settings, sending no settings', async () => {
      const { api, user } = await renderLoadedCard(MANAGED_SMTP);
      await clickButton(user, 'Check connection');
      expect(
        await screen.findByRole('heading', {
          name: 'Connection check of the settings from the configuration',
        }),
      ).toBeInTheDocument();
      expect(api.verify).toHaveBeenCalledWith({});
      expect(screen.getByText(/The connection works/)).toBeVisible();
    });

    it('says that configuration switched sending off, and offers nothing to test', async () => {
      await renderLoadedCard(MANAGED_NONE);
      expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
        "No email provider is active: sending is switched off by the portal's configuration.",
      );
      expect(screen.getByRole('note')).toHaveTextContent(
        "Sending is switched off by the portal's configuration: emailProvider.managedSettings in app-config sets the provider to none, so the portal sends no email. This cannot be changed on this page: to send email, change the configuration and restart the portal's backend.",
      );
      expect(screen.getByRole('radio', { name: 'None' })).toBeChecked();
      expect(screen.getByRole('radio', { name: 'SMTP' })).toBeDisabled();
      expect(screen.queryByRole('button')).not.toBeInTheDocument();
    });

    it('shows the configured settings to a user without the update permission, with nothing to run', async () => {
      await renderLoadedCard(MANAGED_SMTP, { update: false });
      expect(screen.getByRole('note')).toHaveTextContent(CONFIG_NOTE);
      expect(field('Server address')).toBeDisabled();
      expect(screen.queryByRole('button')).not.toBeInTheDocument();
    });

    it('says nothing was saved and shows the configured settings when the configuration took over', async () => {
      const { api, user } = await renderLoadedCard(SAVED_SMTP);
      await fillSmtp(user, { 'Sender name': 'Portal' });
      // The backend restarted with emailProvider.managedSettings while the page was open.
      api.settings = MANAGED_SMTP;
      await clickButton(user, 'Save');

      const alert = await screen.findByRole('alert');
      expect(alert).toHaveTextContent(
        "Nothing was saved: the portal's configuration now sets the email provider (emailProvider.managedSettings), so it cannot be changed on this page.",
      );
      expect(alert).not.toHaveTextContent('Someone else changed the settings');
      expect(api.saveSettings).toHaveBeenCalledTimes(1);
      expect(api.getSettings).toHaveBeenCalledTimes(2);
      expect(field('Server address')).toHaveValue('smtp.config.example.com');
      expect(field('Server address')).toBeDisabled();
      expect(field('Sender name')).toHaveValue('ACME Portal');
      expect(screen.getByRole('note')).toHaveTextContent(CONFIG_NOTE);
      expect(
        screen.queryByRole('button', { name: 'Save' }),
      ).not.toBeInTheDocument();
    });

    it('says nothing was deleted when the configuration took over before None was saved', async () => {
      const { api, user } = await renderLoadedCard(SAVED_SMTP);
      await user.click(screen.getByRole('radio', { name: 'None' }));
      api.settings = MANAGED_NONE;
      await clickButton(user, 'Save');
      await user.click(
        await screen.findByRole('button', { name: 'Delete all settings' }),
      );

      expect(await screen.findByRole('alert')).toHaveTextContent(
        'Nothing was saved',
      );
      expect(api.deleteSettings).toHaveBeenCalledTimes(1);
      expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
        "sending is switched off by the portal's configuration",
      );
      expect(screen.getByRole('radio', { name: 'SMTP' })).toBeDisabled();
    });
  });

  describe('unsaved changes', () => {
    it('asks before following a link away from unsaved changes', async () => {
      const { user } = await renderLoadedCard(SAVED_SMTP, {
        withLink: true,
      });
      await fillSmtp(user, { 'Sender name': 'Changed' });
      await user.click(screen.getByRole('link', { name: 'Catalog' }));
      const dialog = await screen.findByRole('dialog', {
        name: 'Leave without saving?',
      });
      await user.click(within(dialog).getByRole('button', { name: 'Stay' }));
      expect(field('Sender name')).toHaveValue('Changed');
    });

    it('asks the browser to confirm closing or reloading the page', async () => {
      const { user } = await renderLoadedCard(SAVED_SMTP);
      const clean = new Event('beforeunload', { cancelable: true });
      act(() => {
        window.dispatchEvent(clean);
      });
      expect(clean.defaultPrevented).toBe(false);

      await fillSmtp(user, { 'Sender name': 'Changed' });
      const dirty = new Event('beforeunload', { cancelable: true });
      act(() => {
        window.dispatchEvent(dirty);
      });
      expect(dirty.defaultPrevented).toBe(true);
    });
  });
});
