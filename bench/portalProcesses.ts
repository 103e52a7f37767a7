/*
 * The portal backend as the benchmarks run it: bench/portal.ts in processes of their own, as in
 * production, on a PostgreSQL database of its own (a fresh prefix per run, dropped at the end).
 */
import knexFactory, { Knex } from 'knex';
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { unusedPort } from '@internal/mail-test-servers';

export const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
/** The admin the benchmarks call the admin API as. */
export const BENCH_ADMIN = 'user:default/bench';
export const BENCH_ENCRYPTION_KEY =
  'bench-key-0123456789abcdef0123456789abcdef';

export type PortalProcessesOptions = {
  /** Names the run's database prefix: `email_provider_<name>_<time>_`. */
  name: string;
  /** `emailProvider` configuration, over the admin and the encryption key. */
  emailProvider?: object;
  /** With several, each in its own process on the same database, as Node is deployed on cores. */
  replicas?: number;
  /** A CA the processes trust, as a production backend would a private CA. */
  caFile?: string;
  /**
   * Backstage's real auth, called with a static access token (backend.auth.externalAccess) whose
   * principal is `external:<subject>`; without it, mock auth takes mock tokens of any principal.
   */
  auth?: { staticToken: string; subject: string };
  /** More node flags for the processes (--cpu-prof). */
  nodeArgs?: string[];
  /** The pool of `db`, the benchmark's own connection to the plugin's database. */
  pool?: Knex.PoolConfig;
  /** Leaves the database behind, to try indexes and queries on by hand (drop it after). */
  keepDatabase?: boolean;
};

/** Starts the replicas, one at a time so the first runs the migrations alone. */
export async function startPortalProcesses(options: PortalProcessesOptions) {
  const prefix = `email_provider_${options.name}_${Date.now()}_`;
  const url = new URL(PG);
  const connection = {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: url.username || 'postgres',
    password: url.password,
  };
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    const port = await unusedPort();
    const config = {
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: { client: 'pg', connection, prefix },
        ...(options.auth
          ? {
              auth: {
                externalAccess: [
                  {
                    type: 'static',
                    options: {
                      token: options.auth.staticToken,
                      subject: options.auth.subject,
                    },
                  },
                ],
              },
            }
          : {}),
      },
      permission: { enabled: false },
      emailProvider: {
        admins: [BENCH_ADMIN],
        encryption: { key: BENCH_ENCRYPTION_KEY },
        ...options.emailProvider,
      },
    };
    const child = spawn(
      process.execPath,
      [
        ...(options.nodeArgs ?? []),
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        path.resolve(__dirname, 'portal.ts'),
      ],
      {
        env: {
          ...process.env,
          ...(options.caFile ? { NODE_EXTRA_CA_CERTS: options.caFile } : {}),
          BENCH_PORTAL_CONFIG: JSON.stringify(config),
          BENCH_PORTAL_AUTH: options.auth ? 'real' : 'mock',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    process.once('exit', () => child.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on(
        'data',
        chunk => String(chunk).includes('ready') && resolve(),
      );
      child.once('exit', code =>
        reject(new Error(`portal exited with ${code}`)),
      );
    });
    children.push(child);
    ports.push(port);
  }
  const db = knexFactory({
    client: 'pg',
    connection: { ...connection, database: `${prefix}email-provider` },
    ...(options.pool ? { pool: options.pool } : {}),
  });
  return {
    db,
    /** The replicas' HTTP ports, in the order they started. */
    ports,
    children,
    /** Stops the replicas with SIGTERM, then drops the run's databases unless kept. */
    stop: async () => {
      await db.destroy();
      for (const child of children) {
        const exited = new Promise(resolve => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (options.keepDatabase) {
        // eslint-disable-next-line no-console
        console.log(`kept the database ${prefix}email-provider`);
        return;
      }
      const server = knexFactory({ client: 'pg', connection: PG });
      const databases: Array<{ datname: string }> = await server
        .select('datname')
        .from('pg_database')
        .where('datname', 'like', `${prefix}%`);
      for (const { datname } of databases) {
        await server.raw(`drop database if exists "${datname}" with (force)`);
      }
      await server.destroy();
    },
  };
}
