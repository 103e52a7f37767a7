import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { emailProviderPermissions } from '@email-provider/backstage-plugin-email-provider-common';
import { EmailProviderAdmins } from './EmailProviderAdmins';

const userInfo = mockServices.userInfo.mock({
  getUserInfo: async credentials => {
    const ref = (credentials.principal as { userEntityRef: string })
      .userEntityRef;
    return {
      userEntityRef: ref,
      ownershipEntityRefs:
        ref === 'user:default/grace'
          ? [ref, 'group:default/mail-admins']
          : [ref],
    };
  },
});

function adminsOf(admins?: string[]) {
  return EmailProviderAdmins.fromConfig(
    mockServices.rootConfig({
      data: admins ? { emailProvider: { admins } } : {},
    }),
    { userInfo },
  );
}

const as = (ref: string) => ({ credentials: mockCredentials.user(ref) });

describe('EmailProviderAdmins', () => {
  const admins = adminsOf(['user:default/ada', 'group:default/mail-admins']);

  it.each(emailProviderPermissions.map(p => [p.name, p]))(
    'allows %s to listed users and members of listed groups only',
    async (_name, permission) => {
      for (const ref of ['user:default/ada', 'user:default/grace']) {
        expect(await admins.decide({ permission }, as(ref))).toEqual({
          result: AuthorizeResult.ALLOW,
        });
      }
      expect(
        await admins.decide({ permission }, as('user:default/mallory')),
      ).toEqual({ result: AuthorizeResult.DENY });
    },
  );

  it('denies service principals and requests without a user', async () => {
    const [permission] = emailProviderPermissions;
    expect(
      await admins.decide(
        { permission },
        { credentials: mockCredentials.service() },
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(await admins.decide({ permission })).toEqual({
      result: AuthorizeResult.DENY,
    });
  });

  it('has no say on other permissions', async () => {
    const permission = createPermission({
      name: 'catalog.entity.create',
      attributes: { action: 'create' },
    });
    expect(
      await admins.decide({ permission }, as('user:default/ada')),
    ).toBeUndefined();
  });

  it('allows nobody when nobody is listed', async () => {
    const [permission] = emailProviderPermissions;
    for (const empty of [adminsOf([]), adminsOf()]) {
      expect(
        await empty.decide({ permission }, as('user:default/ada')),
      ).toEqual({ result: AuthorizeResult.DENY });
    }
  });

  it('refuses a list with something that is not an entity ref', () => {
    expect(() => adminsOf(['user:default/ada', 'not a ref:'])).toThrow(
      "emailProvider.admins must list entity refs such as user:default/ada or group:default/admins, got 'not a ref:'",
    );
  });
});
