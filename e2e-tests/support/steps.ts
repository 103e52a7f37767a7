import type { DeliveryRecord } from '@email-provider/backstage-plugin-email-provider-common';
import { expect, Page, APIRequestContext } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readState, REPORT_DIR } from './portal';

const SCREENSHOT_DIR = path.join(REPORT_DIR, 'screenshots');

/** Keeps a screenshot of the step as a test artifact: e2e-test-report/screenshots/ unless told. */
export async function screenshot(
  page: Page,
  name: string,
  dir = SCREENSHOT_DIR,
) {
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({
    path: path.join(dir, `${name}.png`),
    fullPage: true,
    // Dialogs fade in: show them as they end up.
    animations: 'disabled',
  });
}

/**
 * Signs in with the guest provider of the sign-in page: of the suite's portal, or of the portal
 * at `frontendUrl`.
 */
export async function signInAsGuest(page: Page, frontendUrl = '/') {
  await page.goto(frontendUrl);
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    sidebar(page).getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
}

export function sidebar(page: Page) {
  return page.getByRole('navigation', { name: 'sidebar nav' });
}

/**
 * A guest token straight from the backend (the suite's, or the one at `backendUrl`), to check the
 * API as the tests' user.
 */
export async function guestToken(
  request: APIRequestContext,
  backendUrl = readState().backendUrl,
): Promise<string> {
  const response = await request.get(`${backendUrl}/api/auth/guest/refresh`);
  expect(response.ok()).toBe(true);
  return (await response.json()).backstageIdentity.token;
}

/** Waits for a line of a JSON-lines file that matches, as the mail servers write them. */
export async function waitForMail<T>(
  file: string,
  matches: (mail: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails: T[] = fs.existsSync(file)
      ? fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map(line => JSON.parse(line))
      : [];
    const found = mails.find(matches);
    if (found) {
      return found;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `No matching mail in ${file} after ${
          timeoutMs / 1000
        } s; received: ${JSON.stringify(mails)}`,
      );
    }
    await sleep(250);
  }
}

/** Opens the Email provider page from the sidebar, signed in as the guest (an email provider admin). */
export async function openEmailProviderPage(page: Page, frontendUrl = '/') {
  await signInAsGuest(page, frontendUrl);
  await sidebar(page).getByRole('link', { name: 'Email provider' }).click();
  await expect(
    page.getByRole('heading', { level: 1, name: 'Email provider' }),
  ).toBeVisible();
}

/** The subject of the test email the page sends, in a portal titled Backstage Email Portal. */
export const TEST_EMAIL_SUBJECT =
  'Test email from Backstage Email Portal administration';

/** A message the suite's SMTP server received, as its mail file (JSON lines) holds it. */
export type SmtpMail = {
  envelope: { from: string; to: string[] };
  user?: string;
  secure: boolean;
  from?: string;
  subject?: string;
};

/** A message the Microsoft fake sent through Graph, as its mail file holds it. */
export type GraphMail = { mailbox: string; subject?: string; to: string[] };

/**
 * Fills the page's SMTP form as an admin would: StartTLS, and sign-in with a username other
 * than the sender's address. Saves nothing.
 */
export async function fillSmtpForm(
  page: Page,
  settings: {
    port: number;
    from: string;
    fromName: string;
    username: string;
    password: string;
  },
) {
  await page.getByRole('radio', { name: 'SMTP' }).check();
  await page.getByLabel('Server address').fill('localhost');
  await page.getByLabel('Security').selectOption('StartTLS');
  await page.getByLabel('Port').fill(String(settings.port));
  await page
    .getByLabel('Sender email address', { exact: true })
    .fill(settings.from);
  await page.getByLabel('Sender name').fill(settings.fromName);
  await page
    .getByRole('checkbox', { name: 'Same as sender email address' })
    .uncheck();
  await page.getByLabel('Username').fill(settings.username);
  await page.getByLabel('Password').fill(settings.password);
}

/** Opens the page's "Send a test email" dialog and sends to `recipient`; returns the dialog. */
export async function sendTestEmail(page: Page, recipient: string) {
  await page.getByRole('button', { name: 'Send test email' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a test email' });
  await dialog.getByLabel('Recipient').fill(recipient);
  await dialog.getByRole('button', { name: 'Send' }).click();
  return dialog;
}

/**
 * SMTP with StartTLS and the suite's SMTP credentials, as the admin would save the form: to the
 * suite's SMTP server, or to another server or port of the test's own.
 */
export function suiteSmtpSettings(
  sender: { from: string; fromName?: string },
  port?: number,
) {
  const { smtp } = readState();
  return {
    provider: 'smtp',
    smtp: {
      host: 'localhost',
      port: port ?? smtp.port,
      security: 'starttls',
      ...sender,
      usernameSameAsFrom: false,
      username: smtp.username,
      password: smtp.password,
    },
  };
}

/** Saves `suiteSmtpSettings` through the API, as the admin. */
export async function saveSmtpSettings(
  request: APIRequestContext,
  sender: { from: string; fromName?: string },
  port?: number,
) {
  const { backendUrl } = readState();
  const response = await request.put(
    `${backendUrl}/api/email-provider/settings`,
    {
      headers: { Authorization: `Bearer ${await guestToken(request)}` },
      data: suiteSmtpSettings(sender, port),
    },
  );
  expect(response.status()).toBe(200);
}

/** Fills the page's Microsoft 365 form with the suite's Microsoft fake app. Saves nothing. */
export async function fillMicrosoft365Form(page: Page) {
  const { microsoft } = readState();
  await page
    .getByLabel('Sender email address', { exact: true })
    .fill(microsoft.mailbox);
  await page.getByLabel('Tenant ID').fill(microsoft.tenantId);
  await page.getByLabel('Client ID').fill(microsoft.clientId);
  // Found by its label as other tests find it: the expiry date's label must not contain it.
  await page.getByLabel('Client secret').fill(microsoft.clientSecret);
}

/** Checks the sidebar has no Email provider entry (the user may not see the page). */
export async function expectNoEmailProviderEntry(page: Page) {
  await expect(
    sidebar(page).getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
  await expect(
    sidebar(page).getByRole('link', { name: 'Email provider' }),
  ).toHaveCount(0);
}

/** What another plugin asks the portal to send (`POST /messages`), without attachments. */
export type OutgoingMessage = {
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  text: string;
  category?: string;
};

/**
 * Sends a message as another plugin does, with the suite's service token (a static external
 * access token); returns its id in the delivery log.
 */
export async function enqueueMessage(
  request: APIRequestContext,
  message: OutgoingMessage,
): Promise<string> {
  const { backendUrl, serviceToken } = readState();
  const response = await request.post(
    `${backendUrl}/api/email-provider/messages`,
    {
      headers: { Authorization: `Bearer ${serviceToken.token}` },
      data: message,
    },
  );
  expect(response.status()).toBe(202);
  return (await response.json()).id;
}

/**
 * Waits until a message is done, sent or given up on, as the admin reads it in the delivery log
 * (`GET /messages/:id`); returns that record.
 */
export async function waitForMessageStatus(
  request: APIRequestContext,
  id: string,
  status: 'sent' | 'failed',
): Promise<DeliveryRecord> {
  const { backendUrl } = readState();
  const headers = { Authorization: `Bearer ${await guestToken(request)}` };
  const read = async (): Promise<DeliveryRecord> =>
    (
      await request.get(`${backendUrl}/api/email-provider/messages/${id}`, {
        headers,
      })
    ).json();
  await expect.poll(read, { timeout: 15_000 }).toMatchObject({ status });
  return read();
}
