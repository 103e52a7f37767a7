/*
 * The Email provider admin page in a real browser against the running portal: SMTP against a
 * real SMTP server, Microsoft 365 against the local Microsoft fake, None, the delivery log with a
 * failed message retried, and a user who is not an email provider admin. The tests build on
 * each other and run in order.
 */
import { expect, test } from '@playwright/test';
import { ReceivedMail, SmtpSink } from '@internal/mail-test-servers';
import {
  freePort,
  readState,
  restartBackend,
  writeConfig,
} from './support/portal';
import {
  enqueueMessage,
  expectNoEmailProviderEntry,
  fillMicrosoft365Form,
  fillSmtpForm,
  GraphMail,
  guestToken,
  openEmailProviderPage,
  saveSmtpSettings,
  screenshot,
  sendTestEmail,
  sidebar,
  signInAsGuest,
  SmtpMail,
  TEST_EMAIL_SUBJECT,
  waitForMail,
  waitForMessageStatus,
} from './support/steps';

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

  // The port follows the security until the admin types one.
  await page.getByRole('radio', { name: 'SMTP' }).check();
  await page.getByLabel('Security').selectOption('SSL/TLS');
  await expect(page.getByLabel('Port')).toHaveValue('465');
  await page.getByLabel('Security').selectOption('StartTLS');
  await expect(page.getByLabel('Port')).toHaveValue('587');
  await fillSmtpForm(page, {
    port: smtp.port,
    from: 'portal@example.com',
    fromName: 'E2E Portal',
    username: smtp.username,
    password: smtp.password,
  });
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

  const dialog = await sendTestEmail(page, 'ada@example.com');
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
    subject: TEST_EMAIL_SUBJECT,
  });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('switching to Microsoft 365 asks first, then sends through Microsoft Graph', async ({
  page,
}) => {
  const { microsoft, graphMailFile } = readState();
  await openEmailProviderPage(page);
  await expect(page.getByText('Active: SMTP')).toBeVisible();

  await page.getByRole('radio', { name: 'Microsoft 365' }).check();
  await fillMicrosoft365Form(page);
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

  const dialog = await sendTestEmail(page, 'grace@example.com');
  await expect(dialog.getByText('Test email sent.')).toBeVisible();
  await screenshot(page, '10-microsoft365-test-email-sent');

  const mail = await waitForMail<GraphMail>(graphMailFile, m =>
    m.to.includes('grace@example.com'),
  );
  expect(mail).toEqual({
    mailbox: microsoft.mailbox,
    subject: TEST_EMAIL_SUBJECT,
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

test('a failed delivery shows its reason in the Deliveries tab, and a retry succeeds once the SMTP server is back', async ({
  page,
  request,
}) => {
  const { smtp, smtpCertificate, serviceToken } = readState();
  const sender = { from: 'portal@example.com', fromName: 'E2E Portal' };

  // SMTP at a port where nothing listens yet.
  const port = await freePort();
  await saveSmtpSettings(request, sender, port);

  // Another plugin (a service with a token of its own) sends a message.
  const subject = `Weekly catalog report ${Date.now()}`;
  const id = await enqueueMessage(request, {
    to: ['ada@example.com', 'grace@example.com'],
    subject,
    text: 'Twelve components changed this week.',
    category: 'weekly-report',
  });
  // Two quick attempts (the e2e config), then it is given up on.
  await waitForMessageStatus(request, id, 'failed');

  await openEmailProviderPage(page);
  await expect(page.getByRole('tab', { name: 'Settings' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await expect(
    page.getByText(`Active: SMTP (localhost:${port}, StartTLS)`),
  ).toBeVisible();
  await page.getByRole('tab', { name: 'Deliveries' }).click();
  await expect(page).toHaveURL(/\/email-provider\/deliveries$/);

  const summary = page.getByTestId('email-deliveries-summary');
  await expect(summary).toContainText('Failed in the last 24 hours1');
  await expect(summary).toContainText('Last successNone yet');
  const row = page.getByRole('row').filter({ hasText: subject });
  const cells = row.getByRole('cell');
  await expect(cells.nth(1)).toHaveText(serviceToken.subject);
  await expect(cells.nth(2)).toHaveText('weekly-report');
  await expect(cells.nth(4)).toHaveText('2');
  await expect(cells.nth(5)).toContainText('Failed');
  await expect(cells.nth(6)).toHaveText('2');
  await expect(cells.nth(7)).toContainText(
    `Nothing accepts connections at localhost:${port}; check the server address and port`,
  );
  await expect(cells.nth(7)).toContainText('Code connection-refused');

  // The status filter: only failed messages, then all again.
  const statusFilter = page.getByRole('combobox', { name: 'Status' });
  await statusFilter.selectOption('Sent');
  await expect(page.getByText('No sent messages.')).toBeVisible();
  await statusFilter.selectOption('Failed');
  await expect(row).toBeVisible();
  await statusFilter.selectOption('All');
  await expect(row).toBeVisible();
  await screenshot(page, '15-deliveries-failed');

  // The SMTP server comes up on that port; the admin retries.
  const received: ReceivedMail[] = [];
  const server = await SmtpSink.start({
    port,
    certificate: smtpCertificate,
    credentials: { username: smtp.username, password: smtp.password },
    onMessage: mail => received.push(mail),
  });
  try {
    // With the keyboard, as any control of the page.
    await row.getByRole('button', { name: 'Retry' }).focus();
    await page.keyboard.press('Enter');
    await expect(
      page.getByText(`Queued again: “${subject}” will be sent shortly.`),
    ).toBeVisible();
    await screenshot(page, '16-deliveries-retried');

    // The page follows the retried message and shows when it is sent.
    await expect(cells.nth(5)).toHaveText('Sent');
    await expect(cells.nth(6)).toHaveText('1');
    await expect(cells.nth(7)).toHaveText('');
    await expect(row.getByRole('button', { name: 'Retry' })).toHaveCount(0);
    await expect(cells.nth(0)).toContainText('sent');
    await expect(page.getByText(`“${subject}” is now sent.`)).toBeAttached();
    await expect(summary).not.toContainText('Last successNone yet');
    await screenshot(page, '17-deliveries-sent');

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      envelope: {
        from: 'portal@example.com',
        to: ['ada@example.com', 'grace@example.com'],
      },
      user: smtp.username,
      secure: true,
    });
    expect(received[0].parsed.subject).toBe(subject);
  } finally {
    // The backend keeps pooled connections open, and the server waits for them before it
    // closes: other settings make the backend close its pool to this server first.
    await saveSmtpSettings(request, sender).finally(() => server.close());
  }
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
  await expectNoEmailProviderEntry(page);
  await screenshot(page, '14-not-admin-sidebar');

  const response = await request.get(
    `${state.backendUrl}/api/email-provider/settings`,
    { headers: { Authorization: `Bearer ${await guestToken(request)}` } },
  );
  expect(response.status()).toBe(403);
});
