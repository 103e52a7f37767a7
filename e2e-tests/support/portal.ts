/*
 * Starting and stopping the portal for the end-to-end tests: the backend and the frontend dev
 * server as separate process groups, so that stopping one stops everything it started.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = path.resolve(__dirname, '../..');
export const REPORT_DIR = path.join(ROOT, 'e2e-test-report');
export const LOG_DIR = path.join(REPORT_DIR, 'logs');

/** What global setup started, for the tests and for teardown. Kept in a file between processes. */
export type E2eState = {
  dir: string;
  frontendUrl: string;
  backendUrl: string;
  caFile: string;
  /** Config files the backend starts with, after app-config.yaml. */
  backendConfigs: string[];
  frontendPid?: number;
  backendPid?: number;
  smtp: { port: number; username: string; password: string };
  /** The test CA's localhost certificate, for SMTP servers a test starts of its own. */
  smtpCertificate: { cert: string; key: string };
  /**
   * A static external access token (`backend.auth.externalAccess`) whose principal is the
   * service `e2e-reports`: the tests send mail with it as another plugin would.
   */
  serviceToken: { token: string; subject: string };
  microsoft: {
    tenantId: string;
    clientId: string;
    clientSecret: string;
    mailbox: string;
  };
  /** JSON lines of what the SMTP server and the Microsoft fake received. */
  smtpMailFile: string;
  graphMailFile: string;
};

export function stateFile(): string {
  const file = process.env.EMAIL_PROVIDER_E2E_STATE;
  if (!file) {
    throw new Error(
      'EMAIL_PROVIDER_E2E_STATE is not set: run the suite with `yarn playwright test`, whose global setup starts the portal',
    );
  }
  return file;
}

export function readState(file = stateFile()): E2eState {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export function writeState(state: E2eState, file = stateFile()) {
  fs.writeFileSync(file, JSON.stringify(state, null, 2));
}

/** Fails early, with a sentence, when something else already listens on a port we need. */
export async function assertPortFree(port: number, what: string) {
  const inUse = await new Promise<boolean>(resolve => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (inUse) {
    throw new Error(
      `Port ${port} (${what}) is in use; stop whatever runs there, or pick other ports with E2E_FRONTEND_PORT and E2E_BACKEND_PORT`,
    );
  }
}

/** Starts a command in its own process group, its output going to a log file. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd: string = ROOT,
): ChildProcess {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const log = fs.openSync(path.join(LOG_DIR, `${name}.log`), 'a');
  const child = spawn(command, args, {
    cwd,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, FORCE_COLOR: '0', BROWSER: 'none', ...env },
  });
  fs.closeSync(log);
  child.unref();
  return child;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a process group: SIGTERM, then SIGKILL for whatever is left after a grace period. */
export async function stopProcessGroup(pid: number | undefined) {
  if (!pid || !groupAlive(pid)) {
    return;
  }
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let waited = 0; waited < 10_000; waited += 200) {
    if (!groupAlive(pid)) {
      return;
    }
    await sleep(200);
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Waits until a URL answers 200, failing if the process that should serve it exits. */
export async function waitForUrl(
  url: string,
  options: { timeoutMs: number; process?: ChildProcess; log: string },
) {
  const deadline = Date.now() + options.timeoutMs;
  let exited: number | null = null;
  options.process?.once('exit', code => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new Error(
        `The process serving ${url} exited (${exited}); see ${options.log}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.ok) {
        return;
      }
    } catch {
      // Not up yet.
    }
    await sleep(500);
  }
  throw new Error(
    `${url} did not answer within ${options.timeoutMs / 1000} s; see ${
      options.log
    }`,
  );
}

/**
 * Starts the backend with the state's config files and waits until it is ready. It runs as
 * `yarn workspace backend start` runs it (Node with Backstage's TypeScript transform, in
 * development), but without the file watcher: an edit elsewhere in the repository must not
 * restart it, with its in-memory database, in the middle of the suite.
 */
export async function startBackend(
  state: E2eState,
  extraConfigs: string[] = [],
) {
  const configs = [
    path.join(ROOT, 'app-config.yaml'),
    ...state.backendConfigs,
    ...extraConfigs,
  ];
  const child = startProcess(
    'backend',
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      path.join(ROOT, 'packages/backend/src/index.ts'),
      ...configs.flatMap(file => ['--config', file]),
    ],
    {
      NODE_ENV: 'development',
      NODE_EXTRA_CA_CERTS: state.caFile,
      ESBK_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json'),
    },
    path.join(ROOT, 'packages/backend'),
  );
  state.backendPid = child.pid;
  writeState(state);
  await waitForUrl(`${state.backendUrl}/.backstage/health/v1/readiness`, {
    timeoutMs: 180_000,
    process: child,
    log: path.join(LOG_DIR, 'backend.log'),
  });
}

/** Stops the backend and starts it again with more config on top. */
export async function restartBackend(extraConfigs: string[]) {
  const state = readState();
  await stopProcessGroup(state.backendPid);
  state.backendPid = undefined;
  writeState(state);
  await startBackend(state, extraConfigs);
}

/** Writes a config file into the state folder. */
export function writeConfig(state: E2eState, name: string, yaml: string) {
  const file = path.join(state.dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}

/** A loopback port where nothing listens (at the moment of asking). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}
