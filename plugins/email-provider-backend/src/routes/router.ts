import {
  AuditorService,
  AuditorServiceEvent,
} from '@backstage/backend-plugin-api';
import { InputError, isError } from '@backstage/errors';
import {
  emailProviderSettingsReadPermission,
  emailProviderSettingsUpdatePermission,
  validateEmailProviderSettingsInput,
} from '@internal/plugin-email-provider-common';
import express, { ErrorRequestHandler, Request, Response } from 'express';
import Router from 'express-promise-router';
import { SettingsService } from '../settings/SettingsService';
import { AdminAccess } from './AdminAccess';

/** The version from `If-Match: "4"` (or `4`, or `W/"4"`); `*` or no header means any. */
function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') {
    return undefined;
  }
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) {
    throw new InputError(
      'If-Match must be the settings version you read, such as "4"',
    );
  }
  return Number(match[1]);
}

// Node's JSON.parse quotes the text around a syntax error, which may be a password being typed
// in; the body never appears in an error.
const rejectUnreadableJson: ErrorRequestHandler = (error, _req, _res, next) => {
  if (
    isError(error) &&
    (error as { type?: string }).type === 'entity.parse.failed'
  ) {
    next(new InputError('The request body is not valid JSON'));
  } else {
    next(error);
  }
};

async function audited<T>(
  auditor: AuditorService,
  options: { eventId: string; request: Request; meta: Record<string, string> },
  action: (event: AuditorServiceEvent) => Promise<T>,
): Promise<T> {
  const event = await auditor.createEvent({
    eventId: options.eventId,
    severityLevel: 'medium',
    request: options.request,
    meta: options.meta,
  });
  try {
    return await action(event);
  } catch (error) {
    await event.fail({
      error: isError(error) ? error : new Error(String(error)),
    });
    throw error;
  }
}

export async function createRouter(options: {
  settings: SettingsService;
  access: AdminAccess;
  auditor: AuditorService;
}): Promise<express.Router> {
  const { settings, access, auditor } = options;
  const router = Router();
  router.use(express.json());
  router.use(rejectUnreadableJson);

  router.use('/settings', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/settings', async (req, res) => {
    await access.authorize(req, emailProviderSettingsReadPermission);
    const { settings: current, version } = await settings.read();
    res.setHeader('ETag', `"${version}"`);
    res.json(current);
  });

  // A delete is a save of `none`: same checks, same audit event, same answer.
  const saveSettings =
    (action: 'save' | 'delete', bodyOf: (req: Request) => unknown) =>
    async (req: Request, res: Response) =>
      audited(
        auditor,
        { eventId: 'settings-update', request: req, meta: { action } },
        async event => {
          const credentials = await access.authorize(
            req,
            emailProviderSettingsUpdatePermission,
          );
          const expectedVersion = parseIfMatch(req.header('if-match'));
          const input = validateEmailProviderSettingsInput(bodyOf(req));
          if (!input.success) {
            throw new InputError(
              input.issues.map(i => `${i.field}: ${i.message}`).join('; '),
            );
          }
          const saved = await settings.save(input.data, {
            expectedVersion,
            updatedBy: credentials.principal.userEntityRef,
          });
          await event.success({ meta: saved.change });
          res.setHeader('ETag', `"${saved.change.version}"`);
          res.json(saved.settings);
        },
      );

  router.put(
    '/settings',
    saveSettings('save', req => req.body),
  );
  router.delete(
    '/settings',
    saveSettings('delete', () => ({ provider: 'none' })),
  );

  return router;
}
