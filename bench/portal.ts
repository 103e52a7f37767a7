/*
 * The portal backend for the benchmarks, in a process of its own as in production: the
 * email-provider plugin on PostgreSQL. Configured through BENCH_PORTAL_CONFIG (JSON app-config);
 * trusts the test CA through NODE_EXTRA_CA_CERTS. With BENCH_PORTAL_AUTH=mock it runs mock auth,
 * so a benchmark can call it as any user (the delivery log's admins); otherwise Backstage's own
 * auth services check every request, as in production.
 */
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';

const backend = createBackend();
if (process.env.BENCH_PORTAL_AUTH === 'mock') {
  backend.add(mockServices.auth.factory());
  backend.add(mockServices.httpAuth.factory());
  backend.add(mockServices.userInfo.factory());
}
backend.add(mockServices.rootLogger.factory({ level: 'warn' }));
backend.add(
  mockServices.rootConfig.factory({
    data: JSON.parse(process.env.BENCH_PORTAL_CONFIG ?? '{}'),
  }),
);
backend.add(import('../plugins/email-provider-backend/src'));
backend.start().then(() => process.stdout.write('ready\n'));
