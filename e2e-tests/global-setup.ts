/*
 * Global setup of the end-to-end suite: a test CA, a real SMTP server (StartTLS, login required)
 * and the Microsoft Entra and Graph fake on loopback, then the portal (backend and frontend dev
 * server) configured to trust the CA and to use the fake. Returns the teardown that stops it all.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMailTestServers } from '@internal/mail-test-servers';
import { appendReceivedMail } from './support/mailFile';
import {
  assertPortFree,
  E2eState,
  LOG_DIR,
  REPORT_DIR,
  ROOT,
  startBackend,
  startProcess,
  stopProcessGroup,
  readState,
  waitForUrl,
  writeConfig,
  writeState,
} from './support/portal';

export const FRONTEND_PORT = Number(process.env.E2E_FRONTEND_PORT ?? 3100);
export const BACKEND_PORT = Number(process.env.E2E_BACKEND_PORT ?? 7107);

const SMTP_USER = { username: 'e2e-sender', password: 'e2e-password' };
const MAILBOX = 'portal@contoso.onmicrosoft.com';

export default async function globalSetup() {
  const started = Date.now();
  await assertPortFree(FRONTEND_PORT, 'the frontend');
  await assertPortFree(BACKEND_PORT, 'the backend');
  fs.rmSync(path.join(REPORT_DIR, 'screenshots'), {
    recursive: true,
    force: true,
  });
  fs.rmSync(LOG_DIR, { recursive: true, force: true });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'email-provider-e2e-'));
  const smtpMailFile = path.join(dir, 'smtp-received.jsonl');
  const graphMailFile = path.join(dir, 'graph-received.jsonl');
  const {
    pki,
    smtp,
    microsoft,
    close: stopMailServers,
  } = await startMailTestServers({
    smtp: {
      credentials: SMTP_USER,
      onMessage: mail => appendReceivedMail(smtpMailFile, mail),
    },
    microsoft: {
      mailboxes: [MAILBOX],
      onMessage: mail =>
        fs.appendFileSync(
          graphMailFile,
          `${JSON.stringify({
            mailbox: mail.mailbox,
            subject: mail.message.subject,
            to: mail.message.toRecipients.map(r => r.emailAddress.address),
          })}\n`,
        ),
    },
  });
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, pki.ca.cert);

  const frontendUrl = `http://localhost:${FRONTEND_PORT}`;
  const backendUrl = `http://localhost:${BACKEND_PORT}`;
  const state: E2eState = {
    dir,
    frontendUrl,
    backendUrl,
    caFile,
    backendConfigs: [],
    smtp: { port: smtp.port, ...SMTP_USER },
    smtpCertificate: pki.localhost,
    serviceToken: {
      token: randomBytes(24).toString('base64url'),
      subject: 'e2e-reports',
    },
    microsoft: {
      tenantId: microsoft.settings.tenantId,
      clientId: microsoft.settings.clientId,
      clientSecret: microsoft.settings.clientSecret,
      mailbox: MAILBOX,
    },
    smtpMailFile,
    graphMailFile,
  };
  // Ports of their own, so that a portal already running for development is left alone; the
  // Microsoft endpoints of the fake; no development mail catcher. A static token for a service
  // that sends mail as other plugins do, and delivery that gives up after two quick attempts,
  // so that a failed delivery shows within a second.
  const portalConfig = writeConfig(
    state,
    'app-config.e2e.yaml',
    [
      'app:',
      `  baseUrl: ${frontendUrl}`,
      'backend:',
      `  baseUrl: ${backendUrl}`,
      '  listen:',
      `    port: ${BACKEND_PORT}`,
      '  cors:',
      `    origin: ${frontendUrl}`,
      '  auth:',
      '    externalAccess:',
      '      - type: static',
      '        options:',
      `          token: ${state.serviceToken.token}`,
      `          subject: ${state.serviceToken.subject}`,
      'emailProvider:',
      '  delivery:',
      '    maxAttempts: 2',
      '    retryDelay: { milliseconds: 200 }',
      '    pollInterval: { milliseconds: 200 }',
      '  development:',
      '    mailCatcher: false',
      '  microsoft365:',
      `    authorityHost: ${microsoft.authorityHost}`,
      `    graphBaseUrl: ${microsoft.graphBaseUrl}`,
      '',
    ].join('\n'),
  );
  state.backendConfigs = [portalConfig];
  const file = path.join(dir, 'state.json');
  process.env.EMAIL_PROVIDER_E2E_STATE = file;
  writeState(state, file);

  const stopAll = async () => {
    // The backend may have been restarted by a test: its pid is in the state file.
    const current = readState(file);
    await Promise.all([
      stopProcessGroup(current.frontendPid),
      stopProcessGroup(current.backendPid),
    ]);
    await stopMailServers();
    // The test CA's key and the config files; the logs stay in e2e-test-report/logs.
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const frontend = startProcess('frontend', 'yarn', [
      'workspace',
      'app',
      'start',
      '--config',
      path.join(ROOT, 'app-config.yaml'),
      '--config',
      portalConfig,
    ]);
    state.frontendPid = frontend.pid;
    writeState(state, file);
    await startBackend(state);
    await waitForUrl(frontendUrl, {
      timeoutMs: 300_000,
      process: frontend,
      log: path.join(LOG_DIR, 'frontend.log'),
    });
  } catch (error) {
    await stopAll();
    throw error;
  }
  console.log(
    `Portal up at ${frontendUrl} (backend ${backendUrl}) in ${Math.round(
      (Date.now() - started) / 1000,
    )} s; SMTP server on localhost:${smtp.port}, Microsoft fake at ${
      microsoft.authorityHost
    }`,
  );
  return stopAll;
}
