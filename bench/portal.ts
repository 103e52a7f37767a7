/*
 * The portal backend for the benchmark, in a process of its own as in production: the
 * email-provider plugin on PostgreSQL, with mock auth so the benchmark can call it with service
 * and user tokens. Configured through BENCH_PORTAL_CONFIG (JSON app-config); trusts the test CA
 * through NODE_EXTRA_CA_CERTS.
 */
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';

const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(mockServices.userInfo.factory());
backend.add(mockServices.rootLogger.factory({ level: 'warn' }));
backend.add(
  mockServices.rootConfig.factory({
    data: JSON.parse(process.env.BENCH_PORTAL_CONFIG ?? '{}'),
  }),
);
backend.add(import('../plugins/email-provider-backend/src'));
backend.start().then(() => process.stdout.write('ready\n'));
