/*
 * One backend instance's delivery worker in a process of its own, for the fault tests that kill
 * a process, stop it with SIGTERM or run several against one PostgreSQL. The test starts it with
 * `startDeliveryProcess`; as a process it is configured through DELIVERY_PROCESS_CONFIG (JSON:
 * the knex connection, the encryption key and delivery options), trusts the test CA through
 * NODE_EXTRA_CA_CERTS, as a production backend would a private CA, and, like a Backstage backend
 * outside tests, logs an unhandled rejection instead of exiting.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import knexFactory from 'knex';
import { ChildProcess, spawn } from 'node:child_process';
import { DatabaseOutboxStore } from '../delivery/DatabaseOutboxStore';
import { DeliveryOptions } from '../delivery/DeliveryOptions';
import { OutboxWorker } from '../delivery/OutboxWorker';
import { DestinationGuard } from '../providers/DestinationGuard';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { DatabaseSettingsStore } from '../settings/DatabaseSettingsStore';
import { unsubscribeFor } from './unsubscribe';
import { SecretCipher } from '../settings/SecretCipher';
import { SettingsService } from '../settings/SettingsService';

export type DeliveryProcessConfig = {
  connection: object;
  encryptionKey: string;
  options: DeliveryOptions;
};

export type DeliveryProcess = {
  /** Everything the process wrote to stderr so far. */
  readonly output: () => string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, as an orchestrator stops a replica; resolves once the process has ended. */
  terminate(): Promise<{ code: number | null; tookMs: number }>;
  kill(): Promise<void>;
};

const running = new Map<ChildProcess, Promise<unknown>>();

/** Starts an instance and resolves once its worker runs. */
export async function startDeliveryProcess(
  config: DeliveryProcessConfig,
  caFile: string,
): Promise<DeliveryProcess> {
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      __filename,
    ],
    {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: caFile,
        DELIVERY_PROCESS_CONFIG: JSON.stringify(config),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr!.on('data', chunk => stderr.push(String(chunk)));
  const exited = new Promise<number | null>(resolve =>
    child.once('exit', code => {
      running.delete(child);
      resolve(code);
    }),
  );
  running.set(child, exited);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', chunk => {
      if (String(chunk).includes('ready')) resolve();
    });
    exited.then(code =>
      reject(
        new Error(
          `instance exited with ${code}: ${stderr.join('').slice(-2000)}`,
        ),
      ),
    );
  });
  return {
    output: () => stderr.join(''),
    exited,
    async terminate() {
      const started = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      return { code, tookMs: Date.now() - started };
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Kills every instance still running, for a test's cleanup; before the SMTP server closes, which
 * waits for their connections.
 */
export async function killDeliveryProcesses(): Promise<void> {
  const exits = [...running.values()];
  running.forEach((_, child) => child.kill('SIGKILL'));
  await Promise.all(exits);
}

function runInstance() {
  const config: DeliveryProcessConfig = JSON.parse(
    process.env.DELIVERY_PROCESS_CONFIG ?? '{}',
  );
  const logger: LoggerService = {
    error: (message, meta) => console.error(message, meta ?? ''),
    warn: (message, meta) => console.warn(message, meta ?? ''),
    info: () => undefined,
    debug: () => undefined,
    child: () => logger,
  };
  process.on('unhandledRejection', reason =>
    console.error('Unhandled rejection', reason),
  );
  const knex = knexFactory({ client: 'pg', connection: config.connection });
  const cipher = SecretCipher.fromConfig(
    new ConfigReader({
      emailProvider: { encryption: { key: config.encryptionKey } },
    }),
    { logger },
  );
  const worker = new OutboxWorker({
    store: new DatabaseOutboxStore(knex),
    settings: new SettingsService(new DatabaseSettingsStore(knex), cipher),
    ...unsubscribeFor(knex, cipher),
    providers: new MailProviderFactory({
      destinations: new DestinationGuard(),
      authorityHost: 'https://login.microsoftonline.com',
      graphBaseUrl: 'https://graph.microsoft.com',
    }),
    logger,
    options: config.options,
  });
  worker.start();
  process.stdout.write('ready\n');
  // What a Backstage backend does on SIGTERM: the plugins' shutdown hooks, then the database.
  process.once('SIGTERM', () => {
    worker.stop().then(() => knex.destroy().then(() => process.exit(0)));
  });
}

if (require.main === module) {
  runInstance();
}
