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
import {
  EmailProviderAccess,
  emailProviderDeliveriesReadPermission,
  emailProviderSettingsReadPermission,
  emailProviderSettingsUpdatePermission,
  isEmailProviderAdmin,
} from '@email-provider/backstage-plugin-email-provider-common';
import { Request } from 'express';
import { readEmailProviderAdmins } from '../permissions/EmailProviderAdmins';

const ADMINS_CONFIG = 'emailProvider.admins';

type AccessDeps = {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
};

/**
 * Decides who may use the admin routes. Only signed-in users (service principals are never
 * admins), and:
 *
 * - with `emailProvider.admins` set, only the users and groups listed there, and, when the
 *   permission framework is on, only those the portal's policy also allows: a policy can narrow
 *   the list but never widen it, so create-app's allow-all policy does not make everyone an admin;
 * - without it, the portal's policy alone when the permission framework is on, and nobody when it
 *   is off (Backstage then allows every check, which must not open the credentials to everyone).
 */
export class AdminAccess {
  static fromConfig(config: RootConfigService, deps: AccessDeps): AdminAccess {
    const admins = readEmailProviderAdmins(config);
    return new AdminAccess(
      deps,
      admins.length > 0 ? admins : undefined,
      config.getOptionalBoolean('permission.enabled') ?? false,
    );
  }

  private constructor(
    private readonly deps: AccessDeps,
    private readonly admins: string[] | undefined,
    private readonly permissionFramework: boolean,
  ) {}

  /**
   * What the startup log must say when nobody is listed in `emailProvider.admins`: who decides
   * then is easy to get wrong, and the credentials are at stake.
   */
  get startupWarning(): string | undefined {
    if (this.admins) {
      return undefined;
    }
    if (this.permissionFramework) {
      return `${ADMINS_CONFIG} is not set: the portal's permission policy alone decides who may read and change the email credentials, and create-app's allow-all policy lets every signed-in user do so; set ${ADMINS_CONFIG} to the users and groups who may`;
    }
    return `${ADMINS_CONFIG} is not set and the permission framework is off: nobody may read or change the email credentials or read the delivery log; set ${ADMINS_CONFIG} to the users and groups who may`;
  }

  /** Admits the signed-in user to a route that needs `permission`, or throws NotAllowedError. */
  async authorize(
    req: Request,
    permission: BasicPermission,
  ): Promise<BackstageCredentials<BackstageUserPrincipal>> {
    const credentials = await this.deps.httpAuth.credentials(req, {
      allow: ['user'],
    });
    const [allowed] = await this.decide(credentials, [permission]);
    if (!allowed) {
      throw new NotAllowedError(
        `You are not allowed to do this: it needs the ${permission.name} permission, which email provider admins have`,
      );
    }
    return credentials;
  }

  /** The signed-in user's access, decided as `authorize` decides each route. */
  async describe(req: Request): Promise<EmailProviderAccess> {
    const credentials = await this.deps.httpAuth.credentials(req, {
      allow: ['user'],
    });
    const [settingsRead, settingsUpdate, deliveriesRead] = await this.decide(
      credentials,
      [
        emailProviderSettingsReadPermission,
        emailProviderSettingsUpdatePermission,
        emailProviderDeliveriesReadPermission,
      ],
    );
    return {
      settings: { read: settingsRead, update: settingsUpdate },
      deliveries: { read: deliveriesRead },
      adminsConfigured: this.admins !== undefined,
    };
  }

  private async decide(
    credentials: BackstageCredentials<BackstageUserPrincipal>,
    permissions: BasicPermission[],
  ): Promise<boolean[]> {
    const none = permissions.map(() => false);
    if (this.admins) {
      const { ownershipEntityRefs } = await this.deps.userInfo.getUserInfo(
        credentials,
      );
      if (!isEmailProviderAdmin(this.admins, ownershipEntityRefs)) {
        return none;
      }
    } else if (!this.permissionFramework) {
      return none;
    }
    if (!this.permissionFramework) {
      return permissions.map(() => true);
    }
    const decisions = await this.deps.permissions.authorize(
      permissions.map(permission => ({ permission })),
      { credentials },
    );
    return decisions.map(decision => decision.result === AuthorizeResult.ALLOW);
  }
}
