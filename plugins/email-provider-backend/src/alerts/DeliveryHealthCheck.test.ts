import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import {
  ADMIN,
  AlertsPortal,
  eventually,
  GROUP_ADMIN,
  PortalDatabases,
  startReplicas,
  useMovableClock,
} from '../__testUtils__/alertsPortal';
import { localSmtpSettings } from '../__testUtils__/testSettings';
import {
  startMailTestServersBeforeAll,
  unusedPort,
} from '@internal/mail-test-servers';

jest.setTimeout(90_000);

const TASK = 'email-provider-delivery-health';
const MINUTE = 60_000;
const FROM = 'portal@example.com';
const SMTP_PASSWORD = 'delivery-alerts-Pa55word-that-must-never-leak';
const UNKNOWN = 'nobody@example.com';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const servers = startMailTestServersBeforeAll({
  smtp: {
    credentials: { username: FROM, password: SMTP_PASSWORD },
    rejectRecipients: [UNKNOWN],
  },
  trustCa: true,
});

describe.each(databases.eachSupportedId())(
  'delivery failing alerts (%s)',
  databaseId => {
    const replicaCount = databaseId === 'SQLITE_3' ? 1 : 2;
    let dbs: PortalDatabases;
    let replicas: AlertsPortal[];

    beforeEach(async () => {
      useMovableClock();
      dbs = {
        'email-provider': await databases.init(databaseId),
        notifications: await databases.init(databaseId),
      };
      replicas = await startReplicas(replicaCount, {
        databases: dbs,
        emailProvider: {
          delivery: { pollIntervalMs: 50 },
          alerts: {
            failedMessages: 2,
            windowMinutes: 30,
            queuedLongerThanMinutes: 30,
          },
        },
      });
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    const checkEverywhere = () =>
      Promise.all(replicas.map(replica => replica.runTask(TASK)));

    const deliveryAlertsOf = async (user: string) =>
      (await replicas[0].notificationsOf(user)).filter(notification =>
        notification.payload.scope?.startsWith(
          'email-provider:delivery-failing:',
        ),
      );

    /** What the replicas sent, whichever sent it, as their logs record it; sorted. */
    const sentTitles = () =>
      replicas
        .flatMap(replica => replica.logs)
        .filter(line =>
          line.startsWith(
            'info: Notified the email provider admins: Email delivery',
          ),
        )
        .map(line => line.replace(/^.*admins: /, '').replace(/ \{.*$/, ''))
        .sort();

    /** Sets the provider to the SMTP server on `port`, the test's own unless given. */
    const saveSmtp = async (port = servers.smtp.port) =>
      expect(
        (
          await replicas[0].saveSettings(
            localSmtpSettings({ port, from: FROM, password: SMTP_PASSWORD }),
          )
        ).status,
      ).toBe(200);

    async function enqueue(to: string) {
      const res = await request(replicas[0].server)
        .post('/api/email-provider/messages')
        .set('Authorization', mockCredentials.service.header())
        .send({ to: [to], subject: 'Weekly report', text: 'Numbers.' });
      expect(res.status).toBe(202);
      return res.body.id as string;
    }

    const statusOf = async (id: string) =>
      (
        await dbs['email-provider']('email_provider_messages')
          .where({ id })
          .first()
      ).status;

    const ended = (id: string, status: string) =>
      eventually(`message ${id} ${status}`, async () =>
        (await statusOf(id)) === status ? true : undefined,
      );

    it('tells the admins once when messages keep failing, and once when delivery has recovered', async () => {
      await saveSmtp();
      await ended(await enqueue(UNKNOWN), 'failed');
      // One failure is not an incident.
      await checkEverywhere();
      expect(await deliveryAlertsOf(ADMIN)).toEqual([]);

      await ended(await enqueue(UNKNOWN), 'failed');
      await checkEverywhere();
      await checkEverywhere();
      const failing = await deliveryAlertsOf(ADMIN);
      expect(failing).toHaveLength(1);
      expect(failing[0].payload).toEqual(
        expect.objectContaining({
          title: 'Email delivery is failing',
          link: '/email-provider',
          severity: 'high',
          topic: 'email-provider',
        }),
      );
      expect(failing[0].payload.description).toMatch(
        /^2 messages failed in the last 30 minutes\. The latest failure \([a-z-]+\): .*550.* The deliveries on the Email provider page show each message and its error\.$/,
      );
      expect(await deliveryAlertsOf(GROUP_ADMIN)).toHaveLength(1);
      expect(sentTitles()).toEqual(['Email delivery is failing']);

      // Mail going out again does not end the incident while the failures are recent.
      await replicas[0].markRead(ADMIN, [failing[0].id]);
      await ended(await enqueue('someone@example.com'), 'sent');
      await checkEverywhere();
      expect((await deliveryAlertsOf(ADMIN))[0].read).toBeTruthy();

      jest.setSystemTime(Date.now() + 31 * MINUTE);
      await checkEverywhere();
      await checkEverywhere();
      const recovered = await deliveryAlertsOf(ADMIN);
      // The incident's notification, updated and unread again.
      expect(recovered).toHaveLength(1);
      expect(recovered[0].id).toBe(failing[0].id);
      expect(recovered[0].read).toBeFalsy();
      expect(recovered[0].payload).toEqual(
        expect.objectContaining({
          title: 'Email delivery has recovered',
          severity: 'normal',
          description: expect.stringMatching(
            /^Email is going out again: fewer than 2 messages failed in the last 30 minutes, and no message has waited longer than 30 minutes\. Delivery was failing from \S+Z until \S+Z\.$/,
          ),
        }),
      );
      expect(sentTitles()).toEqual([
        'Email delivery has recovered',
        'Email delivery is failing',
      ]);
      expect(
        JSON.stringify(await replicas[0].notificationsOf(ADMIN)),
      ).not.toContain(SMTP_PASSWORD);
    });

    it('tells the admins when a message waits too long, as a new incident each time, and when it went out', async () => {
      // Nothing listens there: the message waits for the server, its attempts failing.
      await saveSmtp(await unusedPort());
      const waiting = await enqueue('someone@example.com');
      await eventually('a failed attempt', async () =>
        (await dbs['email-provider']('email_provider_messages')
          .where({ id: waiting })
          .whereNotNull('last_error_code')
          .first())
          ? true
          : undefined,
      );
      await checkEverywhere();
      jest.setSystemTime(Date.now() + 20 * MINUTE);
      await checkEverywhere();
      expect(await deliveryAlertsOf(ADMIN)).toEqual([]);

      jest.setSystemTime(Date.now() + 11 * MINUTE);
      await checkEverywhere();
      await checkEverywhere();
      const [failing, ...more] = await deliveryAlertsOf(ADMIN);
      expect(more).toEqual([]);
      expect(failing.payload).toEqual(
        expect.objectContaining({
          title: 'Email delivery is failing',
          description: expect.stringMatching(
            /^1 message is waiting to go out, the oldest for 31 minutes\. The latest failure \([a-z-]+\): .+\. The deliveries on the Email provider page show each message and its error\.$/,
          ),
          severity: 'high',
        }),
      );

      // The server is fixed; the message goes out at its next attempt, whenever the backoff
      // of the attempts before put that.
      await saveSmtp();
      const nextAttemptAt = await eventually(
        'no attempt under way',
        async () => {
          const row = await dbs['email-provider']('email_provider_messages')
            .where({ id: waiting, status: 'queued' })
            .first();
          return (
            row && new Date(Number(row.next_attempt_at) || row.next_attempt_at)
          );
        },
      );
      jest.setSystemTime(Math.max(Date.now(), nextAttemptAt.getTime()) + 1000);
      await ended(waiting, 'sent');
      await checkEverywhere();
      const [recovered] = await deliveryAlertsOf(ADMIN);
      expect(recovered.id).toBe(failing.id);
      expect(recovered.payload.title).toBe('Email delivery has recovered');

      // Later the provider is switched off with a message still to go: another incident.
      await saveSmtp(await unusedPort());
      await enqueue('someone@example.com');
      expect((await replicas[0].deleteSettings()).status).toBe(200);
      jest.setSystemTime(Date.now() + 31 * MINUTE);
      await checkEverywhere();
      const [second, first] = await deliveryAlertsOf(ADMIN);
      expect(first.id).toBe(failing.id);
      expect(second.payload).toEqual(
        expect.objectContaining({
          title: 'Email delivery is failing',
          description: expect.stringContaining(
            'the oldest for 31 minutes. No email provider is active: choose one on the Email provider page.',
          ),
        }),
      );
      expect(sentTitles()).toEqual([
        'Email delivery has recovered',
        'Email delivery is failing',
        'Email delivery is failing',
      ]);
    });
  },
);
