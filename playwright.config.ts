/*
 * End-to-end tests in a real Chromium against the running portal. Global setup starts the portal
 * (backend and frontend dev server, on ports of their own) with a real SMTP server and the
 * Microsoft fake; see e2e-tests/global-setup.ts. Run: `yarn playwright test` (or `./dev test`).
 */
import { defineConfig } from '@playwright/test';
import fs from 'node:fs';

// Debian's Chromium where it is installed (CI installs it); otherwise Playwright's own browser.
const chromium =
  process.env.E2E_CHROMIUM ??
  (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

const frontendPort = process.env.E2E_FRONTEND_PORT ?? '3100';

export default defineConfig({
  globalSetup: './e2e-tests/global-setup.ts',
  timeout: 90_000,
  expect: { timeout: 20_000 },

  // The tests share one portal and build on each other's settings.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,

  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'e2e-test-report/html' }],
    [
      'json',
      {
        outputFile:
          process.env.E2E_JSON_REPORT ?? 'e2e-test-report/results.json',
      },
    ],
  ],

  use: {
    baseURL: `http://localhost:${frontendPort}`,
    // Tall enough that a screenshot shows the whole page (its content scrolls inside).
    viewport: { width: 1400, height: 1800 },
    actionTimeout: 20_000,
    navigationTimeout: 60_000,
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

  outputDir: 'e2e-test-report/artifacts',

  projects: [
    { name: 'app', testDir: 'packages/app/e2e-tests' },
    {
      name: 'email-provider',
      testDir: 'e2e-tests',
      dependencies: ['app'],
    },
  ],
});
