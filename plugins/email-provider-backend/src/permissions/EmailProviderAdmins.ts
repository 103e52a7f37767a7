import {
  BackstageCredentials,
  BackstageUserPrincipal,
  RootConfigService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  AuthorizeResult,
  DefinitivePolicyDecision,
  Permission,
} from '@backstage/plugin-permission-common';
import {
  emailProviderPermissions,
  isEmailProviderAdmin,
} from '@email-provider/backstage-plugin-email-provider-common';

const ADMINS_CONFIG = 'emailProvider.admins';

const emailProviderPermissionNames = new Set(
  emailProviderPermissions.map(permission => permission.name),
);

function isUser(
  credentials: BackstageCredentials,
): credentials is BackstageCredentials<BackstageUserPrincipal> {
  return (credentials.principal as { type?: unknown }).type === 'user';
}

/**
 * The entity refs in `emailProvider.admins`; a ref Backstage cannot parse stops the backend at
 * startup rather than failing every later check.
 */
export function readEmailProviderAdmins(config: RootConfigService): string[] {
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
  return admins;
}

/**
 * The email provider admins of `emailProvider.admins`, for a portal's own permission policy: it
 * decides the three email-provider permissions (`email-provider.settings.read`,
 * `email-provider.settings.update`, `email-provider.deliveries.read`) and leaves every other
 * permission to the policy.
 *
 * @remarks
 *
 * A user is an admin when their entity ref, or one of their groups (their ownership refs), is
 * listed. Everyone else is denied, service principals and anonymous callers included; with
 * nobody listed, nobody is allowed.
 *
 * @example
 * ```ts
 * const emailProviderAdmins = EmailProviderAdmins.fromConfig(config, { userInfo });
 * // in PermissionPolicy.handle(request, user):
 * const decision = await emailProviderAdmins.decide(request, user);
 * if (decision) {
 *   return decision;
 * }
 * ```
 *
 * @public
 */
export class EmailProviderAdmins {
  static fromConfig(
    config: RootConfigService,
    deps: { userInfo: UserInfoService },
  ): EmailProviderAdmins {
    return new EmailProviderAdmins(readEmailProviderAdmins(config), deps);
  }

  private constructor(
    private readonly admins: string[],
    private readonly deps: { userInfo: UserInfoService },
  ) {}

  /**
   * The decision for an email-provider permission, or `undefined` for any other permission.
   * Takes the `request` and `user` a `PermissionPolicy` is given.
   */
  async decide(
    request: { permission: Permission },
    user?: { credentials: BackstageCredentials },
  ): Promise<DefinitivePolicyDecision | undefined> {
    if (!emailProviderPermissionNames.has(request.permission.name)) {
      return undefined;
    }
    const admin =
      user !== undefined &&
      isUser(user.credentials) &&
      this.admins.length > 0 &&
      isEmailProviderAdmin(
        this.admins,
        (await this.deps.userInfo.getUserInfo(user.credentials))
          .ownershipEntityRefs,
      );
    return { result: admin ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
  }
}
