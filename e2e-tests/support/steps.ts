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
