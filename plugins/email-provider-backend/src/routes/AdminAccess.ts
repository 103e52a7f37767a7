import {
  BackstageCredentials,
  BackstageServicePrincipal,
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
const AUTOMATION_CONFIG = 'emailProvider.automation.allowedServices';

/**
 * A service principal's subject as Backstage gives it: `external:<sub>` for a JWKS token,
 * `plugin:<id>` for a backend plugin. A static token's subject is its configured `subject`, as
 * written, so it fits only when written `external:<name>`; anything else (a user ref above all)
 * would read as a person in `updatedBy` and the test email.
 */
const SERVICE_SUBJECT = /^(?:external|plugin):\S+$/;

type Caller = BackstageCredentials<
  BackstageUserPrincipal | BackstageServicePrincipal
>;

function readAllowedServices(config: RootConfigService): Set<string> {
  const subjects = config.getOptionalStringArray(AUTOMATION_CONFIG) ?? [];
  for (const subject of subjects) {
    if (!SERVICE_SUBJECT.test(subject)) {
      throw new Error(
        `${AUTOMATION_CONFIG} must list service subjects such as external:provisioner or plugin:scaffolder, got '${subject}' (Backstage uses a static token's subject as written: give it subject: external:<name>)`,
      );
    }
  }
  return new Set(subjects);
}

function isUser(
  credentials: Caller,
): credentials is BackstageCredentials<BackstageUserPrincipal> {
  return credentials.principal.type === 'user';
}

/**
 * Who a settings route acts for, in `updatedBy`, the test email and the rate limit: the user's
 * entity ref or the service's subject, as the auditor records the actor.
 */
export function actorOf({ principal }: Caller): string {
  return principal.type === 'service'
    ? principal.subject
    : principal.userEntityRef;
}

type AccessDeps = {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
};

/**
 * Decides who may use the admin routes. Signed-in users, and:
 *
 * - with `emailProvider.admins` set, only the users and groups listed there, and, when the
 *   permission framework is on, only those the portal's policy also allows: a policy can narrow
 *   the list but never widen it, so create-app's allow-all policy does not make everyone an admin;
 * - without it, the portal's policy alone when the permission framework is on, and nobody when it
 *   is off (Backstage then allows every check, which must not open the credentials to everyone).
 *
 * Service principals are never admins; only on the settings routes, those listed in
 * `emailProvider.automation.allowedServices` are admitted as far as their token's access
 * restrictions allow (Backstage decides a service's permission checks from those alone, never
 * from the portal's policy).
 */
export class AdminAccess {
  static fromConfig(config: RootConfigService, deps: AccessDeps): AdminAccess {
    const admins = readEmailProviderAdmins(config);
    return new AdminAccess(
      deps,
      admins.length > 0 ? admins : undefined,
      config.getOptionalBoolean('permission.enabled') ?? false,
      readAllowedServices(config),
    );
  }

  private constructor(
    private readonly deps: AccessDeps,
    private readonly admins: string[] | undefined,
    private readonly permissionFramework: boolean,
    private readonly allowedServices: Set<string>,
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
    await this.admit(credentials, permission);
    return credentials;
  }

  /**
   * Admits to a settings route (`GET`, `PUT` and `DELETE /settings`, `POST /verify`,
   * `POST /test-email`) the signed-in user as `authorize` does, or a service listed in
   * `emailProvider.automation.allowedServices`; throws NotAllowedError for anyone else.
   */
  async authorizeSettings(
    req: Request,
    permission: BasicPermission,
  ): Promise<Caller> {
    const credentials: Caller = await this.deps.httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const subject = actorOf(credentials);
    if (!isUser(credentials) && !this.allowedServices.has(subject)) {
      throw new NotAllowedError(
        `The service ${subject} is not allowed to use the email provider settings: only the services listed in ${AUTOMATION_CONFIG} are`,
      );
    }
    await this.admit(credentials, permission);
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

  private async admit(credentials: Caller, permission: BasicPermission) {
    if (isUser(credentials)) {
      const [allowed] = await this.decide(credentials, [permission]);
      if (!allowed) {
        throw new NotAllowedError(
          `You are not allowed to do this: it needs the ${permission.name} permission, which email provider admins have`,
        );
      }
      return;
    }
    const [decision] = await this.deps.permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      const subject = actorOf(credentials);
      throw new NotAllowedError(
        `The service ${subject} is not allowed to do this: it needs the ${permission.name} permission, which its token's access restrictions do not grant`,
      );
    }
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
