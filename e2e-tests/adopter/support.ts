/*
 * What the adopter test's global setup and its steps share: the state of the run, kept in a file
 * because the Playwright runner and its worker are separate processes; commands run with a time
 * limit, each with a log of its own; the fresh portal's processes in process groups of their own;
 * and the clean environment the fresh portal runs in.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, stopProcessGroup } from '../support/portal';

export { freePort, stopProcessGroup };

export const ROOT = path.resolve(__dirname, '../..');
export const REPORT_DIR = path.join(ROOT, 'e2e-test-report', 'adopter');
export const LOG_DIR = path.join(REPORT_DIR, 'logs');
/** Temporary folders of adopter runs are named so, under the OS's temporary folder. */
export const RUN_DIR_PREFIX = 'email-provider-adopter-';

/** The five packages, as `npm pack` names their tarballs. */
export const PACKAGES = [
  '@email-provider/backstage-plugin-email-provider',
  '@email-provider/backstage-plugin-email-provider-backend',
  '@email-provider/backstage-plugin-email-provider-common',
  '@email-provider/backstage-plugin-email-provider-node',
  '@email-provider/backstage-plugin-notifications-backend-module-email-provider',
];

export type AdopterState = {
  /** The process that owns the run; a run whose owner is gone is cleaned up by the next one. */
  ownerPid: number;
  /** The run's temporary folder, outside the repository. */
  dir: string;
  portalDir: string;
  tarballDir: string;
  /** The local npm registry that serves the tarballs for the @email-provider scope. */
  registryUrl: string;
  /** The test CA (and the system's extra CAs), for the portal's NODE_EXTRA_CA_CERTS. */
  caFile: string;
  smtp: { port: number; username: string; password: string };
  /** JSON lines of what the SMTP server received. */
  mailFile: string;
  encryptionKey: string;
  backendPort?: number;
  frontendPort?: number;
  backendPid?: number;
  frontendPid?: number;
  /** The process group of the command a step is running, stopped by the teardown if need be. */
  commandPid?: number;
  /** Seconds each step took, for the closing line. */
  timings: Record<string, number>;
};

const STATE_FILE_NAME = 'state.json';

export function stateFile(): string {
  const file = process.env.EMAIL_PROVIDER_ADOPTER_STATE;
  if (!file) {
    throw new Error(
      'EMAIL_PROVIDER_ADOPTER_STATE is not set: run the adopter test with `yarn test:adopter`',
    );
  }
  return file;
}

export function readState(file = stateFile()): AdopterState {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export function updateState(
  change: Partial<AdopterState>,
  file = stateFile(),
): AdopterState {
  const state = { ...readState(file), ...change };
  fs.writeFileSync(file, JSON.stringify(state, null, 2));
  return state;
}

export function writeState(state: AdopterState) {
  const file = path.join(state.dir, STATE_FILE_NAME);
  fs.writeFileSync(file, JSON.stringify(state, null, 2));
  return file;
}

/**
 * The environment of every command run in the fresh portal, as on an adopter's machine: the
 * Node.js that runs this test (22 or 24, from scripts/env.sh) and a yarn first on the PATH, and
 * nothing of this repository's own environment (`CI`, which makes yarn refuse to write a
 * lockfile; yarn's own variables and shims from `yarn test:adopter`; the test database settings).
 * What the machine needs to reach the npm registry and build native addons is kept.
 */
export function portalEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const kept = [
    'HOME',
    'USER',
    'LANG',
    'TMPDIR',
    'XDG_CACHE_HOME',
    'NODE_EXTRA_CA_CERTS',
    'SSL_CERT_FILE',
    'SSL_CERT_DIR',
    'npm_config_nodedir',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'NO_PROXY',
    'http_proxy',
    'https_proxy',
    'no_proxy',
  ];
  const env: NodeJS.ProcessEnv = {};
  for (const name of kept) {
    if (process.env[name] !== undefined) {
      env[name] = process.env[name];
    }
  }
  // scripts/bin/yarn runs the yarn release committed here, which hands over to the portal's own
  // release (create-app's .yarnrc.yml names it), as any global yarn does.
  env.PATH = [
    path.dirname(process.execPath),
    path.join(ROOT, 'scripts', 'bin'),
    '/usr/local/bin',
    '/usr/bin',
    '/bin',
  ].join(path.delimiter);
  env.FORCE_COLOR = '0';
  return { ...env, ...extra };
}

/** Appends a line with the time to the run's step log and prints it. */
export function logStep(message: string) {
  const line = `[adopter ${new Date().toISOString().slice(11, 19)}] ${message}`;
  fs.mkdirSync(LOG_DIR, { recursive: true });
  fs.appendFileSync(path.join(LOG_DIR, 'steps.log'), `${line}\n`);
  console.log(line);
}

function tail(file: string, lines = 40): string {
  if (!fs.existsSync(file)) {
    return '(no output)';
  }
  return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/**
 * Runs a command to its end in a process group of its own, its output in `logs/<log>.log`. It
 * fails with the end of that log when the command fails, and stops the whole group when it takes
 * longer than `timeoutMs`.
 */
export async function run(
  log: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<void> {
  const { child, logFile } = start(log, command, args, options);
  // Waited for, unlike the long-running commands start() is for.
  child.ref();
  updateState({ commandPid: child.pid });
  const started = Date.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopProcessGroup(child.pid);
  }, options.timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  }).finally(() => clearTimeout(timer));
  // Whatever the command left running in its group (a build server, a stray child) goes too.
  await stopProcessGroup(child.pid);
  updateState({ commandPid: undefined });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (timedOut) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` did not finish within ${
        options.timeoutMs / 1000
      } s; the end of ${logFile}:\n${tail(logFile)}`,
    );
  }
  if (code !== 0) {
    throw new Error(
      `\`${command} ${args.join(
        ' ',
      )}\` failed (exit ${code}) after ${seconds} s; the end of ${logFile}:\n${tail(
        logFile,
      )}`,
    );
  }
}

/** Starts a long-running command in a process group of its own, its output in a log file. */
export function start(
  log: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
) {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${log}.log`);
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `$ ${[command, ...args].join(' ')}   (in ${options.cwd})\n`);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  child.unref();
  return { child, logFile };
}

/**
 * Waits until a URL answers 200, failing early if the process that should serve it exits or its
 * log shows `failsWith` (a development server keeps running when what it serves failed to start).
 */
export async function waitForUrl(
  url: string,
  options: {
    timeoutMs: number;
    process: ReturnType<typeof start>['child'];
    logFile: string;
    failsWith?: RegExp;
  },
) {
  const deadline = Date.now() + options.timeoutMs;
  let exited: number | null = null;
  options.process.once('exit', code => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new Error(
        `The process serving ${url} exited (${exited}); the end of ${
          options.logFile
        }:\n${tail(options.logFile)}`,
      );
    }
    if (
      options.failsWith &&
      fs.existsSync(options.logFile) &&
      options.failsWith.test(fs.readFileSync(options.logFile, 'utf8'))
    ) {
      throw new Error(
        `What should serve ${url} failed to start; the end of ${
          options.logFile
        }:\n${tail(options.logFile)}`,
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
    await sleep(1000);
  }
  throw new Error(
    `${url} did not answer within ${options.timeoutMs / 1000} s; the end of ${
      options.logFile
    }:\n${tail(options.logFile)}`,
  );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes what earlier runs left behind when they were killed before their teardown (a fresh
 * portal with its node_modules is about 2 GB): their portal processes and temporary folders.
 * Runs whose owner still lives are left alone.
 */
export async function cleanUpAbandonedRuns() {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith(RUN_DIR_PREFIX)) {
      continue;
    }
    const dir = path.join(tmp, name);
    const file = path.join(dir, STATE_FILE_NAME);
    let state: AdopterState | undefined;
    try {
      state = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      // A run that died before writing its state; judge it by its age.
    }
    if (state ? pidAlive(state.ownerPid) : isRecent(dir)) {
      continue;
    }
    await stopProcessGroup(state?.commandPid);
    await stopProcessGroup(state?.backendPid);
    await stopProcessGroup(state?.frontendPid);
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`Removed ${dir}, left behind by an earlier adopter run`);
  }
}

function isRecent(dir: string): boolean {
  return Date.now() - fs.statSync(dir).mtimeMs < 60 * 60 * 1000;
}
