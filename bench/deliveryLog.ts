/*
 * Delivery log benchmark (issue 18): the admin's reads of the log (GET /messages with each
 * filter and page, GET /summary, GET /stats, GET /messages/export.csv) on an empty log, then on a
 * busy portal's month of mail, over HTTP against the backend in a process of its own on
 * PostgreSQL.
 *
 *   yarn bench:log        (BENCH_LOG_ROWS=1020000, BENCH_LOG_SAMPLES=30 by default)
 *
 * The log is seeded with SQL in a database of its own (dropped at the end): messages over 30 days
 * with a day and night cycle, about 97% sent, 2% failed and a few hundred queued; recipients as
 * the product stores them, keyed hashes from its own RecipientHasher with the key the backend
 * derives from the same encryption key. Each route is warmed up, then timed BENCH_LOG_SAMPLES
 * times one request after another (BENCH_LOG_SLOW_SAMPLES, 5, for first calls of /stats and the
 * export); the table gives p50 and p95 against the 50 ms target. The same reads also run in this
 * process through the product's DeliveryLog and DatabaseOutboxStore, each SQL statement they send
 * under EXPLAIN (ANALYZE, BUFFERS): the table adds up the execution times, and the plans of the
 * routes over the target are printed. BENCH_LOG_KEEP_DATABASE=1 leaves the database behind.
 */
import { ConfigReader } from '@backstage/config';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import http from 'node:http';
import os from 'node:os';
import {
  DatabaseOutboxStore,
  HOURS,
  MESSAGES,
  RECIPIENTS,
} from '../plugins/email-provider-backend/src/delivery/DatabaseOutboxStore';
import {
  DeliveryLog,
  DeliveryLogCriteria,
} from '../plugins/email-provider-backend/src/deliveryLog/DeliveryLog';
import { RecipientHasher } from '../plugins/email-provider-backend/src/deliveryLog/RecipientHasher';
import { SecretCipher } from '../plugins/email-provider-backend/src/settings/SecretCipher';
import {
  BENCH_ADMIN,
  BENCH_ENCRYPTION_KEY,
  startPortalProcesses,
} from './portalProcesses';

const ROWS = Number(process.env.BENCH_LOG_ROWS ?? 1_020_000);
const SAMPLES = Number(process.env.BENCH_LOG_SAMPLES ?? 30);
// A first call of the chart counts every hour again, and an export reads every failed message:
// fewer of those keep the run within minutes.
const SLOW_SAMPLES = Number(process.env.BENCH_LOG_SLOW_SAMPLES ?? 5);
const WARMUPS = 3;
// Leaves the seeded database behind, to try indexes and queries on by hand (drop it after).
const KEEP_DATABASE = process.env.BENCH_LOG_KEEP_DATABASE === '1';
const TARGET_MS = 50;
const DAY_MS = 24 * 3600_000;

// The seeded log.
const DAYS = 30;
const QUEUED = 300;
const FAILED_SHARE = 0.02;
const ADDRESSES = 5000;
const BOB = 'bob@example.com';
const BOB_MESSAGES = 40;
const RARE_CALLER = 'plugin:security-audit';
const CATEGORY = 'approval';
// Subjects carry a project name made of two syllables (400 of them, evenly used) and words of a
// vocabulary where the first are the most used.
const RARE_WORD = 'kova';
const COMMON_WORD = 'build';
const SYLLABLES =
  'ko va lu mi ra te so ne pa di ga ho ju be fi ze wo ty xa qu'.split(' ');
const VOCABULARY = (
  'build failed weekly digest approval request deploy release review reminder incident ' +
  'resolved password reset welcome onboarding invoice report security alert quota backup ' +
  'template catalog docs merge meeting expense vacation payroll kubernetes database ' +
  'certificate expiring pipeline scorecard ownership migration outage maintenance'
).split(' ');

/** The log's filters as GET /messages reads them (see messagesRouter's criteriaOf). */
function criteriaOf(query: URLSearchParams): DeliveryLogCriteria {
  const date = (name: string) =>
    query.has(name) ? new Date(query.get(name)!) : undefined;
  return {
    status: (query.get('status') ?? undefined) as DeliveryLogCriteria['status'],
    caller: query.get('caller') ?? undefined,
    category: query.get('category') ?? undefined,
    recipient: query.get('recipient') ?? undefined,
    words: query.get('q') ?? undefined,
    from: date('from'),
    to: date('to'),
  };
}

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

/** Starts the backend as it runs in production, in a process of its own (bench/portal.ts). */
async function startPortal() {
  const {
    db,
    ports: [port],
    stop,
  } = await startPortalProcesses({
    name: 'bench_log',
    emailProvider: {
      // The oldest seeded messages are 30 days old: the purge must not take them mid-run.
      delivery: { retention: { days: DAYS + 1 } },
      // Without a provider the seeded failures would raise the delivery alert mid-table.
      alerts: { enabled: false },
    },
    pool: { min: 0, max: 4 },
    keepDatabase: KEEP_DATABASE,
  });
  const authorization = mockCredentials.user.header(BENCH_ADMIN);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (route: string) =>
    new Promise<{ body: Buffer; ms: number }>((resolve, reject) => {
      const started = performance.now();
      const request = http.request(
        {
          agent,
          host: '127.0.0.1',
          port,
          path: `/api/email-provider${route}`,
          headers: { authorization },
        },
        response => {
          const chunks: Buffer[] = [];
          response.on('data', chunk => chunks.push(chunk));
          response.on('end', () => {
            const body = Buffer.concat(chunks);
            if (response.statusCode !== 200) {
              reject(
                new Error(
                  `GET ${route} answered ${response.statusCode}: ${body}`,
                ),
              );
            } else {
              resolve({ body, ms: performance.now() - started });
            }
          });
        },
      );
      request.on('error', reject);
      request.end();
    });
  return {
    db,
    get,
    stop: async () => {
      agent.destroy();
      await stop();
    },
  };
}

type Portal = Awaited<ReturnType<typeof startPortal>>;

/**
 * A busy portal's month of mail, written with SQL. Recipients are the product's keyed hashes of
 * a pool of addresses; `bob` is among the recipients of {@link BOB_MESSAGES} messages.
 */
async function seed(db: Knex, hasher: RecipientHasher) {
  const addresses = [
    { n: -1, hash: hasher.hashAll([BOB])[0] },
    ...Array.from({ length: ADDRESSES }, (_, n) => ({
      n,
      hash: hasher.hashAll([`person${n}@example.com`])[0],
    })),
  ];
  const end = Date.now();
  const start = end - DAYS * DAY_MS;
  await db.transaction(async trx => {
    await trx.raw(`set local maintenance_work_mem = '512MB'`);
    await trx.raw(`set local work_mem = '256MB'`);
    await trx.raw(`select setseed(0.18)`);
    await trx.raw(
      `create temporary table bench_addresses (n integer primary key, hash text not null) on commit drop`,
    );
    await db.batchInsert('bench_addresses', addresses, 1000).transacting(trx);
    // What messages and recipients share. Times follow a day and night cycle (four times as
    // many at the busiest hour as at the quietest); the newest are still queued.
    await trx.raw(
      `create temporary table bench_plan on commit drop as
       select i,
         md5('bench-log-' || i)::uuid::text as id,
         to_timestamp((${start} + (x - 0.6 * sin(2 * pi() * ${DAYS} * x) / (2 * pi() * ${DAYS})) * ${
        end - start
      }) / 1000.0) as created_at,
         case when i > ${ROWS - QUEUED} then 'queued'
              when random() < ${FAILED_SHARE} then 'failed'
              else 'sent' end as status,
         case when random() < 0.0002 then 2000 else 1 + floor(random() * 3)::int end as recipients_count,
         i % ${Math.floor(ROWS / BOB_MESSAGES)} = 7 as to_bob
       from (select i, i::float8 / ${ROWS} as x from generate_series(1, ${ROWS}) i) s`,
    );
    // Indexes and keys built once over the loaded rows instead of row by row, with the same
    // definitions, read from the catalog; the foreign key last, checked then.
    const tables = `('${MESSAGES}'::regclass, '${RECIPIENTS}'::regclass)`;
    const constraints: {
      rows: Array<{ name: string; tableName: string; definition: string }>;
    } = await trx.raw(
      `select conname as name, conrelid::regclass::text as "tableName",
         pg_get_constraintdef(oid) as definition
       from pg_constraint
       where conrelid in ${tables} and contype in ('p', 'u', 'f')
       order by contype = 'f' desc`,
    );
    const indexes: { rows: Array<{ name: string; definition: string }> } =
      await trx.raw(
        `select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as definition
         from pg_index
         where indrelid in ${tables}
           and not exists (select 1 from pg_constraint c where c.conindid = indexrelid)`,
      );
    for (const { name, tableName } of constraints.rows) {
      await trx.raw(`alter table ${tableName} drop constraint ${name}`);
    }
    for (const { name } of indexes.rows) {
      await trx.raw(`drop index ${name}`);
    }
    const planned = performance.now();
    await trx.raw(
      `insert into ${MESSAGES} (
         id, caller, category, subject, recipients_count, size_bytes, message_id, status, payload,
         attempts, next_attempt_at, expires_at, last_attempt_at, provider, last_error_code,
         last_error_message, last_provider_reply, created_at, updated_at, sent_at, last_failed_at)
       select p.id, m.caller, m.category, m.subject, p.recipients_count, m.size_bytes,
         '<' || p.id || '@portal.example>', p.status,
         case when p.status = 'sent' then null
              else json_build_object('to', json_build_array('person' || (p.i % ${ADDRESSES}) || '@example.com'),
                     'subject', m.subject, 'text', repeat('The report you asked for. ', 20))::text end,
         m.attempts,
         case when p.status = 'queued' then p.created_at else p.created_at + interval '30 seconds' * (m.attempts - 1) end,
         p.created_at + interval '24 hours',
         case when p.status = 'queued' or m.code = 'expired' then null
              else p.created_at + interval '30 seconds' * (m.attempts - 1) + interval '200 milliseconds' end,
         case when p.status = 'queued' then null when m.r < 0.85 then 'smtp' else 'microsoft365' end,
         m.code,
         case m.code
           when 'recipient-rejected' then 'The server refused the recipient'
           when 'timeout' then 'The server did not answer in time'
           when 'provider-unavailable' then 'The server could not be reached'
           when 'throttled' then 'The provider asked to slow down and the message ran out of attempts'
           when 'expired' then 'Not sent in time: no email provider was active, or every attempt failed. Check the provider and retry the message.'
         end,
         case m.code when 'recipient-rejected' then '550 5.1.1 <person' || (p.i % ${ADDRESSES}) || '@example.com>: Recipient address rejected: User unknown' end,
         p.created_at,
         case p.status
           when 'queued' then p.created_at
           when 'sent' then p.created_at + interval '30 seconds' * (m.attempts - 1) + interval '1 second' * m.r
           else p.created_at + interval '30 seconds' * m.attempts end,
         case when p.status = 'sent' then p.created_at + interval '30 seconds' * (m.attempts - 1) + interval '1 second' * m.r end,
         case when p.status = 'failed' then p.created_at + interval '30 seconds' * m.attempts
              when m.attempts > 1 then p.created_at + interval '30 seconds' end
       from bench_plan p
       cross join lateral (
         select f.*,
           case when p.status = 'failed' and f.code = 'recipient-rejected' then 1
                when p.status = 'failed' then 5
                when p.status = 'sent' and f.r < 0.01 then 2
                when p.status = 'sent' then 1
                else 0 end as attempts
         from (select
           case when r1 < 0.45 then 'plugin:notifications' when r1 < 0.65 then 'plugin:catalog'
                when r1 < 0.80 then 'plugin:scaffolder' when r1 < 0.90 then 'plugin:techdocs'
                when r1 < 0.998 then 'plugin:jira-reports' else :rareCaller end as caller,
           case when r2 < 0.2 then null
                else (array['digest', 'notification', 'reminder', 'approval', 'alert', 'report',
                            'welcome', 'password-reset', 'invoice', 'incident'])[1 + floor(power(r3, 1.5) * 10)::int] end
             as category,
           initcap(v[1 + floor(power(r4, 2) * vl)::int]) || ' ' || v[1 + floor(power(r5, 2) * vl)::int]
             || ' for ' || s[1 + floor(r6 * 20)::int] || s[1 + floor(r7 * 20)::int] || ': '
             || v[1 + floor(power(r8, 2) * vl)::int] || ' #' || (p.i % 100000) as subject,
           case when p.recipients_count > 3 then 250000 else 2000 + floor(r9 * 48000)::int end as size_bytes,
           case when p.status <> 'failed' then null
                when r10 < 0.45 then 'recipient-rejected' when r10 < 0.65 then 'timeout'
                when r10 < 0.80 then 'provider-unavailable' when r10 < 0.92 then 'throttled'
                else 'expired' end as code,
           r11 as r
         from (select random() + 0 * p.i as r1, random() as r2, random() as r3, random() as r4,
                 random() as r5, random() as r6, random() as r7, random() as r8, random() as r9,
                 random() as r10, random() as r11,
                 :vocabulary::text[] as v, array_length(:vocabulary::text[], 1) as vl,
                 :syllables::text[] as s) r
         ) f
       ) m
       order by p.created_at`,
      {
        rareCaller: RARE_CALLER,
        vocabulary: VOCABULARY,
        syllables: SYLLABLES,
      },
    );
    console.log(
      `  messages written in ${((performance.now() - planned) / 1000).toFixed(
        0,
      )} s`,
    );
    const written = performance.now();
    await trx.raw(
      `insert into ${RECIPIENTS} (message_id, recipient_hash, created_at)
       select p.id, a.hash, p.created_at
       from bench_plan p
       cross join lateral generate_series(0, p.recipients_count - 1) j
       join bench_addresses a
         on a.n = case when p.to_bob and j = 0 then -1 else (p.i::bigint * 7919 + j) % ${ADDRESSES} end
       order by p.created_at`,
    );
    console.log(
      `  recipients written in ${((performance.now() - written) / 1000).toFixed(
        0,
      )} s`,
    );
    const loaded = performance.now();
    for (const { name, tableName, definition } of [
      ...constraints.rows,
    ].reverse()) {
      await trx.raw(
        `alter table ${tableName} add constraint ${name} ${definition}`,
      );
    }
    for (const { definition } of indexes.rows) {
      await trx.raw(definition);
    }
    console.log(
      `  ${constraints.rows.length} keys and ${
        indexes.rows.length
      } indexes built in ${((performance.now() - loaded) / 1000).toFixed(0)} s`,
    );
  });
  const seeded = await db.raw(`select status, count(*)::int as count
    from ${MESSAGES} group by status order by status`);
  const [{ recipients }] = await db(RECIPIENTS).count({
    recipients: '*',
  });
  return {
    statuses: Object.fromEntries(
      (seeded.rows as Array<{ status: string; count: number }>).map(row => [
        row.status,
        row.count,
      ]),
    ),
    recipients: Number(recipients),
  };
}

type RouteCase = {
  label: string;
  /** The route, worked out just before it is timed: cursors come from the log as it is then. */
  route: () => Promise<string>;
  /** Before each request, such as forgetting the chart's stored hours for a first call. */
  before?: () => Promise<void>;
  samples?: number;
  /** Not held to the target: an export streams the whole filter. */
  streams?: true;
};

type Timing = {
  p50: number;
  p95: number;
  /** totalCount of a page of the log (capped), or rows and throughput of an export. */
  detail: string;
  route: string;
};

async function time(portal: Portal, routeCase: RouteCase): Promise<Timing> {
  const route = await routeCase.route();
  for (let i = 0; i < WARMUPS; i++) {
    await routeCase.before?.();
    await portal.get(route);
  }
  const times: number[] = [];
  let body: Buffer = Buffer.alloc(0);
  for (let i = 0; i < (routeCase.samples ?? SAMPLES); i++) {
    await routeCase.before?.();
    const response = await portal.get(route);
    times.push(response.ms);
    body = response.body;
  }
  const p50 = percentile(times, 50);
  let detail = '';
  if (route.startsWith('/messages/export.csv')) {
    const rows = body.toString('utf8').trimEnd().split('\n').length - 1;
    detail = `${rows} rows, ${(body.length / 1024 / 1024).toFixed(1)} MB: ${(
      rows /
      (p50 / 1000)
    ).toFixed(0)} rows/s, ${(body.length / 1024 / 1024 / (p50 / 1000)).toFixed(
      1,
    )} MB/s`;
  } else if (route.startsWith('/messages')) {
    const page = JSON.parse(body.toString('utf8'));
    detail = `${page.totalCount}${page.totalCountCapped ? '+' : ''} match`;
  }
  return { p50, p95: percentile(times, 95), detail, route };
}

/** The cursor of the page `depth` pages after the first, following nextCursor. */
async function cursorAfter(portal: Portal, depth: number, filter = '') {
  let cursor: string | undefined;
  for (let page = 0; page < depth; page++) {
    const { body } = await portal.get(
      `/messages?limit=50${filter}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    cursor = JSON.parse(body.toString('utf8')).nextCursor;
    if (!cursor) {
      // An empty log has no next page: a cursor from now reads the same index range.
      return Buffer.from(
        `${Date.now()}.00000000-0000-4000-8000-000000000000`,
      ).toString('base64url');
    }
  }
  return cursor!;
}

function routeCases(portal: Portal, oneHour: { from: Date; to: Date }) {
  const fixed = (route: string) => async () => route;
  const forgetHours = async () => {
    await portal.db(HOURS).delete();
  };
  const cases: RouteCase[] = [
    { label: 'GET /messages?limit=50', route: fixed('/messages?limit=50') },
    {
      label: '  ?status=failed',
      route: fixed('/messages?limit=50&status=failed'),
    },
    {
      label: `  ?caller=${RARE_CALLER}`,
      route: fixed(`/messages?limit=50&caller=${RARE_CALLER}`),
    },
    {
      label: `  ?category=${CATEGORY}`,
      route: fixed(`/messages?limit=50&category=${CATEGORY}`),
    },
    {
      label: `  ?q=${RARE_WORD} (a project name)`,
      route: fixed(`/messages?limit=50&q=${RARE_WORD}`),
    },
    {
      label: `  ?q=${COMMON_WORD} (the most used word)`,
      route: fixed(`/messages?limit=50&q=${COMMON_WORD}`),
    },
    {
      label: `  ?recipient=${BOB}`,
      route: fixed(`/messages?limit=50&recipient=${encodeURIComponent(BOB)}`),
    },
    {
      label: '  ?from&to (one hour, 3 days ago)',
      route: fixed(
        `/messages?limit=50&from=${oneHour.from.toISOString()}&to=${oneHour.to.toISOString()}`,
      ),
    },
    {
      label: '  next page (cursor)',
      route: async () =>
        `/messages?limit=50&cursor=${await cursorAfter(portal, 1)}`,
    },
    {
      label: '  21st page (20 cursors in)',
      route: async () =>
        `/messages?limit=50&cursor=${await cursorAfter(portal, 20)}`,
    },
    {
      label: '  ?status=failed, 21st page',
      route: async () =>
        `/messages?limit=50&status=failed&cursor=${await cursorAfter(
          portal,
          20,
          '&status=failed',
        )}`,
    },
    { label: 'GET /summary', route: fixed('/summary') },
    {
      label: 'GET /stats?bucket=hour, first call',
      route: fixed('/stats?bucket=hour'),
      before: forgetHours,
      samples: SLOW_SAMPLES,
    },
    {
      label: 'GET /stats?bucket=day, first call',
      route: fixed('/stats?bucket=day'),
      before: forgetHours,
      samples: SLOW_SAMPLES,
    },
    {
      label: 'GET /stats?bucket=hour, warm',
      route: fixed('/stats?bucket=hour'),
    },
    { label: 'GET /stats?bucket=day, warm', route: fixed('/stats?bucket=day') },
    {
      label: 'GET /messages/export.csv?status=failed',
      route: fixed('/messages/export.csv?status=failed'),
      samples: SLOW_SAMPLES,
      streams: true,
    },
  ];
  return cases;
}

/**
 * The SQL a route sends, read through the product's classes in this process: what the router
 * calls for it, with every statement knex sends recorded.
 */
async function statementsOf(
  db: Knex,
  log: DeliveryLog,
  store: DatabaseOutboxStore,
  route: string,
) {
  const statements: Array<{ sql: string; bindings: unknown[] }> = [];
  const record = (query: { sql: string; bindings?: unknown[] }) =>
    statements.push({ sql: query.sql, bindings: query.bindings ?? [] });
  db.on('query', record);
  try {
    const url = new URL(route, 'http://bench');
    if (url.pathname === '/summary') {
      await store.summary();
    } else if (url.pathname === '/stats') {
      await log.stats({
        bucket: url.searchParams.get('bucket') as 'hour' | 'day',
      });
    } else if (url.pathname === '/messages/export.csv') {
      const batches = log.records(criteriaOf(url.searchParams));
      while (!(await batches.next()).done) {
        // Each batch is one statement, recorded as it is sent.
      }
    } else {
      await log.list(criteriaOf(url.searchParams), {
        limit: Number(url.searchParams.get('limit') ?? 50),
        cursor: url.searchParams.get('cursor') ?? undefined,
      });
    }
  } finally {
    db.off('query', record);
  }
  return statements;
}

type ExplainedStatement = {
  sql: string;
  bindings: unknown[];
  /** EXPLAIN (ANALYZE, BUFFERS), or none for a statement that writes. */
  plan?: string[];
  executionMs: number;
};

/** EXPLAIN (ANALYZE, BUFFERS) of each SELECT a route sends. */
async function explain(
  db: Knex,
  statements: Array<{ sql: string; bindings: unknown[] }>,
): Promise<ExplainedStatement[]> {
  const explained: ExplainedStatement[] = [];
  for (const { sql, bindings } of statements) {
    if (!/^\s*select/i.test(sql)) {
      explained.push({ sql, bindings, executionMs: 0 });
      continue;
    }
    // On a connection of knex's own, which takes the statement as knex sent it ($1, $2...).
    const connection = await db.client.acquireConnection();
    let rows: Array<Record<string, string>>;
    try {
      ({ rows } = await connection.query(
        `explain (analyze, buffers) ${sql}`,
        bindings,
      ));
    } finally {
      await db.client.releaseConnection(connection);
    }
    const plan = rows.map(row => row['QUERY PLAN']);
    const execution = plan.find(line => line.startsWith('Execution Time'));
    explained.push({
      sql,
      bindings,
      plan,
      executionMs: Number(/([\d.]+) ms/.exec(execution ?? '')?.[1] ?? 0),
    });
  }
  return explained;
}

/** Each statement in a line, and the plans of those that take a while in full. */
function describePlans(statements: ExplainedStatement[]) {
  const reads = statements.filter(statement => statement.plan);
  const writes = statements.length - reads.length;
  // An export sends a statement a batch: the slowest two say enough.
  const shown =
    reads.length > 4
      ? [...reads].sort((a, b) => b.executionMs - a.executionMs).slice(0, 2)
      : reads;
  const total = reads.reduce(
    (sum, statement) => sum + statement.executionMs,
    0,
  );
  return [
    ...(shown.length < reads.length
      ? [
          `  ${reads.length} statements, ${total.toFixed(
            1,
          )} ms in all; the slowest two:`,
        ]
      : []),
    ...shown.flatMap(({ sql, bindings, plan, executionMs }) => {
      const oneLine = sql.replace(/\s+/g, ' ');
      return [
        `  ${executionMs.toFixed(1)} ms: ${plan![0].trim()}`,
        `    SQL: ${oneLine.slice(0, 400)}${oneLine.length > 400 ? '...' : ''}`,
        `    bindings: ${JSON.stringify(bindings).slice(0, 200)}`,
        ...(executionMs >= 5 ? plan!.map(line => `      ${line}`) : []),
      ];
    }),
    ...(writes > 0
      ? [`  and ${writes} insert(s) of the settled hours, not explained`]
      : []),
  ];
}

const loadAverage = () =>
  os
    .loadavg()
    .map(load => load.toFixed(1))
    .join(' ');

async function main() {
  const started = performance.now();
  const startLoad = loadAverage();
  const elapsed = () =>
    `${((performance.now() - started) / 1000).toFixed(0)} s`;
  const hasher = RecipientHasher.fromCipher(
    SecretCipher.fromConfig(
      new ConfigReader({
        emailProvider: { encryption: { key: BENCH_ENCRYPTION_KEY } },
      }),
      { logger: mockServices.rootLogger({ level: 'none' }) },
    ),
  );
  const portal = await startPortal();
  try {
    console.log(`backend started (${elapsed()})`);
    const hourStart =
      Math.floor((Date.now() - 3 * DAY_MS) / 3600_000) * 3600_000;
    const oneHour = {
      from: new Date(hourStart),
      to: new Date(hourStart + 3600_000),
    };
    const cases = routeCases(portal, oneHour);

    const empty: Timing[] = [];
    for (const routeCase of cases) {
      empty.push(await time(portal, routeCase));
    }
    // The empty log's hours were stored as settled; the seeded messages fall in them.
    await portal.db(HOURS).delete();
    console.log(`empty log timed (${elapsed()})`);

    const seeded = await seed(portal.db, hasher);
    console.log(
      `seeded ${JSON.stringify(seeded.statuses)}, ${
        seeded.recipients
      } recipient rows (${elapsed()})`,
    );
    // A month-old table has been vacuumed: the visibility map lets index-only scans skip the heap.
    await portal.db.raw(`vacuum (analyze) ${MESSAGES}`);
    await portal.db.raw(`vacuum (analyze) ${RECIPIENTS}`);
    console.log(`vacuumed and analyzed (${elapsed()})`);

    // The seeded hashes must be the ones the backend computes, or the recipient filter is not
    // measured at all.
    const bob = JSON.parse(
      (
        await portal.get(
          `/messages?limit=50&recipient=${encodeURIComponent(BOB)}`,
        )
      ).body.toString('utf8'),
    );
    const [{ bobSeeded }] = await portal
      .db(RECIPIENTS)
      .where('recipient_hash', hasher.hashAll([BOB])[0])
      .count({ bobSeeded: '*' });
    if (bob.totalCount !== Number(bobSeeded) || bob.totalCount === 0) {
      throw new Error(
        `GET /messages?recipient=${BOB} found ${bob.totalCount} messages, ${bobSeeded} were seeded: the hashes differ from the backend's`,
      );
    }

    const full: Timing[] = [];
    for (const routeCase of cases) {
      full.push(await time(portal, routeCase));
    }
    console.log(`${ROWS} rows timed (${elapsed()})`);

    // The SQL behind each route, sent through the product's classes here, then explained.
    const log = new DeliveryLog(portal.db, hasher);
    const store = new DatabaseOutboxStore(portal.db);
    const plans: ExplainedStatement[][] = [];
    for (const [index, routeCase] of cases.entries()) {
      await routeCase.before?.();
      plans.push(
        await explain(
          portal.db,
          await statementsOf(portal.db, log, store, full[index].route),
        ),
      );
    }
    console.log(`explained (${elapsed()}); load average ${loadAverage()}\n`);

    const rowsLabel = `${(ROWS / 1e6).toFixed(2)}M`;
    const header = [
      'route'.padEnd(42),
      'empty p50'.padStart(10),
      `${rowsLabel} p50`.padStart(10),
      `${rowsLabel} p95`.padStart(10),
      'SQL'.padStart(10),
      '  target',
      '  verdict',
      '    ',
    ].join('');
    const table = [header, '-'.repeat(header.length + 30)];
    const over: number[] = [];
    cases.forEach((routeCase, index) => {
      const { p50, p95, detail } = full[index];
      let verdict = 'n/a';
      if (!routeCase.streams) {
        verdict = p95 < TARGET_MS ? 'OK' : 'over';
        if (p50 < TARGET_MS && p95 >= TARGET_MS) verdict = 'over (p95)';
      }
      if (p95 >= TARGET_MS) over.push(index);
      table.push(
        [
          routeCase.label.padEnd(42),
          `${empty[index].p50.toFixed(1)} ms`.padStart(10),
          `${p50.toFixed(1)} ms`.padStart(10),
          `${p95.toFixed(1)} ms`.padStart(10),
          `${plans[index]
            .reduce((sum, statement) => sum + statement.executionMs, 0)
            .toFixed(1)} ms`.padStart(10),
          routeCase.streams ? '  stream' : '  <50 ms',
          `  ${verdict}`.padEnd(13),
          detail,
        ].join(''),
      );
    });
    console.log(table.join('\n'));
    console.log(
      [
        '',
        `${SAMPLES} requests a route (${SLOW_SAMPLES} for first calls of /stats and the export) after ${WARMUPS} to warm up, one at a time.`,
        `SQL: the execution times EXPLAIN ANALYZE gives for the statements of one request, added up (a page's rows and count run side by side).`,
        `Whole run ${elapsed()}; load average at the start ${startLoad}, at the end ${loadAverage()} (${os.availableParallelism()} cores).`,
      ].join('\n'),
    );

    if (over.length > 0) {
      console.log(
        `\nEXPLAIN (ANALYZE, BUFFERS) of the routes over ${TARGET_MS} ms (statements over 5 ms in full):`,
      );
      for (const index of over) {
        console.log(`\n${cases[index].label.trim()}  (${full[index].route})`);
        console.log(describePlans(plans[index]).join('\n'));
      }
    }
  } finally {
    await portal.stop();
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
