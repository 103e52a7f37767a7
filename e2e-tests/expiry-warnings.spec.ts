/*
 * More provider setups in the page (issue 13), in a real browser against the running portal: a
 * Microsoft 365 client secret whose expiry date the admin copied from Entra warns in the Settings
 * and Deliveries tabs when it is 10 days off; SMTP with "Server requires authentication" unticked
 * sends no AUTH, which the suite's SMTP server (it requires sign-in) refuses with a classified
 * failure, while a relay that admits the portal without sign-in takes the mail.
 *
 * Runs after email-provider.spec.ts (one worker runs the files in alphabetical order), whose last
 * test leaves a backend where the guest is no admin: the backend is first started again as global
 * setup started it (with a fresh in-memory database). managed-settings.spec.ts, next, restarts it
 * with its own configuration.
 */
import { expect, test } from '@playwright/test';
import { ReceivedMail, SmtpSink } from '@internal/mail-test-servers';
import { readState, restartBackend } from './support/portal';
import {
  fillMicrosoft365Form,
  GraphMail,
  guestToken,
  openEmailProviderPage,
  saveSmtpSettings,
  screenshot,
  sendTestEmail,
  signInAsGuest,
  TEST_EMAIL_SUBJECT,
  waitForMail,
} from './support/steps';

/** The day `days` from today (the machine's time zone, as the browser's), `YYYY-MM-DD`. */
function dayFromToday(days: number): string {
  const now = new Date();
  return new Date(
    Date.UTC(now.getFullYear(), now.getMonth(), now.getDate() + days),
  )
    .toISOString()
    .slice(0, 10);
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  await restartBackend([]);
});

test('a client secret expiring in 10 days is warned about in the Settings and Deliveries tabs', async ({
  page,
  request,
}) => {
  const { backendUrl, microsoft, graphMailFile } = readState();
  const expires = dayFromToday(10);
  await openEmailProviderPage(page);
  await expect(page.getByText('No email provider is active')).toBeVisible();

  await page.getByRole('radio', { name: 'Microsoft 365' }).check();
  await expect(page.getByLabel('Cloud')).toHaveValue('global');
  await expect(page.getByLabel('Credential')).toHaveValue('secret');
  await fillMicrosoft365Form(page);
  await page.getByLabel('Secret expires').fill(expires);
  await page.getByRole('button', { name: 'Save' }).click();

  await expect(
    page.getByText(`Active: Microsoft 365 (${microsoft.mailbox})`),
  ).toBeVisible();
  const warning = page.getByTestId('email-provider-credential-expiry');
  await expect(warning).toHaveText(
    `The client secret expires on ${expires}, in 10 days: create a new one in Entra and paste it here.`,
  );
  await expect(warning).toHaveAttribute('role', 'status');
  await expect(page.getByLabel('Secret expires')).toHaveValue(expires);
  await screenshot(page, '20-client-secret-expiry-warning');

  // A certificate instead: its field replaces the secret's, and must be pasted (not saved here).
  const credential = page.getByLabel('Credential');
  await credential.selectOption('Certificate');
  const pem = page.getByLabel('Certificate and private key (PEM)');
  await expect(pem).toBeVisible();
  await expect(pem).toHaveAccessibleDescription(
    'Paste the certificate and its private key: the saved settings sign in with a client secret, which saving deletes. Stored encrypted and never shown again.',
  );
  await expect(page.getByLabel('Client secret')).toHaveCount(0);
  await expect(page.getByLabel('Secret expires')).toHaveCount(0);
  await expect(page.getByLabel('Cloud').locator('option')).toHaveText([
    'Global',
    'US Government (GCC High)',
    'US Government (DoD)',
    'China (21Vianet)',
  ]);
  await screenshot(page, '21-certificate-credential');
  await credential.selectOption('Secret');
  await expect(page.getByText('A client secret is saved.')).toBeVisible();

  const read = await request.get(`${backendUrl}/api/email-provider/settings`, {
    headers: { Authorization: `Bearer ${await guestToken(request)}` },
  });
  expect(read.status()).toBe(200);
  const { microsoft365 } = (await read.json()) as {
    microsoft365: Record<string, unknown>;
  };
  expect(microsoft365).toMatchObject({
    clientSecretSet: true,
    clientSecretExpiresAt: expires,
  });
  expect(String(microsoft365.credentialExpiresAt)).toMatch(
    new RegExp(`^${expires}`),
  );

  // The expiry date changes nothing about sending.
  const dialog = await sendTestEmail(page, 'expiry@example.com');
  await expect(dialog.getByText('Test email sent.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await waitForMail<GraphMail>(graphMailFile, m =>
    m.to.includes('expiry@example.com'),
  );

  await page.getByRole('tab', { name: 'Deliveries' }).click();
  const summary = page.getByTestId('email-deliveries-summary');
  await expect(summary).toContainText(
    `Client secret expires${expires}in 10 days`,
  );
  await expect(summary.getByTestId('status-warning')).toBeVisible();
  await screenshot(page, '22-deliveries-client-secret-expiry');
});

test('SMTP without authentication sends no sign-in: refused by a server that requires it, taken by a relay', async ({
  page,
  request,
}) => {
  const { backendUrl, smtp, smtpCertificate } = readState();
  await signInAsGuest(page);
  await page.goto('/email-provider');
  await expect(page.getByText('Active: Microsoft 365')).toBeVisible();

  await page.getByRole('radio', { name: 'SMTP' }).check();
  await page.getByLabel('Server address').fill('localhost');
  await page.getByLabel('Port').fill(String(smtp.port));
  await page
    .getByLabel('Sender email address', { exact: true })
    .fill('relay@example.com');
  const authentication = page.getByRole('checkbox', {
    name: 'Server requires authentication',
  });
  await expect(authentication).toBeChecked();
  await expect(page.getByLabel('Password')).toBeVisible();
  await authentication.uncheck();
  await expect(page.getByLabel('Username')).toHaveCount(0);
  await expect(page.getByLabel('Password')).toHaveCount(0);
  await expect(
    page.getByRole('checkbox', { name: 'Same as sender email address' }),
  ).toHaveCount(0);
  await page.getByRole('button', { name: 'Save' }).click();
  await page
    .getByRole('dialog', { name: 'Switch to SMTP?' })
    .getByRole('button', { name: 'Delete Microsoft 365 settings and switch' })
    .click();
  await expect(
    page.getByText(
      `Active: SMTP (localhost:${smtp.port}, StartTLS, no authentication)`,
    ),
  ).toBeVisible();
  await expect(authentication).not.toBeChecked();
  // No client secret any more: nothing left to expire.
  await expect(
    page.getByTestId('email-provider-credential-expiry'),
  ).toHaveCount(0);
  await screenshot(page, '23-smtp-without-authentication');

  const admin = { Authorization: `Bearer ${await guestToken(request)}` };
  const read = await request.get(`${backendUrl}/api/email-provider/settings`, {
    headers: admin,
  });
  const { smtp: saved } = (await read.json()) as {
    smtp: Record<string, unknown>;
  };
  expect(saved).toMatchObject({ authentication: 'none', passwordSet: false });
  expect(saved).not.toHaveProperty('username');

  // The suite's SMTP server admits only signed-in senders: the failure says why.
  const dialog = await sendTestEmail(page, 'relay@example.com');
  const failure = dialog.getByRole('alert');
  await expect(failure).toContainText('The test email was not sent.');
  await expect(failure).toContainText(
    `localhost:${smtp.port} requires sign-in before it takes mail (530), and authentication is off: tick Server requires authentication`,
  );
  await expect(failure).toContainText('Code relay-denied');
  await screenshot(page, '24-smtp-without-authentication-refused');
  await dialog.getByRole('button', { name: 'Close' }).click();

  // A relay that admits the portal by its address, as an internal Postfix does.
  const received: ReceivedMail[] = [];
  const relay = await SmtpSink.start({
    certificate: smtpCertificate,
    onMessage: mail => received.push(mail),
  });
  try {
    await page.getByLabel('Port').fill(String(relay.port));
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(
      page.getByText(
        `Active: SMTP (localhost:${relay.port}, StartTLS, no authentication)`,
      ),
    ).toBeVisible();

    await sendTestEmail(page, 'relay@example.com');
    await expect(dialog.getByText('Test email sent.')).toBeVisible();
    await screenshot(page, '25-smtp-relay-test-email-sent');

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      envelope: { from: 'relay@example.com', to: ['relay@example.com'] },
      secure: true,
    });
    // Not signed in (smtp-server says false), and no AUTH command at all.
    expect(received[0].user).toBeFalsy();
    expect(relay.authAttempts).toEqual([]);
    expect(relay.commands).toContain('MAIL');
    expect(relay.commands).not.toContain('AUTH');
    expect(received[0].parsed.subject).toBe(TEST_EMAIL_SUBJECT);
  } finally {
    // Settings elsewhere first, so that the backend lets go of any connection to the relay,
    // which waits for them before it closes.
    await saveSmtpSettings(request, { from: 'portal@example.com' }).finally(
      () => relay.close(),
    );
  }
});
