import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
  createServiceFactory,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import {
  NotificationService,
  notificationService,
} from '@backstage/plugin-notifications-node';
// The real email-provider backend in a test backend, as that package's own tests start it.
// eslint-disable-next-line @backstage/no-forbidden-package-imports, @backstage/no-mixed-plugin-imports
import {
  asUser,
  eventually,
  startEmailProviderTestBackend,
} from '@email-provider/backstage-plugin-email-provider-backend/src/__testUtils__/emailProviderTestBackend';
// eslint-disable-next-line @backstage/no-forbidden-package-imports, @backstage/no-mixed-plugin-imports
import { localSmtpSettings } from '@email-provider/backstage-plugin-email-provider-backend/src/__testUtils__/testSettings';
import {
  ReceivedMail,
  startMailTestServersBeforeAll,
} from '@internal/mail-test-servers';
import { Knex } from 'knex';
import request from 'supertest';
import { notificationsModuleEmailProvider } from '../module';
import { DatabaseDigestStore } from './DatabaseDigestStore';
import { DIGEST_TASK_ID } from './NotificationDigest';

// The digest in a real portal: the notifications backend, this module, the email-provider
// backend with its outbox, Backstage's real scheduler and a real SMTP server, each plugin on its
// own PostgreSQL database as in production. Replicas are several backends on the same databases.
jest.setTimeout(120_000);

const ADMIN = 'user:default/admin';
const ADA = 'user:default/ada';
const FROM = 'portal@example.com';
const SMTP_PASSWORD = 'digest-test-Pa55word';
const BASE_URL = 'http://portal.example.com:3000';
const SUBJECT_PREFIX = 'ACME Portal: ';

const user = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name },
  spec: { profile: { email: `${name}@example.com` }, memberOf: [] },
});

const entities: Entity[] = [
  user('ada'),
  user('bob'),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'team' },
    spec: { type: 'team', children: [] },
    relations: [
      { type: 'hasMember', targetRef: 'user:default/ada' },
      { type: 'hasMember', targetRef: 'user:default/bob' },
    ],
  },
];

const servers = startMailTestServersBeforeAll({
  smtp: { credentials: { username: FROM, password: SMTP_PASSWORD } },
  trustCa: true,
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

type PortalDatabases = Record<'notifications' | 'email-provider', Knex>;

async function portalDatabases(): Promise<PortalDatabases> {
  return {
    notifications: await databases.init('POSTGRES_15'),
    'email-provider': await databases.init('POSTGRES_15'),
  };
}

/** One portal replica on `dbs`, with the digest on the given schedule. */
async function startReplica(dbs: PortalDatabases, schedule: object) {
  let sender: NotificationService | undefined;
  let scheduler: SchedulerService | undefined;
  const releaseBot = createBackendPlugin({
    pluginId: 'release-bot',
    register(env) {
      env.registerInit({
        deps: { notifications: notificationService },
        async init({ notifications }) {
          sender = notifications;
        },
      });
    },
  });
  // The notifications plugin's scheduler, the one the digest task is scheduled with.
  const schedulerProbe = createBackendModule({
    pluginId: 'notifications',
    moduleId: 'digest-test-scheduler',
    register(reg) {
      reg.registerInit({
        deps: { pluginScheduler: coreServices.scheduler },
        async init({ pluginScheduler }) {
          scheduler = pluginScheduler;
        },
      });
    },
  });
  const database = createServiceFactory({
    service: coreServices.database,
    deps: { plugin: coreServices.pluginMetadata },
    factory: ({ plugin }) => {
      const knex = dbs[plugin.getId() as keyof PortalDatabases];
      if (!knex) {
        throw new Error(`No test database for plugin ${plugin.getId()}`);
      }
      return { getClient: async () => knex };
    },
  });
  const backend = await startEmailProviderTestBackend({
    features: [
      notificationsPlugin,
      notificationsModuleEmailProvider,
      releaseBot,
      schedulerProbe,
      catalogServiceMock.factory({ entities }),
      database,
      schedulerServiceFactory,
    ],
    config: {
      app: { baseUrl: BASE_URL, title: 'ACME Portal' },
      notifications: {
        processors: { emailProvider: { digest: { enabled: true, schedule } } },
      },
    },
    emailProvider: {
      admins: [ADMIN],
      encryption: { key: 'digest-test-key-0123456789abcdef0123' },
      delivery: { pollIntervalMs: 50 },
    },
  });
  return {
    backend,
    notify: (notification: Parameters<NotificationService['send']>[0]) =>
      sender!.send(notification),
    /** Runs the digest task now, on whichever replica the scheduler picks. */
    sendDigests: () =>
      eventually('the digest task to be triggered', async () => {
        try {
          await scheduler!.triggerTask(DIGEST_TASK_ID);
          return true;
        } catch {
          return false; // not registered yet, or running
        }
      }),
    configureSmtp: async () => {
      const saved = await backend.api(
        'put',
        '/settings',
        asUser(ADMIN),
        localSmtpSettings({
          port: servers.smtp.port,
          from: FROM,
          password: SMTP_PASSWORD,
        }),
      );
      expect(saved.status).toBe(200);
    },
  };
}

const mailsTo = (address: string, subjectPart: string) =>
  servers.smtp.received.filter(
    mail =>
      mail.envelope.to.includes(address) &&
      mail.parsed.subject?.includes(subjectPart),
  );

const digestsTo = (address: string) => mailsTo(address, SUBJECT_PREFIX);

/**
 * The digest entries of the test's users. (The email provider notifies the admin, who is not in
 * the catalog, of the settings change; that digest is dropped whenever it runs.)
 */
const waitingEntries = (dbs: PortalDatabases) =>
  dbs
    .notifications('email_provider_digest_entries')
    .whereNot('user_ref', ADMIN)
    .select();

const settle = () => new Promise(resolve => setTimeout(resolve, 1500));

const textOf = (mail: ReceivedMail) => mail.parsed.text as string;

beforeEach(() => {
  servers.smtp.received.length = 0;
});

describe('notification digests', () => {
  it('emails low and normal notifications as one digest when the task runs, and high ones at once', async () => {
    const dbs = await portalDatabases();
    const portal = await startReplica(dbs, {
      frequency: { trigger: 'manual' },
    });
    await portal.configureSmtp();

    for (const [title, severity] of [
      ['Nightly build 41 passed', 'low'],
      ['Nightly build 42 <passed>', 'low'],
      ['Docs updated', 'normal'],
      ['Production deploy failed', 'high'],
    ] as const) {
      await portal.notify({
        recipients: { type: 'entity', entityRef: ADA },
        payload: { title, severity, link: '/catalog/default/component/web' },
      });
    }

    await eventually(
      'the high one',
      () => mailsTo('ada@example.com', 'Production deploy failed').length,
    );
    await eventually(
      'the other three to wait',
      async () => (await waitingEntries(dbs)).length === 3,
    );
    await settle();
    expect(digestsTo('ada@example.com')).toEqual([]);

    await portal.sendDigests();
    const [digest] = await eventually('the digest', () => {
      const mails = digestsTo('ada@example.com');
      return mails.length ? mails : undefined;
    });
    expect(digest.parsed.subject).toBe('ACME Portal: 3 notifications');
    expect(textOf(digest)).toContain('- Docs updated');
    expect(textOf(digest)).toContain('- [Low] Nightly build 42 <passed>');
    expect(textOf(digest)).toContain('- [Low] Nightly build 41 passed');
    expect(textOf(digest)).not.toContain('Production deploy failed');
    const html = digest.parsed.html as string;
    expect(html).toContain('Nightly build 42 &lt;passed&gt;');
    expect(html).toContain(`href="${BASE_URL}/catalog/default/component/web"`);
    expect(html).toContain(`href="${BASE_URL}/settings/notifications"`);

    await eventually(
      'the digest to be forgotten',
      async () => (await waitingEntries(dbs)).length === 0,
    );
    await settle();
    expect(digestsTo('ada@example.com')).toHaveLength(1);
    // The three in the digest were not also sent alone.
    expect(
      servers.smtp.received
        .filter(mail => mail.envelope.to.includes('ada@example.com'))
        .map(mail => mail.parsed.subject)
        .sort(),
    ).toEqual(['ACME Portal: 3 notifications', 'Production deploy failed']);

    // The delivery log has it as the notifications plugin's, sent.
    const log = await request(portal.backend.server)
      .get('/api/email-provider/messages')
      .set('Authorization', asUser(ADMIN));
    expect(
      log.body.items
        .filter((m: any) => m.subject.startsWith(SUBJECT_PREFIX))
        .map((m: any) => [m.caller, m.status]),
    ).toEqual([['plugin:notifications', 'sent']]);

    await portal.backend.stop();
  });

  it('sends one digest per user and interval from two replicas on the same database', async () => {
    const dbs = await portalDatabases();
    const schedule = { frequency: { seconds: 2 }, timeout: { seconds: 30 } };
    const first = await startReplica(dbs, schedule);
    const second = await startReplica(dbs, schedule);
    await first.configureSmtp();

    // One notification each for ada and bob, sent through the second replica.
    await second.notify({
      recipients: { type: 'entity', entityRef: 'group:default/team' },
      payload: { title: 'Weekly cost report ready', severity: 'low' },
    });

    await eventually('both digests', () =>
      digestsTo('ada@example.com').length && digestsTo('bob@example.com').length
        ? true
        : undefined,
    );
    // Several intervals more: both replicas keep running the task, neither sends it again.
    await new Promise(resolve => setTimeout(resolve, 7000));
    for (const address of ['ada@example.com', 'bob@example.com']) {
      const digests = digestsTo(address);
      expect(digests).toHaveLength(1);
      expect(digests[0].parsed.subject).toBe('ACME Portal: 1 notification');
      expect(textOf(digests[0])).toContain('[Low] Weekly cost report ready');
    }
    expect(await waitingEntries(dbs)).toEqual([]);

    await Promise.all([first.backend.stop(), second.backend.stop()]);
  });

  it('does not send a digest twice when a replica stopped after sending it and before forgetting it', async () => {
    const dbs = await portalDatabases();
    const manual = { frequency: { trigger: 'manual' } };
    const before = await startReplica(dbs, manual);
    await before.configureSmtp();
    for (const title of ['Cert renewed', 'Backup done']) {
      await before.notify({
        recipients: { type: 'entity', entityRef: ADA },
        payload: { title, severity: 'low' },
      });
    }
    await eventually(
      'both to wait',
      async () => (await waitingEntries(dbs)).length === 2,
    );

    // The stopped run put the entries in a digest, sent it, and stopped before deleting them:
    // that is the state after a normal run with the entries put back.
    const digest = await new DatabaseDigestStore(dbs.notifications).nextDigest(
      ADA,
    );
    const leftBehind = await waitingEntries(dbs);
    await before.sendDigests();
    await eventually('the digest', () => digestsTo('ada@example.com').length);
    await eventually(
      'the entries to be deleted',
      async () => (await waitingEntries(dbs)).length === 0,
    );
    await dbs.notifications('email_provider_digest_entries').insert(leftBehind);
    await before.backend.stop();

    const after = await startReplica(dbs, manual);
    await after.sendDigests();
    await eventually(
      'the digest to be forgotten',
      async () => (await waitingEntries(dbs)).length === 0,
    );
    await settle();

    const digests = digestsTo('ada@example.com');
    expect(digests).toHaveLength(1);
    expect(digests[0].parsed.subject).toBe('ACME Portal: 2 notifications');
    // The new replica sent it again (it forgets entries only once the email provider took the
    // digest), under the same key, and the email provider kept one.
    const log = await request(after.backend.server)
      .get('/api/email-provider/messages')
      .set('Authorization', asUser(ADMIN));
    expect(
      log.body.items.filter((m: any) => m.subject.startsWith(SUBJECT_PREFIX)),
    ).toHaveLength(1);
    expect(digest?.notifications.map(n => n.payload.title).sort()).toEqual([
      'Backup done',
      'Cert renewed',
    ]);

    await after.backend.stop();
  });
});
