/*
 * The adopter test (`yarn test:adopter`, e2e-tests/adopter/run.sh): packs the plugins, creates a
 * fresh portal with create-app outside this repository, installs them there by the READMEs, and
 * drives that portal in Chromium. Its steps are the tests of freshPortal.smoke.ts, in order.
 */
import { defineConfig } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

const reportDir = path.join(__dirname, '../../e2e-test-report/adopter');

// Debian's Chromium where it is installed (CI installs it); otherwise Playwright's own browser.
const chromium =
  process.env.E2E_CHROMIUM ??
  (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export default defineConfig({
  testDir: '.',
  // Not *.spec.ts: the repository's own end-to-end suite collects those from e2e-tests/.
  testMatch: '*.smoke.ts',
  globalSetup: './globalSetup.ts',
  // Each step sets its own limit; this bounds the whole run.
  globalTimeout: 90 * 60_000,
  timeout: 5 * 60_000,
  expect: { timeout: 30_000 },

  // The steps build on each other, in one worker.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,

  reporter: [
    ['list'],
    [
      'json',
      {
        outputFile:
          process.env.ADOPTER_JSON_REPORT ??
          path.join(reportDir, 'results.json'),
      },
    ],
  ],

  use: {
    viewport: { width: 1400, height: 1800 },
    actionTimeout: 30_000,
    navigationTimeout: 90_000,
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
  },

  outputDir: path.join(reportDir, 'artifacts'),
});
