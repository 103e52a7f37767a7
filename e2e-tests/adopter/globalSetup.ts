/*
 * Global setup of the adopter test: a temporary folder outside the repository for the fresh
 * portal, a test CA with a real SMTP server (StartTLS, login required) on loopback, and the local
 * registry that will serve the packed tarballs. The steps themselves (pack, create-app, install,
 * start, smoke) are the tests of freshPortal.smoke.ts. Returns the teardown, which stops the
 * portal and removes the folder, whatever happened.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMailTestServers } from '@internal/mail-test-servers';
import { appendReceivedMail } from '../support/mailFile';
import { startRegistry } from './registry';
import {
  AdopterState,
  cleanUpAbandonedRuns,
  LOG_DIR,
  logStep,
  readState,
  REPORT_DIR,
  RUN_DIR_PREFIX,
  stopProcessGroup,
  writeState,
} from './support';

const SMTP_USER = { username: 'adopter-sender', password: 'adopter-password' };

export default async function globalSetup() {
  const started = Date.now();
  fs.rmSync(LOG_DIR, { recursive: true, force: true });
  fs.rmSync(path.join(REPORT_DIR, 'screenshots'), {
    recursive: true,
    force: true,
  });
  await cleanUpAbandonedRuns();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), RUN_DIR_PREFIX));
  const tarballDir = path.join(dir, 'tarballs');
  fs.mkdirSync(tarballDir);

  const mailFile = path.join(dir, 'received-mail.jsonl');
  const {
    pki,
    smtp,
    close: stopMailServers,
  } = await startMailTestServers({
    smtp: {
      credentials: SMTP_USER,
      onMessage: mail =>
        appendReceivedMail(mailFile, mail, { attachments: true }),
    },
  });
  // The portal's backend trusts the test CA through NODE_EXTRA_CA_CERTS, which replaces any
  // extra CAs the machine had set (a proxy's, for instance): keep those in the same file.
  const caFile = path.join(dir, 'ca.pem');
  const machineCas = process.env.NODE_EXTRA_CA_CERTS;
  fs.writeFileSync(
    caFile,
    [
      pki.ca.cert,
      machineCas && fs.existsSync(machineCas)
        ? fs.readFileSync(machineCas, 'utf8')
        : '',
    ].join('\n'),
  );
  const registry = await startRegistry(tarballDir);

  const state: AdopterState = {
    ownerPid: process.pid,
    dir,
    portalDir: path.join(dir, 'portal'),
    tarballDir,
    registryUrl: registry.url,
    caFile,
    smtp: { port: smtp.port, ...SMTP_USER },
    mailFile,
    encryptionKey: randomBytes(32).toString('base64'),
    timings: {},
  };
  const file = writeState(state);
  process.env.EMAIL_PROVIDER_ADOPTER_STATE = file;
  logStep(
    `Run folder ${dir}; SMTP server on localhost:${smtp.port}; registry for @email-provider at ${registry.url}`,
  );

  return async () => {
    // The backend may have been restarted by a step, and a step cut short (a timeout, Ctrl-C)
    // may have left its command running: the pids are in the state file.
    const current = readState(file);
    await Promise.all([
      stopProcessGroup(current.commandPid),
      stopProcessGroup(current.frontendPid),
      stopProcessGroup(current.backendPid),
    ]);
    await Promise.all([stopMailServers(), registry.close()]);
    if (process.env.ADOPTER_KEEP_PORTAL) {
      logStep(`Kept ${dir} (ADOPTER_KEEP_PORTAL is set)`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const timings = Object.entries(current.timings)
      .map(([step, seconds]) => `${step} ${seconds} s`)
      .join(', ');
    logStep(
      `Adopter test took ${Math.round(
        (Date.now() - started) / 1000,
      )} s in all (${timings || 'no step finished'}); logs in ${LOG_DIR}`,
    );
  };
}
