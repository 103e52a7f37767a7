import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  emailProviderPermissions,
  isEmailProviderAdmin,
} from '@email-provider/backstage-plugin-email-provider-common';

const emailProviderPermissionNames = new Set(
  emailProviderPermissions.map(permission => permission.name),
);

/**
 * The portal's permission policy: the email-provider permissions belong to the users and groups
 * in `emailProvider.admins` and nobody else; every other permission is allowed, as the app's
 * allow-all policy did before.
 */
export class PortalPermissionPolicy implements PermissionPolicy {
  constructor(private readonly emailProviderAdmins: string[]) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (emailProviderPermissionNames.has(request.permission.name)) {
      const admin =
        user !== undefined &&
        isEmailProviderAdmin(
          this.emailProviderAdmins,
          user.info.ownershipEntityRefs,
        );
      return { result: admin ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export const permissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'portal-policy',
  register({ registerInit }) {
    registerInit({
      deps: {
        config: coreServices.rootConfig,
        policy: policyExtensionPoint,
      },
      async init({ config, policy }) {
        policy.setPolicy(
          new PortalPermissionPolicy(
            config.getOptionalStringArray('emailProvider.admins') ?? [],
          ),
        );
      },
    });
  },
});
