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
import { EmailProviderAdmins } from '@email-provider/backstage-plugin-email-provider-backend';

/**
 * The portal's permission policy: the email-provider permissions belong to the users and groups
 * in `emailProvider.admins` and nobody else; every other permission is allowed, as the app's
 * allow-all policy did before.
 */
export class PortalPermissionPolicy implements PermissionPolicy {
  constructor(private readonly emailProviderAdmins: EmailProviderAdmins) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    return (
      (await this.emailProviderAdmins.decide(request, user)) ?? {
        result: AuthorizeResult.ALLOW,
      }
    );
  }
}

export const permissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'portal-policy',
  register({ registerInit }) {
    registerInit({
      deps: {
        config: coreServices.rootConfig,
        userInfo: coreServices.userInfo,
        policy: policyExtensionPoint,
      },
      async init({ config, userInfo, policy }) {
        policy.setPolicy(
          new PortalPermissionPolicy(
            EmailProviderAdmins.fromConfig(config, { userInfo }),
          ),
        );
      },
    });
  },
});
