/*
 * What every delivery benchmark starts with: the test PKI (trusted by this process, its CA in a
 * file for the portal), the counting SMTP server in its own process, and the portal's
 * `emailProvider` configuration that sends to it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMailTestServers } from '@internal/mail-test-servers';
import { startCountingServer } from './countingSmtpServer';

export async function startBenchSmtp(options: {
  from: string;
  password: string;
}) {
  const { pki } = await startMailTestServers({ trustCa: true });
  const caFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')),
    'ca.pem',
  );
  fs.writeFileSync(caFile, pki.ca.cert);
  const smtp = await startCountingServer(pki, options.password);
  return {
    pki,
    caFile,
    smtp,
    /** The portal with the product's delivery defaults, sending to `smtp` (set as code). */
    emailProvider: {
      delivery: {
        pollInterval: { milliseconds: 100 },
        // The product's defaults, unless BENCH_DELIVERY (JSON, emailProvider.delivery) says
        // otherwise.
        ...JSON.parse(process.env.BENCH_DELIVERY ?? '{}'),
      },
      managedSettings: {
        provider: 'smtp',
        smtp: {
          host: 'localhost',
          port: smtp.port,
          security: 'starttls',
          from: options.from,
          usernameSameAsFrom: true,
          password: options.password,
        },
      },
    },
  };
}
