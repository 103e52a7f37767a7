import { mockCredentials } from '@backstage/backend-test-utils';
import {
  ADMIN,
  ADMIN_GROUP,
  allowEveryone,
  GRACE as GROUP_ADMIN,
  NON_ADMIN,
  startEmailProviderTestBackend,
  TestPermissionPolicy,
  userInfoWithAdminGroup,
} from '../__testUtils__/emailProviderTestBackend';

jest.setTimeout(30_000);

/** Every admin route, with what an admin gets on an empty portal (no provider, no messages). */
const adminRoutes = [
  ['get', '/settings', undefined, 200],
  ['put', '/settings', { provider: 'none' }, 200],
  ['delete', '/settings', undefined, 200],
  ['post', '/test-email', { to: 'ada@example.com' }, 409],
  ['post', '/verify', {}, 409],
  ['get', '/messages', undefined, 200],
  ['get', '/messages/no-such-id', undefined, 404],
  ['get', '/summary', undefined, 200],
  ['post', '/messages/no-such-id/retry', undefined, 404],
] as const;

async function startPortal(options: {
  admins?: string[];
  permissionFramework: boolean;
  /** create-app's policy, everything allowed, unless given. */
  policy?: TestPermissionPolicy;
  allowedServices?: unknown;
}) {
  const { api, logEntries } = await startEmailProviderTestBackend({
    permissions: options.policy ?? allowEveryone,
    config: { permission: { enabled: options.permissionFramework } },
    features: [userInfoWithAdminGroup.factory],
    emailProvider: {
      ...(options.admins ? { admins: options.admins } : {}),
      ...(options.allowedServices
        ? { automation: { allowedServices: options.allowedServices } }
        : {}),
    },
  });
  const accessOf = (caller: string) => api('get', '/access', caller);
  const warnings = () =>
    logEntries
      .filter(entry => entry.level === 'warn')
      .map(entry => entry.message);
  return { call: api, accessOf, warnings };
}

const user = (ref: string) => mockCredentials.user.header(ref);
const service = (subject: string) =>
  mockCredentials.service.header({
    onBehalfOf: mockCredentials.service(subject),
    targetPluginId: 'email-provider',
  });

/** The settings routes, which services listed in emailProvider.automation.allowedServices may call. */
const settingsRoutes = adminRoutes.filter(
  ([, path]) =>
    path === '/settings' || path === '/test-email' || path === '/verify',
);
const userOnlyRoutes = [
  ...adminRoutes.filter(route => !settingsRoutes.includes(route)),
  ['get', '/access', undefined, 200],
] as const;

const everything = {
  settings: { read: true, update: true },
  deliveries: { read: true },
};
const nothing = {
  settings: { read: false, update: false },
  deliveries: { read: false },
};

describe('who may use the admin routes', () => {
  describe('with emailProvider.admins set, under an allow-all policy', () => {
    const admins = [ADMIN, ADMIN_GROUP];

    it('refuses a user outside emailProvider.admins on every admin route', async () => {
      const { call } = await startPortal({ admins, permissionFramework: true });
      for (const [method, path, body] of adminRoutes) {
        const res = await call(method, path, user(NON_ADMIN), body);
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({
          route: `${method} ${path}`,
          status: 403,
        });
        expect(res.body.error.name).toBe('NotAllowedError');
      }
    });

    it('lets a listed user and a member of a listed group through every admin route', async () => {
      const { call } = await startPortal({ admins, permissionFramework: true });
      for (const caller of [ADMIN, GROUP_ADMIN]) {
        for (const [method, path, body, status] of adminRoutes) {
          const res = await call(method, path, user(caller), body);
          expect({
            caller,
            route: `${method} ${path}`,
            status: res.status,
          }).toEqual({ caller, route: `${method} ${path}`, status });
        }
      }
    });

    it('never admits a service principal', async () => {
      const { call } = await startPortal({ admins, permissionFramework: true });
      for (const [method, path, body] of adminRoutes.filter(
        ([m]) => m === 'get',
      )) {
        const res = await call(
          method,
          path,
          mockCredentials.service.header(),
          body,
        );
        expect(res.status).toBe(403);
      }
    });

    it('answers /access for each caller as the routes decide', async () => {
      const { accessOf } = await startPortal({
        admins,
        permissionFramework: true,
      });
      for (const caller of [ADMIN, GROUP_ADMIN]) {
        const res = await accessOf(user(caller));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ ...everything, adminsConfigured: true });
      }
      const outsider = await accessOf(user(NON_ADMIN));
      expect(outsider.status).toBe(200);
      expect(outsider.body).toEqual({ ...nothing, adminsConfigured: true });
      expect(outsider.headers['cache-control']).toBe('no-store');

      expect((await accessOf(mockCredentials.none.header())).status).toBe(401);
      expect((await accessOf(mockCredentials.service.header())).status).toBe(
        403,
      );
    });

    it('lets the portal policy narrow an admin, never widen the list', async () => {
      const { call, accessOf } = await startPortal({
        admins,
        permissionFramework: true,
        policy: (_caller, permission) =>
          permission !== 'email-provider.settings.update',
      });
      expect((await call('get', '/settings', user(ADMIN))).status).toBe(200);
      expect((await call('get', '/summary', user(ADMIN))).status).toBe(200);
      // Every route that changes something needs email-provider.settings.update.
      for (const [method, path, body] of adminRoutes.filter(
        ([m]) => m !== 'get',
      )) {
        const res = await call(method, path, user(ADMIN), body);
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({
          route: `${method} ${path}`,
          status: 403,
        });
      }
      expect((await accessOf(user(ADMIN))).body).toEqual({
        settings: { read: true, update: false },
        deliveries: { read: true },
        adminsConfigured: true,
      });
      expect((await accessOf(user(NON_ADMIN))).body).toEqual({
        ...nothing,
        adminsConfigured: true,
      });
    });

    it('starts without a warning', async () => {
      const { warnings } = await startPortal({
        admins,
        permissionFramework: true,
      });
      expect(
        warnings().filter(w => w.includes('emailProvider.admins')),
      ).toEqual([]);
    });
  });

  describe('with emailProvider.admins set and the permission framework off', () => {
    it('admits the listed users only', async () => {
      const { call, accessOf } = await startPortal({
        admins: [ADMIN_GROUP],
        permissionFramework: false,
      });
      expect((await call('get', '/settings', user(GROUP_ADMIN))).status).toBe(
        200,
      );
      expect((await call('get', '/settings', user(NON_ADMIN))).status).toBe(
        403,
      );
      expect((await accessOf(user(GROUP_ADMIN))).body).toEqual({
        ...everything,
        adminsConfigured: true,
      });
      expect((await accessOf(user(NON_ADMIN))).body).toEqual({
        ...nothing,
        adminsConfigured: true,
      });
    });
  });

  describe('without emailProvider.admins', () => {
    it('leaves it to the portal policy when the permission framework is on, and warns at startup', async () => {
      const { call, accessOf, warnings } = await startPortal({
        admins: [],
        permissionFramework: true,
        policy: (_caller, permission) =>
          permission !== 'email-provider.deliveries.read',
      });
      expect((await call('get', '/settings', user(NON_ADMIN))).status).toBe(
        200,
      );
      expect((await call('get', '/messages', user(NON_ADMIN))).status).toBe(
        403,
      );
      expect((await accessOf(user(NON_ADMIN))).body).toEqual({
        settings: { read: true, update: true },
        deliveries: { read: false },
        adminsConfigured: false,
      });
      expect(warnings()).toContainEqual(
        expect.stringMatching(
          /emailProvider\.admins is not set: the portal's permission policy alone decides who may read and change the email credentials, and create-app's allow-all policy lets every signed-in user do so; set emailProvider\.admins/,
        ),
      );
    });

    it('admits nobody when the permission framework is off, and warns at startup', async () => {
      const { call, accessOf, warnings } = await startPortal({
        permissionFramework: false,
      });
      for (const [method, path, body] of adminRoutes) {
        const res = await call(method, path, user(ADMIN), body);
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({
          route: `${method} ${path}`,
          status: 403,
        });
      }
      expect((await accessOf(user(ADMIN))).body).toEqual({
        ...nothing,
        adminsConfigured: false,
      });
      expect(warnings()).toContainEqual(
        expect.stringMatching(
          /emailProvider\.admins is not set and the permission framework is off: nobody may read or change the email credentials/,
        ),
      );
    });
  });

  describe('with emailProvider.automation.allowedServices', () => {
    const allowedServices = ['external:provisioner', 'plugin:deployer'];

    it('lets a listed service through the settings routes, as an admin', async () => {
      const { call } = await startPortal({
        admins: [ADMIN],
        permissionFramework: true,
        allowedServices,
      });
      for (const subject of allowedServices) {
        for (const [method, path, body, status] of settingsRoutes) {
          const res = await call(method, path, service(subject), body);
          expect({
            subject,
            route: `${method} ${path}`,
            status: res.status,
          }).toEqual({ subject, route: `${method} ${path}`, status });
        }
      }
    });

    it('keeps a listed service out of the delivery log, retry and /access', async () => {
      const { call } = await startPortal({
        admins: [ADMIN],
        permissionFramework: true,
        allowedServices,
      });
      for (const [method, path, body] of userOnlyRoutes) {
        const res = await call(
          method,
          path,
          service('external:provisioner'),
          body,
        );
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({
          route: `${method} ${path}`,
          status: 403,
        });
      }
    });

    it('refuses a service that is not listed, naming the setting that lists services', async () => {
      const { call } = await startPortal({
        admins: [ADMIN],
        permissionFramework: true,
        allowedServices,
      });
      for (const [method, path, body] of settingsRoutes) {
        const res = await call(method, path, service('plugin:catalog'), body);
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({
          route: `${method} ${path}`,
          status: 403,
        });
        expect(res.body.error).toEqual({
          name: 'NotAllowedError',
          message:
            'The service plugin:catalog is not allowed to use the email provider settings: only the services listed in emailProvider.automation.allowedServices are',
        });
      }
      expect(
        (await call('get', '/settings', mockCredentials.none.header())).status,
      ).toBe(401);
    });

    it("refuses a listed service what the permissions service denies it (in a portal, its token's access restrictions)", async () => {
      const { call } = await startPortal({
        admins: [ADMIN],
        permissionFramework: true,
        allowedServices,
        policy: (_caller, permission) =>
          permission !== 'email-provider.settings.update',
      });
      const provisioner = service('external:provisioner');
      expect((await call('get', '/settings', provisioner)).status).toBe(200);
      const res = await call('put', '/settings', provisioner, {
        provider: 'none',
      });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        "The service external:provisioner is not allowed to do this: it needs the email-provider.settings.update permission, which its token's access restrictions do not grant",
      );
    });

    it('admits a listed service even when the permission framework is off and nobody is listed in emailProvider.admins', async () => {
      const { call } = await startPortal({
        permissionFramework: false,
        allowedServices,
      });
      expect(
        (await call('get', '/settings', service('plugin:deployer'))).status,
      ).toBe(200);
      expect((await call('get', '/settings', user(ADMIN))).status).toBe(403);
    });

    it.each([
      ['provisioner'],
      ['user:default/ada'],
      ['group:default/mail-admins'],
      ['external:'],
      ['plugin:two words'],
    ])('refuses to start with %j in the list', async entry => {
      await expect(
        startPortal({
          admins: [ADMIN],
          permissionFramework: true,
          allowedServices: ['external:provisioner', entry],
        }),
      ).rejects.toThrow(
        `emailProvider.automation.allowedServices must list service subjects such as external:provisioner or plugin:scaffolder, got '${entry}'`,
      );
    });
  });
});
