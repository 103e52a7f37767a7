import { AuditorService, HttpAuthService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  emailProviderDeliveriesReadPermission,
  emailProviderSettingsUpdatePermission,
  sendEmailRequestSchema,
  SendEmailResponse,
} from '@internal/plugin-email-provider-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { DatabaseOutboxStore } from '../delivery/DatabaseOutboxStore';
import { DeliveryOptions } from '../delivery/DeliveryOptions';
import { countRecipients, measureRequest } from '../delivery/outboxMessages';
import { SettingsService } from '../settings/SettingsService';
import { AdminAccess } from './AdminAccess';
import { parseInput } from './parseInput';
import { rejectUnreadableJson } from './rejectUnreadableJson';
import { newMessageId } from './testEmail';

// A Graph request carries at most 4 MB, base64-encoded attachments included; larger messages
// need an upload session and the Mail.ReadWrite permission.
const GRAPH_REQUEST_LIMIT = 4 * 1024 * 1024;
const GRAPH_ENVELOPE_ALLOWANCE = 64 * 1024;

const listQuerySchema = z.strictObject({
  status: z.enum(['queued', 'sending', 'sent', 'failed']).optional(),
  caller: z.string().max(255).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * The outbox API: other plugins store messages (`POST /messages`, service principals only),
 * admins read the delivery log and re-queue failed messages.
 */
export function createMessagesRouter(options: {
  store: DatabaseOutboxStore;
  settings: SettingsService;
  deliveryOptions: DeliveryOptions;
  httpAuth: HttpAuthService;
  access: AdminAccess;
  auditor: AuditorService;
  onEnqueued: () => void;
}): express.Router {
  const { store, settings, deliveryOptions, httpAuth, access, auditor } =
    options;
  const router = Router();

  // Base64 grows attachments by a third; the decoded size is checked against the limit below.
  const jsonLimit =
    Math.ceil(deliveryOptions.maxMessageBytes * 1.4) + 1024 * 1024;

  router.post(
    '/messages',
    express.json({ limit: jsonLimit }),
    rejectUnreadableJson,
    async (req: express.Request, res: express.Response) => {
      const credentials = await httpAuth.credentials(req, {
        allow: ['service'],
      });
      const request = parseInput(sendEmailRequestSchema, req.body);
      const { totalBytes, attachmentBytes } = measureRequest(request);
      if (totalBytes > deliveryOptions.maxMessageBytes) {
        throw new InputError(
          `The message is ${megabytes(
            totalBytes,
          )}; the portal accepts at most ${megabytes(
            deliveryOptions.maxMessageBytes,
          )} (emailProvider.delivery.maxMessageSizeMb)`,
        );
      }
      const active = await settings.getActiveSender();
      if (!active) {
        throw new ConflictError(
          'No email provider is active; an admin must configure SMTP or Microsoft 365 under Email provider before plugins can send email',
        );
      }
      const graphBytes =
        Math.ceil(attachmentBytes / 3) * 4 +
        (totalBytes - attachmentBytes) +
        GRAPH_ENVELOPE_ALLOWANCE;
      if (
        active.provider === 'microsoft365' &&
        graphBytes > GRAPH_REQUEST_LIMIT
      ) {
        throw new InputError(
          `The message has ${megabytes(
            attachmentBytes,
          )} of attachments; Microsoft 365 takes about 3 MB in one message (4 MB per Graph request, base64 included). Send smaller attachments, or links to them`,
        );
      }
      const stored = await store.enqueue({
        caller: credentials.principal.subject,
        idempotencyKey: request.idempotencyKey,
        category: request.category,
        subject: request.subject,
        recipientsCount: countRecipients(request),
        sizeBytes: totalBytes,
        messageId: newMessageId(active.from),
        payload: JSON.stringify(request),
        expiresAfterMs: deliveryOptions.expireAfterMs,
      });
      if (stored.created) {
        options.onEnqueued();
      }
      const response: SendEmailResponse = {
        id: stored.id,
        status: stored.status,
      };
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
