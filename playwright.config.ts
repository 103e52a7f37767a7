/*
 * End-to-end tests in a real Chromium against the running portal. Global setup starts the portal
 * (backend and frontend dev server, on ports of their own) with a real SMTP server and the
 * Microsoft fake; see e2e-tests/global-setup.ts. Run: `yarn playwright test` (or `./dev test`).
 */
import { defineConfig } from '@playwright/test';
import { browserUse, inOrder } from './e2e-tests/support/playwrightConfig';

const frontendPort = process.env.E2E_FRONTEND_PORT ?? '3100';

export default defineConfig({
  globalSetup: './e2e-tests/global-setup.ts',
  timeout: 90_000,
  expect: { timeout: 20_000 },

  // The tests share one portal and build on each other's settings.
  ...inOrder,

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
    ...browserUse,
    baseURL: `http://localhost:${frontendPort}`,
    actionTimeout: 20_000,
    navigationTimeout: 60_000,
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
