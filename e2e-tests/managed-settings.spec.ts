/*
 * Settings pinned by the portal's configuration (`emailProvider.managedSettings`): the backend
 * restarts with SMTP set in an extra config file, pointing at the suite's SMTP server with its
 * password through `${…}` substitution from the environment. The page shows the settings
 * read-only and still sends the test email; the API refuses changes with 409.
 *
 * Runs last (one worker runs the files in alphabetical order) and restarts the backend with its
 * own configuration, whatever the specs before it left; afterwards the backend is put back as
 * global setup started it, for whatever runs next.
 */
import { expect, test } from '@playwright/test';
import {
  MANAGED_BY_CONFIG,
  MANAGED_SETTINGS_CONFIG_KEY,
} from '../plugins/email-provider-common/src/settings/managed';
import { readState, restartBackend, writeConfig } from './support/portal';
import {
  guestToken,
  screenshot,
  sendTestEmail,
  sidebar,
  signInAsGuest,
  SmtpMail,
  suiteSmtpSettings,
  TEST_EMAIL_SUBJECT,
  waitForMail,
} from './support/steps';

const PASSWORD_ENV = 'EMAIL_PROVIDER_E2E_MANAGED_SMTP_PASSWORD';
const SENDER = 'configured@example.com';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  const state = readState();
  // The backend inherits the test process's environment (support/portal.ts startProcess), so
  // the password reaches it only through this variable, never through a file.
  process.env[PASSWORD_ENV] = state.smtp.password;
  const file = writeConfig(
    state,
    'app-config.managed-settings.yaml',
    [
      'emailProvider:',
      '  managedSettings:',
      '    provider: smtp',
      '    smtp:',
      '      host: localhost',
      `      port: ${state.smtp.port}`,
      '      security: starttls',
      `      from: ${SENDER}`,
      '      fromName: Configured Portal',
      '      usernameSameAsFrom: false',
      `      username: ${state.smtp.username}`,
      `      password: \${${PASSWORD_ENV}}`,
      '',
    ].join('\n'),
  );
  await restartBackend([file]);
});

test.afterAll(async () => {
  test.setTimeout(300_000);
  await restartBackend([]);
  delete process.env[PASSWORD_ENV];
});

test('settings from the configuration are read-only in the page, and the test email goes out through them', async ({
  page,
}) => {
  const { smtp, smtpMailFile } = readState();
  await signInAsGuest(page);
  await sidebar(page).getByRole('link', { name: 'Email provider' }).click();
  await expect(
    page.getByRole('heading', { level: 1, name: 'Email provider' }),
  ).toBeVisible();

  await expect(
    page.getByText(
      `Active: SMTP (localhost:${smtp.port}, StartTLS), set by the portal's configuration.`,
    ),
  ).toBeVisible();
  const note = page
    .getByRole('note')
    .filter({ hasText: "These settings come from the portal's configuration" });
  await expect(note).toContainText(
    `These settings come from the portal's configuration: ${MANAGED_SETTINGS_CONFIG_KEY} in app-config`,
  );
  await expect(note).toContainText(
    'change the configuration and restart the portal',
  );

  for (const name of ['None', 'SMTP', 'Microsoft 365']) {
    await expect(page.getByRole('radio', { name })).toBeDisabled();
  }
  await expect(page.getByRole('radio', { name: 'SMTP' })).toBeChecked();
  const fields: [string, string, string][] = [
    ['Server address', 'localhost', 'smtp.host'],
    ['Port', String(smtp.port), 'smtp.port'],
    ['Sender email address', SENDER, 'smtp.from'],
    ['Sender name', 'Configured Portal', 'smtp.fromName'],
    ['Username', smtp.username, 'smtp.username'],
  ];
  for (const [label, value, key] of fields) {
    const input = page.getByLabel(label, { exact: true });
    await expect(input).toBeDisabled();
    await expect(input).toHaveValue(value);
    await expect(input).toHaveAccessibleDescription(
      `Set in the configuration: ${MANAGED_SETTINGS_CONFIG_KEY}.${key}`,
    );
  }
  await expect(page.getByLabel('Security')).toBeDisabled();
  await expect(page.getByLabel('Security')).toHaveValue('starttls');
  const password = page.getByLabel('Password');
  await expect(password).toBeDisabled();
  await expect(password).toHaveValue('');
  await expect(password).toHaveAttribute('placeholder', '•••••••• set');
  await expect(page.getByRole('button', { name: 'Save' })).toHaveCount(0);
  await screenshot(page, '18-managed-settings');

  // The check runs against the configured settings: nothing is sent from the form.
  await page.getByRole('button', { name: 'Check connection' }).click();
  await expect(
    page.getByRole('heading', {
      name: 'Connection check of the settings from the configuration',
    }),
  ).toBeVisible();
  await expect(
    page.getByText('The connection works: every step passed.'),
  ).toBeVisible();
  await expect(
    page.getByRole('list', { name: 'Connection check steps' }),
  ).toContainText('Sign-in: passed');

  const dialog = await sendTestEmail(page, 'managed@example.com');
  await expect(dialog.getByText('Test email sent.')).toBeVisible();
  await screenshot(page, '19-managed-settings-test-email-sent');

  // Signed in with the password from the environment: the server refuses any other.
  const mail = await waitForMail<SmtpMail>(smtpMailFile, m =>
    m.envelope.to.includes('managed@example.com'),
  );
  expect(mail).toMatchObject({
    envelope: { from: SENDER, to: ['managed@example.com'] },
    user: smtp.username,
    secure: true,
    from: `"Configured Portal" <${SENDER}>`,
    subject: TEST_EMAIL_SUBJECT,
  });
});

test('the API refuses to change or delete settings from the configuration', async ({
  request,
}) => {
  const { backendUrl, smtp } = readState();
  const api = `${backendUrl}/api/email-provider`;
  const admin = { Authorization: `Bearer ${await guestToken(request)}` };

  const put = await request.put(`${api}/settings`, {
    headers: admin,
    data: suiteSmtpSettings({ from: 'someone-else@example.com' }),
  });
  expect(put.status()).toBe(409);
  expect((await put.json()).error).toMatchObject({
    name: 'ConflictError',
    code: MANAGED_BY_CONFIG,
  });

  const deleted = await request.delete(`${api}/settings`, { headers: admin });
  expect(deleted.status()).toBe(409);
  expect((await deleted.json()).error.code).toBe(MANAGED_BY_CONFIG);

  const read = await request.get(`${api}/settings`, { headers: admin });
  expect(read.status()).toBe(200);
  const text = await read.text();
  expect(JSON.parse(text)).toMatchObject({
    provider: 'smtp',
    managedBy: 'config',
    smtp: {
      host: 'localhost',
      port: smtp.port,
      from: SENDER,
      username: smtp.username,
      passwordSet: true,
    },
  });
  expect(text).not.toContain(smtp.password);
});
