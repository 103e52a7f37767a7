/*
 * What the suite's and the adopter test's Playwright configurations share.
 */
import { PlaywrightTestConfig } from '@playwright/test';
import fs from 'node:fs';

// Debian's Chromium where it is installed (CI installs it); otherwise Playwright's own browser.
const chromium =
  process.env.E2E_CHROMIUM ??
  (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

/**
 * The browser both suites drive: Chromium in a window tall enough that a screenshot shows the
 * whole page (its content scrolls inside), without the background traffic of a desktop browser;
 * a screenshot and a trace kept when a test fails.
 */
export const browserUse: PlaywrightTestConfig['use'] = {
  viewport: { width: 1400, height: 1800 },
  screenshot: 'only-on-failure',
  trace: 'retain-on-failure',
  launchOptions: {
    executablePath: chromium,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  },
};

/** Tests that build on each other: one worker runs them in order, once. */
export const inOrder: PlaywrightTestConfig = {
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
};
