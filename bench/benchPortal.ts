/*
 * The portal as the delivery benchmarks call it: bench/portal.ts in processes of its own, with
 * Backstage's real auth services, called by an outside service over HTTP with a static access
 * token, and the provider set as code (emailProvider.managedSettings).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { processCpuSeconds, threadCpuSeconds, threadsOf } from './cpuUse';
import { startPortalProcesses } from './portalProcesses';

export type BenchPortalOptions = {
  /** `emailProvider` configuration, managedSettings included. */
  emailProvider: object;
  /** Each in its own process on the same database, as Node is deployed on more cores. */
  replicas?: number;
  /** A CA the portal trusts (the test PKI's). */
  caFile: string;
  /** The most requests in the air at once. */
  senders: number;
};

/**
 * Starts the portal backend in a process of its own, as it runs in production; with several
 * replicas, each in its own process on the same PostgreSQL database, as Node is deployed to use
 * more than one core.
 */
export async function startBenchPortal(options: BenchPortalOptions) {
  // An outside service's token (backend.auth.externalAccess), checked by the real auth service
  // on every request as a plugin's would be.
  const token = randomBytes(24).toString('base64url');
  const { db, ports, children, stop } = await startPortalProcesses({
    name: 'bench',
    emailProvider: options.emailProvider,
    replicas: options.replicas,
    caFile: options.caFile,
    auth: { staticToken: token, subject: 'bench' },
    nodeArgs: process.env.BENCH_PORTAL_NODE_ARGS?.split(' ').filter(Boolean),
  });
  const authorization = `Bearer ${token}`;
  const startupThreads = children.map(child => threadsOf(child.pid!));
  let calls = 0;
  // The callers are a load generator: node:http with kept-alive connections costs them about a
  // quarter of the CPU of fetch, which on this machine would otherwise be taken from the portal.
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: options.senders,
  });
  const call = async (method: string, route: string, body?: object) => {
    // Callers spread over the replicas, as a load balancer would.
    const port = ports[calls++ % ports.length];
    const data = body ? JSON.stringify(body) : undefined;
    return await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const request = http.request(
          {
            agent,
            host: '127.0.0.1',
            port,
            method,
            path: `/api/email-provider${route}`,
            headers: {
              authorization,
              'content-type': 'application/json',
              ...(data ? { 'content-length': Buffer.byteLength(data) } : {}),
            },
          },
          response => {
            const chunks: Buffer[] = [];
            response.on('data', chunk => chunks.push(chunk));
            response.on('end', () =>
              resolve({
                status: response.statusCode!,
                body: Buffer.concat(chunks).toString('utf8'),
              }),
            );
          },
        );
        request.on('error', reject);
        request.end(data);
      },
    );
  };
  return {
    db,
    postMessage: async (body: object) => {
      const answer = await call('POST', '/messages', body);
      if (answer.status !== 202) {
        throw new Error(`POST /messages answered ${answer.status}`);
      }
    },
    /** Stores the messages with one `POST /messages/batch`; fails unless all were accepted. */
    postBatch: async (messages: object[]) => {
      const answer = await call('POST', '/messages/batch', { messages });
      if (answer.status !== 200) {
        throw new Error(`POST /messages/batch answered ${answer.status}`);
      }
      const { results } = JSON.parse(answer.body) as {
        results: Array<{ accepted: boolean }>;
      };
      const refused = results.filter(result => !result.accepted).length;
      if (results.length !== messages.length || refused > 0) {
        throw new Error(`POST /messages/batch refused ${refused} message(s)`);
      }
    },
    cpuSeconds: () =>
      children.reduce((sum, child) => sum + processCpuSeconds(child.pid!), 0),
    /** CPU seconds of each replica's threads, by kind; see `threadCpuSeconds`. */
    threadCpuSeconds: () =>
      children.map((child, i) =>
        threadCpuSeconds(child.pid!, startupThreads[i]),
      ),
    /** The portal processes' resident memory, from /proc. */
    rss: async () => {
      let total = 0;
      for (const child of children) {
        const status = await fs.promises.readFile(
          `/proc/${child.pid}/status`,
          'utf8',
        );
        total += Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
      }
      return total;
    },
    stop,
  };
}

export type BenchPortal = Awaited<ReturnType<typeof startBenchPortal>>;
