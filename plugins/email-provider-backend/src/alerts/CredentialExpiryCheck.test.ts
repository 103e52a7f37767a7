import { TestDatabases } from '@backstage/backend-test-utils';
import { Notification } from '@backstage/plugin-notifications-common';
import {
  ADMIN,
  AlertsPortal,
  GROUP_ADMIN,
  PortalDatabases,
  startReplicas,
  useMovableClock,
} from '../__testUtils__/alertsPortal';
import { exampleMicrosoft365 } from '../__testUtils__/testSettings';
import { createAppCertificate } from '@internal/mail-test-servers';

jest.setTimeout(90_000);

const TASK = 'email-provider-credential-expiry';
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const CLIENT_SECRET = 'Qx8Q~expiring-client-secret-that-must-never-leak';

const microsoft365 = exampleMicrosoft365;

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'credential expiry alerts (%s)',
  databaseId => {
    // Replicas share the plugins' databases; an in-memory SQLite database lives in one process.
    const replicaCount = databaseId === 'SQLITE_3' ? 1 : 2;
    let dbs: PortalDatabases;
    let replicas: AlertsPortal[];
    /** Replicas stopped for a restart, whose logs still count. */
    let stopped: AlertsPortal[];

    beforeEach(async () => {
      useMovableClock();
      dbs = {
        'email-provider': await databases.init(databaseId),
        notifications: await databases.init(databaseId),
      };
      replicas = await startReplicas(replicaCount, { databases: dbs });
      stopped = [];
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    async function restartReplicas(
      options: { withNotifications?: boolean } = {},
    ) {
      await Promise.all(replicas.map(replica => replica.stop()));
      stopped.push(...replicas);
      replicas = await startReplicas(replicaCount, {
        databases: dbs,
        ...options,
      });
    }

    /** Every replica runs the check at once, as if each scheduler had fired. */
    /** Saves Microsoft 365 with a client secret the admin says expires at `expiresAt`. */
    async function saveSecretExpiringAt(expiresAt: string) {
      const saved = await replicas[0].saveSettings({
        provider: 'microsoft365',
        microsoft365: {
          ...microsoft365,
          clientSecret: CLIENT_SECRET,
          clientSecretExpiresAt: expiresAt,
        },
      });
      expect(saved.status).toBe(200);
    }

    const checkEverywhere = () =>
      Promise.all(replicas.map(replica => replica.runTask(TASK)));

    const expiryAlertsOf = async (user: string) =>
      (await replicas[0].notificationsOf(user)).filter(notification =>
        notification.payload.scope?.startsWith(
          'email-provider:credential-expiry:',
        ),
      );

    /** The alerts the replicas sent, as their logs record each one. */
    const sentTitles = () =>
      [...stopped, ...replicas]
        .flatMap(replica => replica.logs)
        .filter(line =>
          line.startsWith(
            'info: Notified the email provider admins: The Microsoft 365',
          ),
        )
        .map(line => line.replace(/^.*admins: /, '').replace(/ \{.*$/, ''));

    async function onlyAlert(): Promise<Notification> {
      const alerts = await expiryAlertsOf(ADMIN);
      expect(alerts).toHaveLength(1);
      return alerts[0];
    }

    it('is a daily task that runs on one instance at a time', () => {
      expect(replicas[0].tasks.get(TASK)).toEqual(
        expect.objectContaining({ scope: 'global', frequency: { hours: 24 } }),
      );
    });

    it('warns 30, 7 and 1 days before the secret expires and once it has, each once, however many replicas check, and not again after a restart', async () => {
      const t0 = Date.now();
      const expiresAt = new Date(t0 + 40 * DAY).toISOString();
      await saveSecretExpiringAt(expiresAt);

      // 40 days left: nothing to say.
      await checkEverywhere();
      expect(await expiryAlertsOf(ADMIN)).toEqual([]);

      jest.setSystemTime(t0 + 10 * DAY + HOUR);
      await checkEverywhere();
      await checkEverywhere();
      const thirty = await onlyAlert();
      expect(thirty.payload).toEqual(
        expect.objectContaining({
          title: 'The Microsoft 365 client secret expires in 30 days',
          description: `The client secret of the app ${microsoft365.clientId} in tenant ${microsoft365.tenantId}, which the portal sends email with as ${microsoft365.from}, expires on ${expiresAt}; after that, no email goes out. Create a new client secret for the app in Microsoft Entra ID (App registrations, Certificates & secrets), then enter it with its expiry date on the Email provider page before then.`,
          link: '/email-provider',
          severity: 'normal',
          topic: 'email-provider',
        }),
      );
      expect(sentTitles()).toEqual([
        'The Microsoft 365 client secret expires in 30 days',
      ]);
      // A second send would mark it unread again (same scope): it stays read.
      await replicas[0].markRead(ADMIN, [thirty.id]);
      await checkEverywhere();
      expect((await onlyAlert()).read).toBeTruthy();

      jest.setSystemTime(t0 + 33 * DAY + HOUR);
      await checkEverywhere();
      const seven = await onlyAlert();
      // The same notification, updated and unread again.
      expect(seven.id).toBe(thirty.id);
      expect(seven.read).toBeFalsy();
      expect(seven.payload.title).toBe(
        'The Microsoft 365 client secret expires in 7 days',
      );
      await replicas[0].markRead(ADMIN, [seven.id]);

      // Every replica restarts (a deployment): what was sent is remembered.
      await restartReplicas();
      await checkEverywhere();
      expect((await onlyAlert()).read).toBeTruthy();

      jest.setSystemTime(t0 + 39 * DAY + HOUR);
      await checkEverywhere();
      expect((await onlyAlert()).payload.title).toBe(
        'The Microsoft 365 client secret expires in 1 day',
      );

      jest.setSystemTime(t0 + 40 * DAY + HOUR);
      await checkEverywhere();
      await checkEverywhere();
      const expired = await onlyAlert();
      expect(expired.payload).toEqual(
        expect.objectContaining({
          title: 'The Microsoft 365 client secret has expired',
          description: expect.stringContaining(
            `expired on ${expiresAt}. Microsoft 365 refuses it, so no email goes out.`,
          ),
          severity: 'high',
        }),
      );
      expect((await expiryAlertsOf(GROUP_ADMIN)).map(n => n.payload)).toEqual([
        expired.payload,
      ]);

      // Whichever replica sent each, in all: one of each.
      expect(sentTitles().sort()).toEqual([
        'The Microsoft 365 client secret expires in 1 day',
        'The Microsoft 365 client secret expires in 30 days',
        'The Microsoft 365 client secret expires in 7 days',
        'The Microsoft 365 client secret has expired',
      ]);
      expect(
        JSON.stringify(await replicas[0].notificationsOf(ADMIN)),
      ).not.toContain(CLIENT_SECRET);
    });

    it('sends only the most urgent warning for a credential first seen close to its expiry, and names a certificate by its thumbprint, never its key', async () => {
      const t0 = Date.now();
      const certificate = await createAppCertificate({
        notAfter: new Date(t0 + 5 * DAY),
      });
      const saved = await replicas[0].saveSettings({
        provider: 'microsoft365',
        microsoft365: {
          ...microsoft365,
          credential: 'certificate',
          clientCertificatePem: certificate.pem,
        },
      });
      expect(saved.status).toBe(200);
      const { thumbprint, notAfter } = saved.body.microsoft365.certificate;

      await checkEverywhere();
      const alert = await onlyAlert();
      expect(alert.payload).toEqual(
        expect.objectContaining({
          title: `The Microsoft 365 certificate (thumbprint ${thumbprint}) expires in 5 days`,
          description: `The certificate (thumbprint ${thumbprint}) of the app ${microsoft365.clientId} in tenant ${microsoft365.tenantId}, which the portal sends email with as ${microsoft365.from}, expires on ${notAfter}; after that, no email goes out. Upload a new certificate to the app in Microsoft Entra ID (App registrations, Certificates & secrets), then paste it with its private key on the Email provider page before then.`,
          severity: 'normal',
        }),
      );
      expect(sentTitles()).toHaveLength(1);

      jest.setSystemTime(t0 + DAY);
      await checkEverywhere();
      expect(sentTitles()).toHaveLength(1);

      const everything = JSON.stringify(
        await replicas[0].notificationsOf(ADMIN),
      );
      expect(everything).not.toContain(certificate.key.split('\n')[1]);
    });

    it('without the notifications backend, logs the warning instead', async () => {
      await restartReplicas({ withNotifications: false });
      const expiresAt = new Date(Date.now() + 10 * DAY).toISOString();
      await saveSecretExpiringAt(expiresAt);
      jest.setSystemTime(Date.now() + 11 * DAY);
      await checkEverywhere();
      const warnings = replicas
        .flatMap(replica => replica.logs)
        .filter(line =>
          line.startsWith(
            'warn: The Microsoft 365 client secret has expired. The client secret of the app',
          ),
        );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('the admins could not be notified');
    });
  },
);
