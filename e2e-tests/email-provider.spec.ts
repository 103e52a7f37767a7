/*
 * The Email provider admin page in a real browser against the running portal: SMTP against a
 * real SMTP server, Microsoft 365 against the local Microsoft fake, None, and a user who is not
 * an email provider admin. The tests build on each other and run in order.
 */
import { expect, test } from '@playwright/test';
import { readState, restartBackend, writeConfig } from './support/portal';
import {
  guestToken,
  screenshot,
  sidebar,
  signInAsGuest,
  waitForMail,
} from './support/steps';

const APP_TITLE = 'Backstage Email Portal';
const TEST_SUBJECT = `Test email from ${APP_TITLE} administration`;

type SmtpMail = {
  envelope: { from: string; to: string[] };
  user?: string;
  secure: boolean;
  from?: string;
  subject?: string;
};
type GraphMail = { mailbox: string; subject?: string; to: string[] };

test.describe.configure({ mode: 'serial' });

test('an admin configures SMTP, saves, checks the connection and receives the test email', async ({
  page,
}) => {
  const { smtp, smtpMailFile } = readState();
  await signInAsGuest(page);
  await screenshot(page, '01-signed-in');

  await sidebar(page).getByRole('link', { name: 'Email provider' }).click();
  await expect(
    page.getByRole('heading', { level: 1, name: 'Email provider' }),
  ).toBeVisible();
  await expect(page.getByText('No email provider is active')).toBeVisible();
  await screenshot(page, '02-no-provider');

  await page.getByRole('radio', { name: 'SMTP' }).check();
  await page.getByLabel('Server address').fill('localhost');
  await page.getByLabel('Security').selectOption('SSL/TLS');
  await expect(page.getByLabel('Port')).toHaveValue('465');
  await page.getByLabel('Security').selectOption('StartTLS');
  await expect(page.getByLabel('Port')).toHaveValue('587');
  await page.getByLabel('Port').fill(String(smtp.port));
  await page
    .getByLabel('Sender email address', { exact: true })
    .fill('portal@example.com');
  await page.getByLabel('Sender name').fill('E2E Portal');
  await page
    .getByRole('checkbox', { name: 'Same as sender email address' })
    .uncheck();
  await page.getByLabel('Username').fill(smtp.username);
  await page.getByLabel('Password').fill(smtp.password);
  await screenshot(page, '03-smtp-filled');

  await page.getByRole('button', { name: 'Save' }).click();
  await expect(
    page.getByText(`Active: SMTP (localhost:${smtp.port}, StartTLS)`),
  ).toBeVisible();
  await expect(
    page.getByText('changed by user:development/guest'),
  ).toBeVisible();
  await expect(page.getByLabel('Password')).toHaveValue('');
  await expect(page.getByText('A password is saved.')).toBeVisible();
  await screenshot(page, '04-smtp-saved');

  await page.getByRole('button', { name: 'Check connection' }).click();
  await expect(
    page.getByText('The connection works: every step passed.'),
  ).toBeVisible();
  const steps = page.getByRole('list', { name: 'Connection check steps' });
  await expect(steps).toContainText('TLS: passed');
  await expect(steps).toContainText('Sign-in: passed');
  await screenshot(page, '05-smtp-connection-check');

  await page.getByRole('button', { name: 'Send test email' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a test email' });
  await dialog.getByLabel('Recipient').fill('ada@example.com');
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog.getByText('Test email sent.')).toBeVisible();
  await screenshot(page, '06-smtp-test-email-sent');

  const mail = await waitForMail<SmtpMail>(smtpMailFile, m =>
    m.envelope.to.includes('ada@example.com'),
  );
  expect(mail).toMatchObject({
    envelope: { from: 'portal@example.com', to: ['ada@example.com'] },
    user: smtp.username,
    secure: true,
    from: '"E2E Portal" <portal@example.com>',
    subject: TEST_SUBJECT,
  });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('switching to Microsoft 365 asks first, then sends through Microsoft Graph', async ({
  page,
}) => {
  const { microsoft, graphMailFile } = readState();
  await signInAsGuest(page);
  await sidebar(page).getByRole('link', { name: 'Email provider' }).click();
  await expect(page.getByText('Active: SMTP')).toBeVisible();

  await page.getByRole('radio', { name: 'Microsoft 365' }).check();
  await page
    .getByLabel('Sender email address', { exact: true })
    .fill(microsoft.mailbox);
  await page.getByLabel('Tenant ID').fill(microsoft.tenantId);
  await page.getByLabel('Client ID').fill(microsoft.clientId);
  await page.getByLabel('Client secret').fill(microsoft.clientSecret);
  await screenshot(page, '07-microsoft365-filled');

  await page.getByRole('button', { name: 'Save' }).click();
  const confirm = page.getByRole('dialog', {
    name: 'Switch to Microsoft 365?',
  });
  await expect(confirm).toContainText('deletes the saved SMTP settings');
  await screenshot(page, '08-switch-confirmation');
  await confirm
    .getByRole('button', { name: 'Delete SMTP settings and switch' })
    .click();
  await expect(
    page.getByText(`Active: Microsoft 365 (${microsoft.mailbox})`),
  ).toBeVisible();
  await expect(page.getByText('A client secret is saved.')).toBeVisible();
  await screenshot(page, '09-microsoft365-saved');

  await page.getByRole('button', { name: 'Send test email' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a test email' });
  await dialog.getByLabel('Recipient').fill('grace@example.com');
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog.getByText('Test email sent.')).toBeVisible();
  await screenshot(page, '10-microsoft365-test-email-sent');

  const mail = await waitForMail<GraphMail>(graphMailFile, m =>
    m.to.includes('grace@example.com'),
  );
  expect(mail).toEqual({
    mailbox: microsoft.mailbox,
    subject: TEST_SUBJECT,
    to: ['grace@example.com'],
  });
});

test('choosing None asks first, then deletes all settings', async ({
  page,
  request,
}) => {
  const { backendUrl } = readState();
  await signInAsGuest(page);
  await page.goto('/email-provider');
  await expect(page.getByText('Active: Microsoft 365')).toBeVisible();

  await page.getByRole('radio', { name: 'None' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  const confirm = page.getByRole('dialog', {
    name: 'Delete all email settings?',
  });
  await expect(confirm).toContainText('All saved settings will be deleted');
  await screenshot(page, '11-none-confirmation');
  await confirm.getByRole('button', { name: 'Delete all settings' }).click();
  await expect(page.getByText('No email provider is active')).toBeVisible();
  await screenshot(page, '12-none-saved');

  const response = await request.get(
    `${backendUrl}/api/email-provider/settings`,
    {
      headers: { Authorization: `Bearer ${await guestToken(request)}` },
    },
  );
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ provider: 'none' });
});

test('a user who is not an email provider admin gets no sidebar entry and no page', async ({
  page,
  request,
}) => {
  // The guest stops being an admin: the backend restarts with nobody in emailProvider.admins.
  test.setTimeout(300_000);
  const state = readState();
  await restartBackend([
    writeConfig(
      state,
      'app-config.not-admin.yaml',
      'emailProvider:\n  admins: []\n',
    ),
  ]);

  await signInAsGuest(page);
  await page.goto('/email-provider');
  await expect(page.getByRole('alert')).toContainText(
    'You are not allowed to see the email provider settings',
  );
  await expect(page.getByLabel('Server address')).toHaveCount(0);
  await screenshot(page, '13-not-admin-page');

  // The permission is decided (the page above says so): the sidebar has no entry for it.
  await expect(
    sidebar(page).getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
  await expect(
    sidebar(page).getByRole('link', { name: 'Email provider' }),
  ).toHaveCount(0);
  await screenshot(page, '14-not-admin-sidebar');

  const response = await request.get(
    `${state.backendUrl}/api/email-provider/settings`,
    { headers: { Authorization: `Bearer ${await guestToken(request)}` } },
  );
  expect(response.status()).toBe(403);
});
