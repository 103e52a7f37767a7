import type { DeliveryRecord } from '@email-provider/backstage-plugin-email-provider-common';
import { expect, Page, APIRequestContext } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readState, REPORT_DIR } from './portal';

const SCREENSHOT_DIR = path.join(REPORT_DIR, 'screenshots');

/** Keeps a screenshot of the step as a test artifact: e2e-test-report/screenshots/. */
export async function screenshot(page: Page, name: string) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({
    path: path.join(SCREENSHOT_DIR, `${name}.png`),
    fullPage: true,
    // Dialogs fade in: show them as they end up.
    animations: 'disabled',
  });
}

/** Signs in with the guest provider of the sign-in page. */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    sidebar(page).getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
}

export function sidebar(page: Page) {
  return page.getByRole('navigation', { name: 'sidebar nav' });
}

/** A guest token straight from the backend, to check the API as the tests' user. */
export async function guestToken(request: APIRequestContext): Promise<string> {
  const { backendUrl } = readState();
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
export async function openEmailProviderPage(page: Page) {
  await signInAsGuest(page);
  await sidebar(page).getByRole('link', { name: 'Email provider' }).click();
  await expect(
    page.getByRole('heading', { level: 1, name: 'Email provider' }),
  ).toBeVisible();
}

/**
 * SMTP with StartTLS and the suite's SMTP credentials, saved through the API as the admin would
 * save the form: to the suite's SMTP server, or to another server or port of the test's own.
 */
export async function saveSmtpSettings(
  request: APIRequestContext,
  sender: { from: string; fromName: string },
  port?: number,
) {
  const { backendUrl, smtp } = readState();
  const response = await request.put(
    `${backendUrl}/api/email-provider/settings`,
    {
      headers: { Authorization: `Bearer ${await guestToken(request)}` },
      data: {
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
      },
    },
  );
  expect(response.status()).toBe(200);
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
