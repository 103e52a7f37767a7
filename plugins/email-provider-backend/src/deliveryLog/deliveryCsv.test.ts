import { TestDatabases } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import type { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import express from 'express';
import { Knex } from 'knex';
import request from 'supertest';
import {
  deliveryLogDatabase,
  WORKER,
} from '../__testUtils__/deliveryLogDatabase';
import { DeliveryLogCriteria } from './DeliveryLog';
import { writeDeliveryCsv } from './deliveryCsv';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const BOB = 'bob@example.com';
const HEADER =
  'created_at,status,caller,category,subject,recipients,size_bytes,attempts,provider,sent_at,updated_at,error_code,error_message,message_id,id';
const BOM = '\uFEFF';
const CREATED = new Date('2026-12-10T09:00:00.000Z');
const DELIVERED = new Date('2026-12-10T09:05:00.000Z');
const BODY = 'The confidential body of the message';
const ATTACHMENT = 'secret-plan.pdf';

describe.each(databases.eachSupportedId())(
  'writeDeliveryCsv (%s)',
  databaseId => {
    let knex: Knex;
    let db: Awaited<ReturnType<typeof deliveryLogDatabase>>;
    let store: typeof db.store;
    let log: typeof db.log;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      db = await deliveryLogDatabase(knex);
      ({ store, log } = db);
    });

    /** A message as the intake makes it from a request with a body and an attachment. */
    function newMessage(fields: Partial<SendEmailRequest> = {}) {
      const sent: SendEmailRequest = {
        to: ['ada@example.com'],
        subject: 'Weekly report',
        text: BODY,
        attachments: [
          {
            filename: ATTACHMENT,
            contentType: 'application/pdf',
            contentBase64: Buffer.from(BODY).toString('base64'),
          },
        ],
        ...fields,
      };
      return db.queued(sent, { sizeBytes: 2000 });
    }

    async function enqueue(
      fields: Partial<SendEmailRequest> = {},
      createdAt = CREATED,
    ) {
      const [stored] = await store.enqueueAll([newMessage(fields)], createdAt);
      return stored.id;
    }

    /** The export as a client downloads it, bytes and all. */
    async function download(criteria: DeliveryLogCriteria = {}) {
      const outcome: { rows?: number; error?: Error; headersSent?: boolean } =
        {};
      const app = express();
      app.get('/deliveries.csv', async (_req, res, next) => {
        try {
          outcome.rows = await writeDeliveryCsv(res, log.records(criteria), {
            filename: 'deliveries-2026-12-10.csv',
          });
        } catch (error) {
          outcome.error = error as Error;
          outcome.headersSent = res.headersSent;
          next(error);
        }
      });
      const res = await request(app)
        .get('/deliveries.csv')
        .buffer(true)
        .parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => done(null, Buffer.concat(chunks)));
        });
      const bytes = res.body as Buffer;
      return { res, bytes, text: bytes.toString('utf8'), ...outcome };
    }

    it('writes a header and one row per message, as RFC 4180 quotes them, with a BOM', async () => {
      const weekly = await enqueue({
        subject: 'Weekly, "quarterly" report',
        category: 'weekly-report',
        to: ['ada@example.com', 'grace@example.com'],
      });
      const refused = await enqueue({ subject: 'To nobody', to: [BOB] });
      await db.claimAll(DELIVERED);
      await store.markAllSent([weekly], WORKER, 'smtp', DELIVERED);
      await store.markFailedAttempt(
        refused,
        WORKER,
        {
          provider: 'smtp',
          failure: {
            code: 'recipient-rejected',
            message: 'The server said:\n550 No such user',
            transient: false,
          },
        },
        DELIVERED,
      );
      const records = (await log.list({}, { limit: 10 })).items;
      const weeklyRecord = records.find(r => r.id === weekly)!;
      const refusedRecord = records.find(r => r.id === refused)!;

      const { res, bytes, text, rows } = await download();
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        'attachment; filename="deliveries-2026-12-10.csv"',
      );
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(rows).toBe(2);
      const created = CREATED.toISOString();
      const delivered = DELIVERED.toISOString();
      // Messages created at the same time come in the order of their ids, as in the log.
      const lines = {
        [weekly]: `${created},sent,plugin:reports,weekly-report,"Weekly, ""quarterly"" report",2,2000,1,smtp,${delivered},${delivered},,,${weeklyRecord.messageId},${weekly}`,
        [refused]: `${created},failed,plugin:reports,,To nobody,1,2000,1,smtp,,${delivered},recipient-rejected,"The server said:\n550 No such user",${refusedRecord.messageId},${refused}`,
      };
      expect(text).toBe(
        `${BOM}${HEADER}\r\n${records.map(r => lines[r.id]).join('\r\n')}\r\n`,
      );
    });

    it('escapes a subject that a spreadsheet would run as a formula', async () => {
      const subjects = [
        '=HYPERLINK("https://evil.example","Open")',
        '+1+2',
        '-3+4',
        '@SUM(A1:A9)',
        'Fine = fine',
      ];
      for (const [index, subject] of subjects.entries()) {
        await enqueue({ subject }, new Date(CREATED.getTime() + index));
      }
      const { text } = await download();
      const cells = text
        .split('\r\n')
        .slice(1, -1)
        .map(line => line.split(',queued,plugin:reports,,')[1])
        .map(rest => rest.slice(0, rest.lastIndexOf(',1,2000,0,')));
      expect(cells).toEqual([
        'Fine = fine',
        "'@SUM(A1:A9)",
        "'-3+4",
        "'+1+2",
        `"'=HYPERLINK(""https://evil.example"",""Open"")"`,
      ]);
    });

    it('leaves out bodies, attachments and addresses', async () => {
      await enqueue({ to: [BOB], cc: ['grace@example.com'] });
      const { text, rows } = await download();
      expect(rows).toBe(1);
      for (const secret of [BODY, ATTACHMENT, BOB, 'grace@', 'ada@']) {
        expect(text).not.toContain(secret);
      }
    });

    it('streams every message of a log longer than a batch, once, newest first', async () => {
      const count = 2345;
      for (let first = 0; first < count; first += 400) {
        await store.enqueueAll(
          Array.from({ length: Math.min(400, count - first) }, (_, i) =>
            newMessage({ subject: `Report ${first + i}` }),
          ),
          new Date(CREATED.getTime() + first * 1000),
        );
      }
      const { text, rows } = await download();
      expect(rows).toBe(count);
      expect(text.indexOf(BOM, 1)).toBe(-1);
      const lines = text.split('\r\n');
      expect(lines.filter(line => line.includes(HEADER))).toHaveLength(1);
      expect(lines.at(-1)).toBe('');
      const exported = lines.slice(1, -1).map(line => line.split(',').at(-1));
      const expected: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await log.list({}, { limit: 200, cursor });
        expected.push(...page.items.map(item => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(expected).toHaveLength(count);
      expect(exported).toEqual(expected);
    });

    it('exports only what the filter matches', async () => {
      const toBob = await enqueue({ subject: 'For Bob', to: [BOB] });
      const weekly = await enqueue({
        subject: 'For Ada',
        category: 'weekly-report',
      });
      await db.claimAll(DELIVERED);
      await store.markAllSent([weekly], WORKER, 'smtp', DELIVERED);
      await store.release(WORKER, [], DELIVERED);

      const byRecipient = await download({ recipient: 'BOB@example.com' });
      expect(byRecipient.rows).toBe(1);
      expect(byRecipient.text).toContain(toBob);
      expect(byRecipient.text).not.toContain(weekly);
      const sent = await download({ status: 'sent', words: 'ada' });
      expect(sent.rows).toBe(1);
      expect(sent.text).toContain(weekly);
      const none = await download({ category: 'monthly-report' });
      expect(none.rows).toBe(0);
      expect(none.text).toBe(`${BOM}${HEADER}\r\n`);
    });

    it('fails before writing anything when the filter is refused', async () => {
      const { res, error, headersSent } = await download({ words: '?!' });
      expect(error).toBeInstanceOf(InputError);
      expect(headersSent).toBe(false);
      expect(res.headers['content-disposition']).toBeUndefined();
    });
  },
);
