import {
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  PermissionsService,
  RootConfigService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import { isEmailProviderAdmin } from '@email-provider/backstage-plugin-email-provider-common';
import { parseEntityRef } from '@backstage/catalog-model';
import { Request } from 'express';

const ADMINS_CONFIG = 'emailProvider.admins';

/**
 * Decides who may use the admin routes: signed-in users only (service principals are never
 * admins), allowed by the permission framework. When a portal runs with the permission framework
 * switched off, Backstage allows every check; the routes then admit only the users and groups
 * listed in `emailProvider.admins`, so switching permissions off never opens them to everyone.
 */
export class AdminAccess {
  static fromConfig(
    config: RootConfigService,
    deps: {
      httpAuth: HttpAuthService;
      permissions: PermissionsService;
      userInfo: UserInfoService;
    },
  ): AdminAccess {
    const admins = config.getOptionalStringArray(ADMINS_CONFIG) ?? [];
    for (const ref of admins) {
      try {
        parseEntityRef(ref);
      } catch {
        throw new Error(
          `${ADMINS_CONFIG} must list entity refs such as user:default/ada or group:default/admins, got '${ref}'`,
        );
      }
    }
    const permissionFrameworkEnabled =
      config.getOptionalBoolean('permission.enabled') ?? false;
    return new AdminAccess(
      deps,
      permissionFrameworkEnabled ? undefined : admins,
    );
  }

  private constructor(
    private readonly deps: {
      httpAuth: HttpAuthService;
      permissions: PermissionsService;
      userInfo: UserInfoService;
    },
    private readonly fallbackAdmins: string[] | undefined,
  ) {}

  async authorize(
    req: Request,
    permission: BasicPermission,
  ): Promise<BackstageCredentials<BackstageUserPrincipal>> {
    const { httpAuth, permissions, userInfo } = this.deps;
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    let allowed: boolean;
    if (this.fallbackAdmins) {
      const { ownershipEntityRefs } = await userInfo.getUserInfo(credentials);
      allowed = isEmailProviderAdmin(this.fallbackAdmins, ownershipEntityRefs);
    } else {
      const [decision] = await permissions.authorize([{ permission }], {
        credentials,
      });
      allowed = decision.result === AuthorizeResult.ALLOW;
    }
    if (!allowed) {
      throw new NotAllowedError(
        `You are not allowed to do this: it needs the ${permission.name} permission, which email provider admins have`,
      );
    }
    return credentials;
  }
}
