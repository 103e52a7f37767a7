import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { emailServiceMock } from './testUtils';
import { weeklyReportPlugin } from './__testUtils__/weeklyReportPlugin';
import { sendMonthlyReport } from './__testUtils__/monthlyReport';

const component = (name: string, owner: string, lifecycle: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name },
  spec: { owner, lifecycle },
});

describe('weeklyReportPlugin (the README example)', () => {
  const features = (email: ReturnType<typeof emailServiceMock>) => [
    weeklyReportPlugin,
    emailServiceMock.factory(email),
    catalogServiceMock.factory({
      entities: [
        component('web', 'team-a', 'production'),
        component('api', 'group:default/team "b", the best', 'experimental'),
      ],
    }),
    mockServices.rootConfig.factory({
      data: {
        weeklyReport: { recipients: ['ada@example.com', 'grace@example.com'] },
      },
    }),
  ];

  it('sends the report once a week, with a CSV of the catalog, even when the task runs again', async () => {
    const email = emailServiceMock();
    const send = jest.spyOn(email, 'send');

    // The test backend's scheduler runs every task once on startup: start twice, as a retry.
    await (await startTestBackend({ features: features(email) })).stop();
    await (await startTestBackend({ features: features(email) })).stop();

    expect(send).toHaveBeenCalledTimes(2);
    expect(email.sent).toHaveLength(1);
    const [report] = email.sent;
    expect(report).toMatchObject({
      to: ['ada@example.com', 'grace@example.com'],
      text: 'There are 2 components; the list is attached.',
      category: 'weekly-report',
    });
    const week = report.idempotencyKey!.replace('weekly-report:', '');
    expect(new Date(`${week}T12:00:00`).getDay()).toBe(1); // a Monday
    expect(report.subject).toBe(`Components, week of ${week}`);

    const [csv] = report.attachments!;
    expect(csv.filename).toBe(`components-${week}.csv`);
    expect(csv.contentType).toBe('text/csv');
    expect(Buffer.from(csv.contentBase64, 'base64').toString('utf8')).toBe(
      'component,owner,lifecycle\r\n' +
        'web,team-a,production\r\n' +
        'api,"group:default/team ""b"", the best",experimental\r\n',
    );
  });
});

// The test as the README shows it.
it('sends the report once a week', async () => {
  const email = emailServiceMock();
  const features = [
    weeklyReportPlugin,
    emailServiceMock.factory(email),
    catalogServiceMock.factory({
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'web' },
          spec: { owner: 'team-a', lifecycle: 'production' },
        },
      ],
    }),
    mockServices.rootConfig.factory({
      data: { weeklyReport: { recipients: ['ada@example.com'] } },
    }),
  ];

  // The test backend's scheduler runs every task once on startup.
  await (await startTestBackend({ features })).stop();
  await (await startTestBackend({ features })).stop();

  expect(email.sent).toHaveLength(1);
  const [report] = email.sent;
  expect(report.to).toEqual(['ada@example.com']);
  const csv = Buffer.from(report.attachments![0].contentBase64, 'base64');
  expect(csv.toString()).toBe(
    'component,owner,lifecycle\r\nweb,team-a,production\r\n',
  );
});

it('is the code the README shows', () => {
  const readme = readFileSync(resolve(__dirname, '../README.md'), 'utf8');
  const shown = readme
    .split('// plugins/weekly-report-backend/src/plugin.ts\n')[1]
    .split('\nexport default weeklyReportPlugin;')[0];
  const tested = readFileSync(
    resolve(__dirname, '__testUtils__/weeklyReportPlugin.ts'),
    'utf8',
  )
    .split('\n')
    .slice(1) // the comment pointing at the README
    .join('\n')
    .replace(
      "import { attachment, emailServiceRef } from '../index';",
      "import {\n  attachment,\n  emailServiceRef,\n} from '@email-provider/backstage-plugin-email-provider-node';",
    );
  expect(shown.trim()).toBe(tested.trim());
});

describe('sendMonthlyReport (the README example of sendMany)', () => {
  const subscribers = [
    { userRef: 'user:default/ada', email: 'ada@example.com', csv: 'web,12\n' },
    { userRef: 'user:default/eve', email: 'Eve <eve@x.com>', csv: 'api,3\n' },
    {
      userRef: 'user:default/grace',
      email: 'grace@example.com',
      csv: 'db,7\n',
    },
  ];

  it('mails each subscriber their report once, and says whom it could not', async () => {
    const email = emailServiceMock();
    const logger = mockServices.logger.mock();

    await sendMonthlyReport(email, logger, '2026-12', subscribers);
    await sendMonthlyReport(email, logger, '2026-12', subscribers);

    expect(email.sent.map(m => [m.to, m.idempotencyKey])).toEqual([
      [['ada@example.com'], 'report:2026-12:user:default/ada'],
      [['grace@example.com'], 'report:2026-12:user:default/grace'],
    ]);
    expect(
      Buffer.from(
        email.sent[1].attachments![0].contentBase64,
        'base64',
      ).toString(),
    ).toBe('db,7\n');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^No cost report for user:default\/eve: InputError: Invalid email request: to\.0: /,
      ),
    );
    expect(logger.info).toHaveBeenLastCalledWith(
      'Cost report 2026-12: 2 of 3 stored',
    );
  });

  it('is the code the README shows', () => {
    const readme = readFileSync(resolve(__dirname, '../README.md'), 'utf8');
    const shown = readme
      .split('// plugins/cost-report-backend/src/monthlyReport.ts\n')[1]
      .split('\n```')[0];
    const tested = readFileSync(
      resolve(__dirname, '__testUtils__/monthlyReport.ts'),
      'utf8',
    )
      .split('\n')
      .slice(1) // the comment pointing at the README
      .join('\n')
      .replace(
        "import { attachment, EmailService } from '../index';",
        "import {\n  attachment,\n  EmailService,\n} from '@email-provider/backstage-plugin-email-provider-node';",
      );
    expect(shown.trim()).toBe(tested.trim());
  });
});
