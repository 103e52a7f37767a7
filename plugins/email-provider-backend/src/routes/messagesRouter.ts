import {
  AuditorService,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  deliveryLogFilterSchema,
  deliveryLogQuerySchema,
  deliveryStatsQuerySchema,
  emailProviderDeliveriesReadPermission,
  emailProviderSettingsUpdatePermission,
  sendEmailBatchRequestSchema,
  SendEmailBatchResult,
  sendEmailRequestSchema,
  SendEmailResponse,
} from '@email-provider/backstage-plugin-email-provider-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { DatabaseOutboxStore } from '../delivery/DatabaseOutboxStore';
import {
  DeliveryOptions,
  maxMessageBodyBytes,
} from '../delivery/DeliveryOptions';
import { DeliveryLog, DeliveryLogCriteria } from '../deliveryLog/DeliveryLog';
import { writeDeliveryCsv } from '../deliveryLog/deliveryCsv';
import { Outbox } from '../delivery/Outbox';
import { AdminAccess } from './AdminAccess';
import { parseInput } from './parseInput';
import { JsonBodyReader } from './JsonBodyReader';
import { acceptMessageBatch } from './messageBatch';

/** The log's query without paging: the export is all of it. */
const exportQuerySchema = deliveryLogQuerySchema.omit({
  limit: true,
  offset: true,
  cursor: true,
});

const optionalDate = (value: string | undefined) =>
  value === undefined ? undefined : new Date(value);

function criteriaOf(
  filter: z.output<typeof deliveryLogFilterSchema> & {
    since?: string;
    until?: string;
  },
): DeliveryLogCriteria {
  return {
    status: filter.status,
    caller: filter.caller,
    category: filter.category,
    recipient: filter.recipient,
    words: filter.q,
    from: optionalDate(filter.from ?? filter.since),
    to: optionalDate(filter.to ?? filter.until),
  };
}

/**
 * The outbox API: other plugins store messages (`POST /messages`, and many at once with
 * `POST /messages/batch`, service principals only), admins read the delivery log and re-queue
 * failed messages.
 */
export function createMessagesRouter(options: {
  outbox: Outbox;
  store: DatabaseOutboxStore;
  log: DeliveryLog;
  deliveryOptions: DeliveryOptions;
  httpAuth: HttpAuthService;
  access: AdminAccess;
  auditor: AuditorService;
  logger: LoggerService;
}): express.Router {
  const {
    outbox,
    store,
    log,
    deliveryOptions,
    httpAuth,
    access,
    auditor,
    logger,
  } = options;
  const router = Router();

  // Only a service principal's body is read that far.
  const messageBody = new JsonBodyReader({
    limitBytes: maxMessageBodyBytes(deliveryOptions.maxMessageBytes),
  });
  const batchBody = new JsonBodyReader({
    limitBytes: deliveryOptions.maxBatchBytes,
  });

  router.post(
    '/messages',
    async (req: express.Request, res: express.Response) => {
      const credentials = await httpAuth.credentials(req, {
        allow: ['service'],
      });
      const request = parseInput(
        sendEmailRequestSchema,
        await messageBody.read(req, res),
      );
      const response: SendEmailResponse = await outbox.accept(
        credentials.principal.subject,
        request,
      );
      res.status(202).json(response);
    },
  );

  // 200 whatever became of the messages: each has its outcome, in the order of the request.
  // Only the envelope (400), the caller (401, 403) or the body's size (413) fail it as a whole.
  router.post(
    '/messages/batch',
    async (req: express.Request, res: express.Response) => {
      const credentials = await httpAuth.credentials(req, {
        allow: ['service'],
      });
      const { messages } = parseInput(
        sendEmailBatchRequestSchema,
        await batchBody.read(req, res),
      );
      const result: SendEmailBatchResult = {
        results: await acceptMessageBatch({
          outbox,
          logger,
          caller: credentials.principal.subject,
          messages,
        }),
      };
      res.json(result);
    },
  );

  router.get('/messages', async (req, res) => {
    await access.authorize(req, emailProviderDeliveriesReadPermission);
    const query = parseInput(deliveryLogQuerySchema, req.query);
    res.json(
      await log.list(criteriaOf(query), {
        limit: query.limit,
        cursor: query.cursor,
        offset: query.offset,
      }),
    );
  });

  router.get('/messages/export.csv', async (req, res) => {
    await access.authorize(req, emailProviderDeliveriesReadPermission);
    const criteria = criteriaOf(parseInput(exportQuerySchema, req.query));
    const event = await auditor.createEvent({
      eventId: 'deliveries-export',
      severityLevel: 'medium',
      request: req,
      // The filter without the address: the audit log is no address book either.
      meta: {
        status: criteria.status ?? null,
        caller: criteria.caller ?? null,
        category: criteria.category ?? null,
        byRecipient: criteria.recipient !== undefined,
        q: criteria.words ?? null,
        from: criteria.from?.toISOString() ?? null,
        to: criteria.to?.toISOString() ?? null,
      },
    });
    await writeDeliveryCsv(res, log.records(criteria), {
      filename: `email-deliveries-${new Date().toISOString().slice(0, 10)}.csv`,
    }).then(
      rows => event.success({ meta: { rows } }),
      async error => {
        await event.fail({ error });
        throw error;
      },
    );
  });

  router.get('/messages/:id', async (req, res) => {
    await access.authorize(req, emailProviderDeliveriesReadPermission);
    res.json(await store.get(req.params.id));
  });

  router.post('/messages/:id/retry', async (req, res) => {
    const event = await auditor.createEvent({
      eventId: 'message-retry',
      severityLevel: 'low',
      request: req,
      meta: { id: req.params.id },
    });
    try {
      await access.authorize(req, emailProviderSettingsUpdatePermission);
      const record = await outbox.retry(req.params.id);
      await event.success();
      res.json(record);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.get('/stats', async (req, res) => {
    await access.authorize(req, emailProviderDeliveriesReadPermission);
    const query = parseInput(deliveryStatsQuerySchema, req.query);
    res.json(
      await log.stats({
        bucket: query.bucket,
        since: optionalDate(query.since),
        until: optionalDate(query.until),
      }),
    );
  });

  router.get('/summary', async (req, res) => {
    await access.authorize(req, emailProviderDeliveriesReadPermission);
    res.json(await store.summary());
  });

  return router;
}
