/*
 * Accessibility of the Email provider page (issue 18): axe-core scans each state an admin meets
 * against WCAG 2.1 A and AA. A serious or critical finding fails the test, with every finding's
 * rule, help and elements in the failure message; minor and moderate ones are attached to the
 * report only. The Settings tab with SMTP and with Microsoft 365 chosen, the "Send a test email"
 * dialog, and the Deliveries tab with a sent and a failed message in the log.
 *
 * Runs first (one worker runs the files in alphabetical order), on the portal as global setup
 * started it. The tests save settings through the API and send mail, and the messages stay in the
 * delivery log, which email-provider.spec.ts, next, expects empty: afterwards the backend is
 * started again with a fresh in-memory database, as global setup left it.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { expect, Page, test, TestInfo } from '@playwright/test';
import { freePort, readState, restartBackend } from './support/portal';
import {
  enqueueMessage,
  openEmailProviderPage,
  saveSmtpSettings,
  screenshot,
  waitForMail,
  waitForMessageStatus,
} from './support/steps';

const WCAG_21_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const BLOCKING_IMPACTS = ['serious', 'critical'];

/** Material UI's dialog: the paper with the title, content and buttons. */
const DIALOG = '[role="dialog"]';

/**
 * The app's Notifications entry in the sidebar, Backstage's own (plugin-notifications with
 * core-components' SidebarItem): once a notification is unread, its count shows inside a link
 * whose aria-label is "Notifications" alone (label-content-name-mismatch, serious). That is for the
 * app or Backstage to fix, not this page; the settings these tests save notify the admins (the
 * guest), so the count shows.
 */
const NOTIFICATIONS_SIDEBAR_ITEM =
  'nav[aria-label="sidebar nav"] a[href="/notifications"]';

type AxeViolation = Awaited<
  ReturnType<AxeBuilder['analyze']>
>['violations'][number];

type SmtpMail = { envelope: { to: string[] } };

/**
 * Each element with what to fix there, so that a failure reads as a to-do list. The element's
 * HTML goes with its selector, which is often a generated class name.
 */
function describeViolation(violation: AxeViolation): string {
  const nodes = violation.nodes.map(node =>
    [
      `    at ${node.target.join(' ')}`,
      `      ${node.html.slice(0, 300)}`,
      ...(node.failureSummary ?? '').split('\n').map(line => `      ${line}`),
    ].join('\n'),
  );
  return [
    `[${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})`,
    ...nodes,
  ].join('\n');
}

/**
 * Scans the page as it is now, or only the part `within` a selector. Serious and critical
 * findings fail the test softly, so that the test's later states are scanned too; the others are
 * attached to the report.
 */
async function expectNoSeriousViolations(
  page: Page,
  testInfo: TestInfo,
  state: string,
  within?: string,
) {
  // A dialog or tab still fading in has colours half-way, which axe reads as poor contrast.
  // Spinners turn forever and are left alone.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter(
          animation =>
            animation.effect?.getComputedTiming().endTime !== Infinity,
        )
        .map(animation => animation.finished),
    ),
  );
  const scan = new AxeBuilder({ page })
    .withTags(WCAG_21_AA_TAGS)
    .exclude(NOTIFICATIONS_SIDEBAR_ITEM);
  if (within) {
    scan.include(within);
  }
  const results = await scan.analyze();
  const blocking = results.violations.filter(violation =>
    BLOCKING_IMPACTS.includes(violation.impact ?? ''),
  );
  const others = results.violations.filter(
    violation => !blocking.includes(violation),
  );
  if (others.length > 0) {
    await testInfo.attach(`axe minor and moderate findings: ${state}`, {
      body: others.map(describeViolation).join('\n\n'),
      contentType: 'text/plain',
    });
  }
  expect
    .soft(
      blocking.map(describeViolation),
      `Serious or critical WCAG 2.1 AA findings (axe-core) on ${state}`,
    )
    .toEqual([]);
}

/** The sender of the settings these tests save. */
const SENDER = {
  from: 'accessibility@example.com',
  fromName: 'Accessibility Check',
};

/** Whether a test in this worker saved settings or sent mail, which the next spec must not see. */
let backendChanged = false;

test.afterAll(async () => {
  if (backendChanged) {
    test.setTimeout(300_000);
    await restartBackend([]);
  }
});

test('the Settings tab with SMTP and with Microsoft 365 chosen has no serious accessibility findings', async ({
  page,
}, testInfo) => {
  const { smtp, microsoft } = readState();
  await openEmailProviderPage(page);
  await expect(page.getByText('No email provider is active')).toBeVisible();

  await page.getByRole('radio', { name: 'SMTP' }).check();
  await page.getByLabel('Server address').fill('localhost');
  await page.getByLabel('Port').fill(String(smtp.port));
  await page
    .getByLabel('Sender email address', { exact: true })
    .fill('accessibility@example.com');
  await expect(page.getByLabel('Password')).toBeVisible();
  await screenshot(page, 'accessibility-01-smtp');
  await expectNoSeriousViolations(page, testInfo, 'the Settings tab, SMTP');

  await page.getByRole('radio', { name: 'Microsoft 365' }).check();
  await page
    .getByLabel('Sender email address', { exact: true })
    .fill(microsoft.mailbox);
  await page.getByLabel('Tenant ID').fill(microsoft.tenantId);
  await expect(page.getByLabel('Client secret')).toBeVisible();
  await screenshot(page, 'accessibility-02-microsoft365');
  await expectNoSeriousViolations(
    page,
    testInfo,
    'the Settings tab, Microsoft 365',
  );
});

test('the "Send a test email" dialog has no serious accessibility findings, open and after sending', async ({
  page,
  request,
}, testInfo) => {
  const { smtp, smtpMailFile } = readState();
  backendChanged = true;
  await saveSmtpSettings(request, SENDER);
  await openEmailProviderPage(page);
  await expect(
    page.getByText(`Active: SMTP (localhost:${smtp.port}, StartTLS)`),
  ).toBeVisible();

  await page.getByRole('button', { name: 'Send test email' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a test email' });
  await expect(dialog.getByLabel('Recipient')).toBeVisible();
  await screenshot(page, 'accessibility-03-test-email-dialog');
  // Only the dialog: the Settings tab behind it is the first test's.
  await expectNoSeriousViolations(
    page,
    testInfo,
    'the "Send a test email" dialog',
    DIALOG,
  );

  await dialog.getByLabel('Recipient').fill('accessibility@example.com');
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog.getByText('Test email sent.')).toBeVisible();
  await waitForMail<SmtpMail>(smtpMailFile, mail =>
    mail.envelope.to.includes('accessibility@example.com'),
  );
  await screenshot(page, 'accessibility-04-test-email-sent');
  await expectNoSeriousViolations(
    page,
    testInfo,
    'the "Send a test email" dialog after sending',
    DIALOG,
  );
});

test('the Deliveries tab with a sent and a failed message has no serious accessibility findings', async ({
  page,
  request,
}, testInfo) => {
  /** A message as another plugin sends it, once it is done: sent, or given up on. */
  const sendMessage = async (subject: string, status: 'sent' | 'failed') => {
    const id = await enqueueMessage(request, {
      to: ['accessibility@example.com'],
      subject,
      text: 'Scanned for accessibility.',
      category: 'accessibility-check',
    });
    await waitForMessageStatus(request, id, status);
  };

  // Nothing listens at that port: two quick attempts (the e2e config), then it fails.
  backendChanged = true;
  await saveSmtpSettings(request, SENDER, await freePort());
  await sendMessage('Accessibility check, failed', 'failed');
  await saveSmtpSettings(request, SENDER);
  await sendMessage('Accessibility check, sent', 'sent');

  await openEmailProviderPage(page);
  await page.getByRole('tab', { name: 'Deliveries' }).click();
  await expect(
    page.getByRole('row').filter({ hasText: 'Accessibility check, failed' }),
  ).toContainText('Failed');
  await expect(
    page.getByRole('row').filter({ hasText: 'Accessibility check, sent' }),
  ).toContainText('Sent');
  await screenshot(page, 'accessibility-05-deliveries');
  await expectNoSeriousViolations(page, testInfo, 'the Deliveries tab');
});
