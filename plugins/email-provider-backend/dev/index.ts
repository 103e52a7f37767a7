import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

// A backend with only this plugin, for working on it alone: `yarn start` in this folder. Every
// request is the mock user unless it says otherwise, and every permission check is allowed, e.g.
//
//   curl http://localhost:7007/api/email-provider/settings
//   curl http://localhost:7007/api/email-provider/settings -H 'Authorization: Bearer mock-service-token'
//
// The portal's own backend (`yarn start` at the root) runs it with real sign-in and permissions.
const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(
  mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
);
backend.add(import('../src'));
backend.start();
