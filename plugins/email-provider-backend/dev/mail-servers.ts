/*
 * Local mail servers for trying the plugin without any outside service:
 *
 *   - an SMTP server on localhost:1025 (StartTLS offered, login dev / dev) that prints every
 *     message it receives;
 *   - a fake of Microsoft Entra and Graph on https://localhost:8443 (tenant, client ID and secret
 *     printed at start, and an app certificate written to a file for the certificate credential)
 *     that prints every sendMail it accepts.
 *
 * Both use a test CA made at start. The script writes it and a config file to a folder and prints
 * how to start the backend so that it trusts the CA (NODE_EXTRA_CA_CERTS) and talks to the fake.
 *
 *   yarn workspace @email-provider/backstage-plugin-email-provider-backend mail-servers
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createAppCertificate,
  startMailTestServers,
} from '@internal/mail-test-servers';

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'email-provider-dev-'));
  const appCertificate = await createAppCertificate({
    cn: 'backstage-email.localhost',
  });
  const appCertificateFile = path.join(dir, 'app-certificate-and-key.pem');
  fs.writeFileSync(appCertificateFile, appCertificate.pem);
  const { pki, smtp, microsoft } = await startMailTestServers({
    smtp: {
      credentials: { username: 'dev', password: 'dev' },
      port: Number(process.env.SMTP_PORT ?? 1025),
      onMessage: mail =>
        console.log(
          `SMTP  ${mail.envelope.from} -> ${mail.envelope.to.join(', ')}: ${
            mail.parsed.subject
          }` +
            ` (${mail.secure ? 'TLS' : 'plain'}, ${mail.raw.length} bytes)\n${
              mail.parsed.text ?? ''
            }`,
        ),
    },
    microsoft: {
      certificates: [appCertificate.cert],
      mailboxes: ['portal@contoso.onmicrosoft.com'],
      // Mail.ReadWrite too, so that large messages can be tried.
      roles: ['Mail.Send', 'Mail.ReadWrite'],
      port: Number(process.env.MICROSOFT_PORT ?? 8443),
      onMessage: mail =>
        console.log(
          `GRAPH ${mail.mailbox} -> ${mail.message.toRecipients
            .map(r => r.emailAddress.address)
            .join(', ')}: ${mail.message.subject}`,
        ),
    },
  });
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, pki.ca.cert);

  const configFile = path.join(dir, 'app-config.mail-servers.yaml');
  fs.writeFileSync(
    configFile,
    [
      'emailProvider:',
      '  microsoft365:',
      `    authorityHost: ${microsoft.authorityHost}`,
      `    graphBaseUrl: ${microsoft.graphBaseUrl}`,
      '',
    ].join('\n'),
  );

  console.log(`
SMTP server        localhost:${smtp.port}, StartTLS, username dev, password dev
Microsoft fake     ${microsoft.authorityHost}
  tenant ID        ${microsoft.settings.tenantId}
  client ID        ${microsoft.settings.clientId}
  client secret    ${microsoft.settings.clientSecret}
  certificate      ${appCertificateFile} (certificate and key: paste it for Credential Certificate)
  sender           portal@contoso.onmicrosoft.com

Start the backend so that it trusts the test CA and uses the fake:

  NODE_EXTRA_CA_CERTS=${caFile} yarn workspace backend start --config ../../app-config.yaml --config ${configFile}
`);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
