/*
 * The Deliveries tab as an admin uses it (issue 18): the chart of messages per hour and per day
 * and its table, a bar's messages shown in the log, the recipient, category and subject-words
 * filters, and the CSV export, over messages that other plugins sent through a real SMTP server.
 *
 * Runs after accessibility.spec.ts, on a fresh backend, and leaves one: the messages stay in the
 * delivery log, which email-provider.spec.ts, next, expects empty, so the backend is started
 * again at the end with a fresh in-memory database.
 */
import type { DeliveryRecord } from '@email-provider/backstage-plugin-email-provider-common';
import { expect, Page, test } from '@playwright/test';
import fs from 'node:fs';
import { SmtpSink } from '@internal/mail-test-servers';
import { readState, restartBackend } from './support/portal';
import {
  enqueueMessage,
  openEmailProviderPage,
  OutgoingMessage,
  saveSmtpSettings,
  screenshot,
  sidebar,
  waitForMessageStatus,
} from './support/steps';

const HOUR_MS = 60 * 60 * 1000;

/** The mailbox the SMTP server refuses for good (550 5.1.1). */
const UNKNOWN_MAILBOX = 'nobody@example.com';

const SUBJECTS = {
  toBob: 'March invoice for Bob',
  bccBob: 'Release notes for the platform team',
  toBobby: 'March invoice for Bobby',
  toAlice: 'Welcome aboard Alice',
  weeklyReport: 'Weekly catalog report',
  unknownMailbox: 'Notice to a mailbox that does not exist',
};

const TEXT = 'Sent by another plugin of the portal.';

/** What other plugins send: two to Bob (one in Bcc only), near misses, one that fails. */
const MESSAGES: Array<{
  message: OutgoingMessage;
  outcome: 'sent' | 'failed';
}> = [
  {
    message: { to: ['bob@example.com'], subject: SUBJECTS.toBob, text: TEXT },
    outcome: 'sent',
  },
  {
    message: {
      to: ['platform-team@example.com'],
      bcc: ['bob@example.com'],
      subject: SUBJECTS.bccBob,
      text: TEXT,
    },
    outcome: 'sent',
  },
  {
    message: {
      to: ['bobby@example.com'],
      subject: SUBJECTS.toBobby,
      text: TEXT,
    },
    outcome: 'sent',
  },
  {
    message: {
      to: ['alice@example.com'],
      subject: SUBJECTS.toAlice,
      text: TEXT,
    },
    outcome: 'sent',
  },
  {
    message: {
      to: ['alice@example.com'],
      subject: SUBJECTS.weeklyReport,
      text: TEXT,
      category: 'weekly-report',
    },
    outcome: 'sent',
  },
  {
    message: {
      to: [UNKNOWN_MAILBOX],
      subject: SUBJECTS.unknownMailbox,
      text: TEXT,
    },
    outcome: 'failed',
  },
];

const ALL_SUBJECTS = Object.values(SUBJECTS);
const BOB_SUBJECTS = [SUBJECTS.toBob, SUBJECTS.bccBob];

/** The SMTP server of this file: the suite's credentials, and a mailbox it refuses. */
let smtpServer: SmtpSink | undefined;
/** The messages as the log has them once done, in the order sent. */
let delivered: DeliveryRecord[] = [];

test.describe.configure({ mode: 'serial' });

/**
 * One page for all the tests, signed in once: loading the portal's development build takes most
 * of a minute on a busy machine, which a page per test would pay six times.
 */
let page: Page;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  page = await browser.newPage();
  await openEmailProviderPage(page);
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    await testInfo.attach('page at the failure', {
      body: await page.screenshot({ fullPage: true }),
      contentType: 'image/png',
    });
  }
});

test.afterAll(async () => {
  test.setTimeout(300_000);
  await page?.close();
  // The backend first: the server's close waits for the backend's pooled connections.
  await restartBackend([]);
  await smtpServer?.close();
});

/** The Deliveries tab as the admin comes to it: from the sidebar, with no filter set. */
async function openDeliveriesTab() {
  await sidebar(page).getByRole('link', { name: 'Email provider' }).click();
  await expect(page.getByRole('tab', { name: 'Settings' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await page.getByRole('tab', { name: 'Deliveries' }).click();
  await expect(page).toHaveURL(/\/email-provider\/deliveries$/);
}

const recentMessages = () =>
  page.getByRole('table', { name: 'Recent messages' });

/** The log lists exactly these subjects (in any order: some were created in the same ms). */
async function expectLogSubjects(subjects: string[]) {
  const subjectCells = recentMessages().locator('tbody tr td:nth-child(4)');
  await expect
    .poll(async () => (await subjectCells.allTextContents()).sort())
    .toEqual([...subjects].sort());
}

/**
 * Types into a filter field and presses Enter; resolves once the log was read with that value
 * (`GET /messages?<param>=…`), so that what the log showed before cannot pass for the answer.
 */
async function setFilter(label: string, param: string, value: string) {
  const read = page.waitForResponse(response => {
    const url = new URL(response.url());
    return (
      url.pathname.endsWith('/api/email-provider/messages') &&
      (url.searchParams.get(param) ?? '') === value
    );
  });
  const field = page.getByRole('textbox', { name: label, exact: true });
  await field.fill(value);
  await field.press('Enter');
  await read;
}

/** The `datetime-local` value (local time, to the minute) the From and To fields show. */
function dateTimeLocal(time: number): string {
  const date = new Date(time);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(
    date.getDate(),
  )}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The chart's bucket (an hour, or a local day) that holds most of the messages, with those
 * messages: all of them, unless the clock passed the bucket's end while they were sent.
 */
function busiestBucket(bucketStart: (createdAt: Date) => number) {
  const byStart = new Map<number, DeliveryRecord[]>();
  for (const record of delivered) {
    const start = bucketStart(new Date(record.createdAt));
    byStart.set(start, [...(byStart.get(start) ?? []), record]);
  }
  const [start, records] = [...byStart.entries()].sort(
    (a, b) => b[1].length - a[1].length,
  )[0];
  return {
    start,
    records,
    sent: records.filter(r => r.status === 'sent').length,
    failed: records.filter(r => r.status === 'failed').length,
  };
}

const startOfHour = (date: Date) =>
  Math.floor(date.getTime() / HOUR_MS) * HOUR_MS;
const startOfLocalDay = (date: Date) =>
  new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();

/** The chart table's row for the bucket starting then (its row header holds a `<time>`). */
function statsRow(tableName: string, start: number) {
  return page
    .getByRole('table', { name: tableName })
    .getByRole('row')
    .filter({
      has: page.locator(`time[datetime="${new Date(start).toISOString()}"]`),
    });
}

test('messages from other plugins show in the log once sent, or failed for good', async ({
  request,
}) => {
  const { smtp, smtpCertificate } = readState();
  smtpServer = await SmtpSink.start({
    certificate: smtpCertificate,
    credentials: { username: smtp.username, password: smtp.password },
    rejectRecipients: [UNKNOWN_MAILBOX],
  });
  await saveSmtpSettings(
    request,
    { from: 'deliveries@example.com', fromName: 'Deliveries Check' },
    smtpServer.port,
  );

  const ids: string[] = [];
  for (const { message } of MESSAGES) {
    ids.push(await enqueueMessage(request, message));
  }
  delivered = [];
  for (const [index, id] of ids.entries()) {
    delivered.push(
      await waitForMessageStatus(request, id, MESSAGES[index].outcome),
    );
  }
  expect(delivered.find(r => r.status === 'failed')?.lastError).toMatchObject({
    code: 'recipient-rejected',
  });
  // Bob got the Bcc copy: the server saw him among the envelope's recipients.
  expect(
    smtpServer.received.find(mail => mail.parsed.subject === SUBJECTS.bccBob)
      ?.envelope.to,
  ).toEqual(['platform-team@example.com', 'bob@example.com']);

  await openDeliveriesTab();
  await expectLogSubjects(ALL_SUBJECTS);
  for (const { message, outcome } of MESSAGES) {
    await expect(
      recentMessages()
        .getByRole('row')
        .filter({
          has: page.getByRole('cell', { name: message.subject, exact: true }),
        })
        .getByRole('cell')
        .nth(5),
    ).toContainText(outcome === 'sent' ? 'Sent' : 'Failed');
  }
  await expect(page.getByText('1–6 of 6')).toBeVisible();
});

test('the chart counts the hour’s messages, and a bar’s “Show messages” filters the log to that hour', async () => {
  await openDeliveriesTab();
  await expect(page.getByTestId('email-deliveries-chart')).toBeVisible();
  await screenshot(page, 'deliveries-01-chart');

  await page.getByRole('checkbox', { name: 'Show as table' }).check();
  await expect(page.getByTestId('email-deliveries-chart')).toHaveCount(0);
  // 24 hours and the header.
  await expect(
    page
      .getByRole('table', { name: 'Messages per hour, last 24 hours' })
      .getByRole('row'),
  ).toHaveCount(25);
  const hour = busiestBucket(startOfHour);
  const row = statsRow('Messages per hour, last 24 hours', hour.start);
  const cells = row.getByRole('cell');
  await expect(cells.nth(0)).toHaveText(String(hour.sent));
  await expect(cells.nth(1)).toHaveText(String(hour.failed));
  await expect(cells.nth(2)).toHaveText('0');
  if (hour.failed > 0) {
    await expect(cells.nth(3)).toHaveText(`recipient-rejected: ${hour.failed}`);
  }
  await screenshot(page, 'deliveries-02-chart-table');

  await row.getByRole('button', { name: 'Show messages' }).click();
  const chip = page.getByRole('button', {
    name: /^Remove the time filter: Created from .+ to .+$/,
  });
  await expect(chip).toBeVisible();
  await expect(page.getByLabel('From', { exact: true })).toHaveValue(
    dateTimeLocal(hour.start),
  );
  await expect(page.getByLabel('To', { exact: true })).toHaveValue(
    dateTimeLocal(hour.start + HOUR_MS),
  );
  await expectLogSubjects(hour.records.map(r => r.subject));
  await screenshot(page, 'deliveries-03-hour-filtered');

  await chip.click();
  await expect(chip).toHaveCount(0);
  await expect(page.getByLabel('From', { exact: true })).toHaveValue('');
  await expect(page.getByLabel('To', { exact: true })).toHaveValue('');
  await expectLogSubjects(ALL_SUBJECTS);
});

test('the Recipient filter finds the whole address, in any case, and nothing for a near miss', async () => {
  await openDeliveriesTab();
  await expectLogSubjects(ALL_SUBJECTS);
  const recipient = page.getByRole('textbox', {
    name: 'Recipient',
    exact: true,
  });

  await setFilter('Recipient', 'recipient', 'bob@example.com');
  // In To or only in Bcc; not Bobby's.
  await expectLogSubjects(BOB_SUBJECTS);
  await expect(page.getByText('1–2 of 2')).toBeVisible();
  await screenshot(page, 'deliveries-04-recipient');

  await setFilter('Recipient', 'recipient', 'BOB@example.com');
  await expectLogSubjects(BOB_SUBJECTS);

  await setFilter('Recipient', 'recipient', 'bo@example.com');
  await expect(
    recentMessages().getByText('No messages match these filters.'),
  ).toBeVisible();
  await expectLogSubjects([]);

  await setFilter('Recipient', 'recipient', 'bob@example.com');
  await expectLogSubjects(BOB_SUBJECTS);

  // Not an address: said beside the field, and the log stays as it was.
  await recipient.fill('bob@');
  await recipient.press('Enter');
  await expect(recipient).toHaveAttribute('aria-invalid', 'true');
  await expect(recipient).toHaveAccessibleDescription(
    /Recipient must be a single plain address/,
  );
  await expectLogSubjects(BOB_SUBJECTS);
  await screenshot(page, 'deliveries-05-recipient-invalid');

  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(recipient).toHaveValue('');
  await expect(recipient).not.toHaveAttribute('aria-invalid', 'true');
  await expectLogSubjects(ALL_SUBJECTS);
});

test('the Category and Subject words filters narrow the log', async () => {
  await openDeliveriesTab();
  await expectLogSubjects(ALL_SUBJECTS);

  await setFilter('Category', 'category', 'weekly-report');
  await expectLogSubjects([SUBJECTS.weeklyReport]);
  await setFilter('Category', 'category', '');
  await expectLogSubjects(ALL_SUBJECTS);

  await setFilter('Subject words', 'q', 'invoice');
  await expectLogSubjects([SUBJECTS.toBob, SUBJECTS.toBobby]);
  // Every word must be in the subject.
  await setFilter('Subject words', 'q', 'invoice bobby');
  await expectLogSubjects([SUBJECTS.toBobby]);
  await screenshot(page, 'deliveries-06-subject-words');

  // Filters combine: the weekly report's subject has no invoice in it.
  await setFilter('Category', 'category', 'weekly-report');
  await expect(
    recentMessages().getByText('No messages match these filters.'),
  ).toBeVisible();
  await expectLogSubjects([]);
});

test('Export CSV downloads the filtered log, without any email address', async () => {
  await openDeliveriesTab();
  await setFilter('Recipient', 'recipient', 'bob@example.com');
  await expectLogSubjects(BOB_SUBJECTS);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(
    /^email-deliveries-\d{4}-\d{2}-\d{2}\.csv$/,
  );
  const csv = fs.readFileSync(await download.path(), 'utf8');

  // Nothing here is quoted (no field holds a comma, quote or line break): split as it is.
  expect(csv).not.toContain('"');
  const [header, ...rows] = csv
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter(Boolean)
    .map(line => line.split(','));
  expect(header).toEqual([
    'created_at',
    'status',
    'caller',
    'category',
    'subject',
    'recipients',
    'size_bytes',
    'attempts',
    'provider',
    'sent_at',
    'updated_at',
    'error_code',
    'error_message',
    'message_id',
    'id',
  ]);
  const column = (name: string) => rows.map(row => row[header.indexOf(name)]);
  expect(column('subject').sort()).toEqual([...BOB_SUBJECTS].sort());
  expect(column('status')).toEqual(['sent', 'sent']);
  expect(column('id').sort()).toEqual(
    delivered
      .filter(r => BOB_SUBJECTS.includes(r.subject))
      .map(r => r.id)
      .sort(),
  );

  // No address, recipient's or sender's: the only `@` is in each Message-ID, `<uuid@domain>`.
  for (const address of [
    'bob@example.com',
    'platform-team@example.com',
    'deliveries@example.com',
  ]) {
    expect(csv.toLowerCase()).not.toContain(address);
  }
  const messageIds = column('message_id');
  for (const messageId of messageIds) {
    expect(messageId).toMatch(/^<[0-9a-f-]{36}@example\.com>$/);
  }
  const withoutMessageIds = rows
    .map(row => row.filter((_, i) => i !== header.indexOf('message_id')))
    .flat();
  expect(withoutMessageIds.filter(field => field.includes('@'))).toEqual([]);
});

test('Last 30 days shows today with its total', async () => {
  await openDeliveriesTab();
  await page.getByRole('checkbox', { name: 'Show as table' }).check();
  await page.getByRole('button', { name: 'Last 30 days' }).click();
  await expect(
    page.getByRole('button', { name: 'Last 30 days' }),
  ).toHaveAttribute('aria-pressed', 'true');

  const day = busiestBucket(startOfLocalDay);
  const table = page.getByRole('table', {
    name: 'Messages per day, last 30 days',
  });
  // 30 days and the header.
  await expect(table.getByRole('row')).toHaveCount(31);
  const cells = statsRow('Messages per day, last 30 days', day.start).getByRole(
    'cell',
  );
  await expect(cells.nth(0)).toHaveText(String(day.sent));
  await expect(cells.nth(1)).toHaveText(String(day.failed));
  await expect(cells.nth(2)).toHaveText('0');
  await screenshot(page, 'deliveries-07-last-30-days');
});
