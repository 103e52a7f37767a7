import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import emailProviderPlugin from '@email-provider/backstage-plugin-email-provider-backend';
import request from 'supertest';
import { permissionPolicyModule } from './permissionPolicy';

jest.setTimeout(60_000);

const ADMIN = 'user:default/ada';
const GROUP_MEMBER = 'user:default/grace';
const OTHER = 'user:default/mallory';

// The real permission backend and this app's policy module, in front of the real email-provider
// plugin: the policy is what decides, end to end.
async function startPortal(
  admins: string[] = [ADMIN, 'group:default/mail-admins'],
) {
  const { server } = await startTestBackend({
    features: [
      permissionPlugin,
      permissionPolicyModule,
      emailProviderPlugin,
      mockServices.userInfo.mock({
        getUserInfo: async credentials => {
          const ref = (credentials.principal as { userEntityRef: string })
            .userEntityRef;
          return {
            userEntityRef: ref,
            ownershipEntityRefs:
              ref === GROUP_MEMBER ? [ref, 'group:default/mail-admins'] : [ref],
          };
        },
      }).factory,
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: true },
          emailProvider: {
            admins,
            encryption: { key: 'test-key-0123456789abcdef0123456789abcdef' },
          },
        },
      }),
    ],
  });
  return server;
}

describe('the portal permission policy', () => {
  it('gives the email-provider permissions to listed users and groups only', async () => {
    const server = await startPortal();
    const get = (ref: string) =>
      request(server)
        .get('/api/email-provider/settings')
        .set('Authorization', mockCredentials.user.header(ref));

    expect((await get(ADMIN)).status).toBe(200);
    expect((await get(GROUP_MEMBER)).status).toBe(200);
    expect((await get(OTHER)).status).toBe(403);

    const put = await request(server)
      .put('/api/email-provider/settings')
      .set('Authorization', mockCredentials.user.header(OTHER))
      .send({ provider: 'none' });
    expect(put.status).toBe(403);
  });

  it('gives them to nobody when nobody is listed', async () => {
    const server = await startPortal([]);
    for (const ref of [ADMIN, GROUP_MEMBER, OTHER]) {
      const res = await request(server)
        .get('/api/email-provider/access')
        .set('Authorization', mockCredentials.user.header(ref));
      expect(res.body).toEqual({
        settings: { read: false, update: false },
        deliveries: { read: false },
        adminsConfigured: false,
      });
    }
  });

  it('leaves other permissions allowed, as the app had them', async () => {
    const server = await startPortal();
    const res = await request(server)
      .post('/api/permission/authorize')
      .set('Authorization', mockCredentials.user.header(OTHER))
      .send({
        items: [
          {
            id: '1',
            permission: {
              type: 'basic',
              name: 'catalog.entity.create',
              attributes: { action: 'create' },
            },
          },
          {
            id: '2',
            permission: {
              type: 'basic',
              name: 'email-provider.settings.update',
              attributes: { action: 'update' },
            },
          },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { id: '1', result: 'ALLOW' },
      { id: '2', result: 'DENY' },
    ]);
  });
});
