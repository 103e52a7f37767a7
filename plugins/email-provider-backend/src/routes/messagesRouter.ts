import { AuditorService, HttpAuthService } from '@backstage/backend-plugin-api';
import {
  emailProviderDeliveriesReadPermission,
  emailProviderSettingsUpdatePermission,
  sendEmailRequestSchema,
  SendEmailResponse,
} from '@email-provider/backstage-plugin-email-provider-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { DatabaseOutboxStore } from '../delivery/DatabaseOutboxStore';
import { DeliveryOptions } from '../delivery/DeliveryOptions';
import { OutboxIntake } from '../delivery/OutboxIntake';
import { AdminAccess } from './AdminAccess';
import { parseInput } from './parseInput';
import { JsonBodyReader } from './JsonBodyReader';

const listQuerySchema = z.strictObject({
  status: z.enum(['queued', 'sending', 'sent', 'failed']).optional(),
  caller: z.string().max(255).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * The outbox API: other plugins store messages (`POST /messages`, service principals only),
 * admins read the delivery log and re-queue failed messages.
 */
export function createMessagesRouter(options: {
  store: DatabaseOutboxStore;
  intake: OutboxIntake;
  deliveryOptions: DeliveryOptions;
  httpAuth: HttpAuthService;
  access: AdminAccess;
  auditor: AuditorService;
  onEnqueued: () => void;
}): express.Router {
  const { store, intake, deliveryOptions, httpAuth, access, auditor } = options;
  const router = Router();

  // Base64 grows attachments by a third; the intake checks the decoded size against the limit.
  // Only a service principal's body is read that far.
  const messageBody = new JsonBodyReader({
    limitBytes: Math.ceil(deliveryOptions.maxMessageBytes * 1.4) + 1024 * 1024,
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
      const response: SendEmailResponse = await intake.accept(
        credentials.principal.subject,
        request,
      );
      res.status(202).json(response);
    },
  );

  router.get('/messages', async (req, res) => {
    await access.authorize(req, emailProviderDeliveriesReadPermission);
    const query = parseInput(listQuerySchema, req.query);
    res.json(
      await store.list({
        status: query.status,
        caller: query.caller,
        since: query.since ? new Date(query.since) : undefined,
        until: query.until ? new Date(query.until) : undefined,
        limit: query.limit,
        offset: query.offset,
      }),
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
      const record = await store.retry(
        req.params.id,
        deliveryOptions.expireAfterMs,
      );
      options.onEnqueued();
      await event.success();
      res.json(record);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.get('/summary', async (req, res) => {
    await access.authorize(req, emailProviderDeliveriesReadPermission);
    res.json(await store.summary());
  });

  return router;
}
