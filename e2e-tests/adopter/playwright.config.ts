/*
 * The adopter test (`yarn test:adopter`, e2e-tests/adopter/run.sh): packs the plugins, creates a
 * fresh portal with create-app outside this repository, installs them there by the READMEs, and
 * drives that portal in Chromium. Its steps are the tests of freshPortal.smoke.ts, in order.
 */
import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { browserUse, inOrder } from '../support/playwrightConfig';

const reportDir = path.join(__dirname, '../../e2e-test-report/adopter');

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
  ...inOrder,

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
    ...browserUse,
    actionTimeout: 30_000,
    navigationTimeout: 90_000,
  },

  outputDir: path.join(reportDir, 'artifacts'),
});
