import { createBackendModule } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Notification } from '@backstage/plugin-notifications-common';
import {
  ADMIN,
  AlertsPortal,
  eventually,
  GROUP_ADMIN,
  NON_ADMIN,
  PortalDatabases,
  startAlertsPortal,
} from '../__testUtils__/alertsPortal';
import {
  exampleMicrosoft365,
  exampleSmtp,
} from '../__testUtils__/testSettings';

jest.setTimeout(60_000);

const SMTP_PASSWORD = 'smtp-Pa55word-for-the-bell-that-must-never-leak';
const CLIENT_SECRET = 'Qx8Q~alerts-client-secret-that-must-never-leak';
const MANAGED_SECRET = 'Qx8Q~managed-client-secret-that-must-never-leak';

const smtp = exampleSmtp;
const microsoft365 = exampleMicrosoft365;

const smtpWithPassword = {
  provider: 'smtp',
  smtp: { ...smtp, password: SMTP_PASSWORD },
};

/** Saves settings through the admin API and expects them taken. */
async function saveAccepted(portal: AlertsPortal, body: object) {
  expect((await portal.saveSettings(body)).status).toBe(200);
}

const slowNotificationsStart = createBackendModule({
  pluginId: 'notifications',
  moduleId: 'slow-start',
  register(env) {
    env.registerInit({
      deps: {},
      init: () => new Promise(resolve => setTimeout(resolve, 1000)),
    });
  },
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'admins are told of provider changes (%s)',
  databaseId => {
    let dbs: PortalDatabases;

    beforeEach(async () => {
      dbs = {
        'email-provider': await databases.init(databaseId),
        notifications: await databases.init(databaseId),
      };
    });

    const titlesOf = (notifications: Notification[]) =>
      notifications.map(n => n.payload.title);

    async function waitForCount(
      portal: AlertsPortal,
      user: string,
      count: number,
    ): Promise<Notification[]> {
      return eventually(`${count} notifications for ${user}`, async () => {
        const notifications = await portal.notificationsOf(user);
        return notifications.length >= count && notifications;
      });
    }

    it('notifies every admin, directly listed or through a group, of each change: who, from what to what, which fields, never a secret', async () => {
      const portal = await startAlertsPortal({ databases: dbs });

      await saveAccepted(portal, smtpWithPassword);
      const [first] = await waitForCount(portal, ADMIN, 1);
      expect(first.origin).toBe('plugin:email-provider');
      expect(first.payload).toEqual(
        expect.objectContaining({
          title: 'Email provider changed from None to SMTP',
          description:
            'user:default/ada changed the email provider from None to SMTP (version 1). Now: SMTP through smtp.example.com:587 (starttls), sending as reports@example.com, signing in as reports@example.com. Changed: smtp.from, smtp.host, smtp.password, smtp.port, smtp.security, smtp.usernameSameAsFrom.',
          link: '/email-provider',
          severity: 'normal',
          topic: 'email-provider',
        }),
      );

      // Same provider, another server: the saved password cannot go along, a new one is entered.
      await saveAccepted(portal, {
        provider: 'smtp',
        smtp: {
          ...smtp,
          host: 'relay.example.com',
          password: SMTP_PASSWORD,
        },
      });
      // The answer does not wait for the notification: each is awaited, to know their order.
      await waitForCount(portal, ADMIN, 2);
      await saveAccepted(portal, {
        provider: 'microsoft365',
        microsoft365: { ...microsoft365, clientSecret: CLIENT_SECRET },
      });
      await waitForCount(portal, ADMIN, 3);
      expect((await portal.deleteSettings()).status).toBe(200);

      const all = await waitForCount(portal, ADMIN, 4);
      // Newest first.
      expect(titlesOf(all)).toEqual([
        'Email provider switched off (was Microsoft 365)',
        'Email provider changed from SMTP to Microsoft 365',
        'SMTP settings of the email provider changed',
        'Email provider changed from None to SMTP',
      ]);
      expect(all[2].payload.description).toBe(
        'user:default/ada changed the SMTP settings of the email provider (version 2). Now: SMTP through relay.example.com:587 (starttls), sending as reports@example.com, signing in as reports@example.com. Changed: smtp.host, smtp.password.',
      );
      expect(all[1].payload.description).toBe(
        'user:default/ada changed the email provider from SMTP to Microsoft 365 (version 3). Now: Microsoft 365, sending as reports@contoso.onmicrosoft.com with app 11111111-2222-3333-4444-555555555555 in tenant 8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f, signing in with a client secret. Changed: microsoft365.clientId, microsoft365.clientSecret, microsoft365.from, microsoft365.tenantId, smtp.from, smtp.host, smtp.password, smtp.port, smtp.security, smtp.usernameSameAsFrom.',
      );
      expect(all[0].payload.description).toMatch(
        /^user:default\/ada changed the email provider from Microsoft 365 to None \(version 4\)\. Now: none: the portal sends no email\./,
      );

      const viaGroup = await waitForCount(portal, GROUP_ADMIN, 4);
      expect(titlesOf(viaGroup)).toEqual(titlesOf(all));
      expect(await portal.notificationsOf(NON_ADMIN)).toEqual([]);

      const everything = JSON.stringify([all, viaGroup]) + portal.logs.join();
      expect(everything).not.toContain(SMTP_PASSWORD);
      expect(everything).not.toContain(CLIENT_SECRET);
    });

    it('sends nothing for a save that changes nothing', async () => {
      const portal = await startAlertsPortal({ databases: dbs });
      await saveAccepted(portal, smtpWithPassword);
      await waitForCount(portal, ADMIN, 1);
      // The same settings, the saved password kept.
      await saveAccepted(portal, { provider: 'smtp', smtp });
      expect(
        (
          await portal.saveSettings({
            ...smtpWithPassword,
            smtp: { ...smtp, port: 2525 },
          })
        ).status,
      ).toBe(400);
      await saveAccepted(portal, {
        provider: 'smtp',
        smtp: { ...smtp, fromName: 'ACME Portal' },
      });
      const all = await waitForCount(portal, ADMIN, 2);
      await new Promise(resolve => setTimeout(resolve, 500));
      expect(titlesOf(await portal.notificationsOf(ADMIN))).toEqual([
        'SMTP settings of the email provider changed',
        'Email provider changed from None to SMTP',
      ]);
      expect(all[0].payload.description).toContain('Changed: smtp.fromName.');
    });

    it('tells the admins, once the portal has started, that configuration replaced and deleted their saved settings', async () => {
      const before = await startAlertsPortal({ databases: dbs });
      await saveAccepted(before, smtpWithPassword);
      await waitForCount(before, ADMIN, 1);
      await before.stop();

      const managed = {
        managedSettings: {
          provider: 'microsoft365',
          microsoft365: { ...microsoft365, clientSecret: MANAGED_SECRET },
        },
      };
      const portal = await startAlertsPortal({
        databases: dbs,
        emailProvider: managed,
        // The notifications backend comes up last, later than requests to it wait for.
        features: [slowNotificationsStart],
        config: {
          backend: {
            lifecycle: { startupRequestPauseTimeout: { milliseconds: 200 } },
          },
        },
      });
      const [latest] = await waitForCount(portal, ADMIN, 2);
      expect(latest.payload).toEqual(
        expect.objectContaining({
          title:
            'Email provider set by configuration: Microsoft 365 (was SMTP)',
          description:
            "At startup, the portal's configuration (emailProvider.managedSettings) took over the email provider, and the SMTP settings admins had saved were deleted. Now: Microsoft 365, sending as reports@contoso.onmicrosoft.com with app 11111111-2222-3333-4444-555555555555 in tenant 8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f, signing in with a client secret. The Email provider page shows it read-only until the configuration key is removed.",
          link: '/email-provider',
          severity: 'normal',
          topic: 'email-provider',
        }),
      );
      await portal.stop();

      // Nothing saved is left to delete: a restart tells nobody anything.
      const again = await startAlertsPortal({
        databases: dbs,
        emailProvider: managed,
      });
      await new Promise(resolve => setTimeout(resolve, 500));
      expect(await again.notificationsOf(ADMIN)).toHaveLength(2);
      expect(
        JSON.stringify(await again.notificationsOf(ADMIN)) +
          portal.logs.join() +
          again.logs.join(),
      ).not.toContain(MANAGED_SECRET);
    });

    it('with alerts.enabled false, tells nobody anything and schedules no checks', async () => {
      const portal = await startAlertsPortal({
        databases: dbs,
        emailProvider: { alerts: { enabled: false } },
      });
      await saveAccepted(portal, smtpWithPassword);
      await new Promise(resolve => setTimeout(resolve, 500));
      expect(await portal.notificationsOf(ADMIN)).toEqual([]);
      expect(
        portal.logs.filter(line => line.includes('Email provider changed')),
      ).toEqual([]);
      expect([...portal.tasks.keys()]).not.toContain(
        'email-provider-delivery-health',
      );
      expect([...portal.tasks.keys()]).not.toContain(
        'email-provider-credential-expiry',
      );
    });

    it('without the notifications backend, logs the same text as a warning, and the save still succeeds', async () => {
      const portal = await startAlertsPortal({
        databases: dbs,
        withNotifications: false,
      });
      await saveAccepted(portal, smtpWithPassword);
      const warning = await eventually('the warning', () =>
        portal.logs.find(line =>
          line.startsWith('warn: Email provider changed from None to SMTP. '),
        ),
      );
      expect(warning).toContain(
        'user:default/ada changed the email provider from None to SMTP (version 1). Now: SMTP through smtp.example.com:587',
      );
      expect(warning).toContain('the admins could not be notified');
      expect(portal.logs.join()).not.toContain(SMTP_PASSWORD);
      expect(portal.logs.filter(line => line.startsWith('error:'))).toEqual([]);
    });
  },
);
