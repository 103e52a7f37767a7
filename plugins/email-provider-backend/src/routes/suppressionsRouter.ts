import { AuditorService } from '@backstage/backend-plugin-api';
import {
  emailProviderDeliveriesReadPermission,
  emailProviderSettingsUpdatePermission,
  suppressionListQuerySchema,
} from '@email-provider/backstage-plugin-email-provider-common';
import express from 'express';
import Router from 'express-promise-router';
import { SuppressionStore } from '../suppressions/SuppressionStore';
import { AdminAccess } from './AdminAccess';
import { parseInput } from './parseInput';
import { maskAddress } from './unsubscribePage';

const DEFAULT_LIMIT = 50;

/**
 * The suppression list for admins: who unsubscribed from what (`GET /suppressions`, as the
 * delivery log is read), and taking an entry off it (`DELETE /suppressions/:id`, as a retry is
 * done), for an address that wants a list's mail again.
 */
export function createSuppressionsRouter(options: {
  suppressions: SuppressionStore;
  access: AdminAccess;
  auditor: AuditorService;
}): express.Router {
  const { suppressions, access, auditor } = options;
  const router = Router();

  router.get('/suppressions', async (req, res) => {
    await access.authorize(req, emailProviderDeliveriesReadPermission);
    const query = parseInput(suppressionListQuerySchema, req.query);
    res.setHeader('Cache-Control', 'no-store');
    res.json(
      await suppressions.list(
        { address: query.address, caller: query.caller, list: query.list },
        { limit: query.limit ?? DEFAULT_LIMIT, cursor: query.cursor },
      ),
    );
  });

  router.delete('/suppressions/:id', async (req, res) => {
    const event = await auditor.createEvent({
      eventId: 'suppression-remove',
      severityLevel: 'medium',
      request: req,
      meta: { id: req.params.id },
    });
    try {
      await access.authorize(req, emailProviderSettingsUpdatePermission);
      const removed = await suppressions.remove(req.params.id);
      await event.success({
        meta: {
          caller: removed.caller,
          list: removed.list,
          address: maskAddress(removed.address),
        },
      });
      res.status(204).end();
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  return router;
}
