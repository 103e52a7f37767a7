import {
  AuditorService,
  AuditorServiceEvent,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, isError } from '@backstage/errors';
import {
  emailAddressSchema,
  EmailProviderSettingsInput,
  emailProviderSettingsReadPermission,
  emailProviderSettingsUpdatePermission,
  TestEmailResult,
  validateEmailProviderSettingsInput,
  VerifyResult,
} from '@email-provider/backstage-plugin-email-provider-common';
import express, { NextFunction, Request, Response } from 'express';
import Router from 'express-promise-router';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { AdminNotifier } from '../alerts/AdminNotifier';
import { settingsChangeAlert } from '../alerts/settingsChangeAlert';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { ProviderError } from '../providers/ProviderError';
import { FieldInputError } from '../settings/FieldInputError';
import { ActiveProvider, SettingsService } from '../settings/SettingsService';
import { actorOf, AdminAccess } from './AdminAccess';
import { parseInput } from './parseInput';
import { JsonBodyReader } from './JsonBodyReader';
import { buildTestEmail } from './testEmail';
import type { TestEmailLocale } from './testEmailContent';

const testEmailBodySchema = z.strictObject({
  to: emailAddressSchema('Recipient'),
});

const verifyBodySchema = z.strictObject({
  settings: z.unknown().optional(),
});

/** The settings in a body, or a FieldInputError naming each field by its path under `prefix`. */
function parseSettings(
  value: unknown,
  prefix = '',
): EmailProviderSettingsInput {
  const input = validateEmailProviderSettingsInput(value);
  if (!input.success) {
    throw new FieldInputError(
      input.issues.map(i => ({ ...i, field: `${prefix}${i.field}` })),
    );
  }
  return input.data;
}

/** An error body in Backstage's shape, for answers the error middleware has no class for. */
function errorBody(
  req: Request,
  status: number,
  name: string,
  message: string,
) {
  return {
    error: { name, message },
    request: { method: req.method, url: req.originalUrl },
    response: { statusCode: status },
  };
}

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
  providers: MailProviderFactory;
  notifier: AdminNotifier;
  appTitle: string;
  /** The language of the test email. */
  locale: TestEmailLocale;
}): Promise<express.Router> {
  const { settings, access, auditor, providers, notifier, appTitle, locale } =
    options;
  const router = Router();
  const body = new JsonBodyReader();

  const requireUpdatePermission = async (
    req: Request,
    res: Response,
    next: NextFunction,
  ) => {
    res.locals.actor = actorOf(
      await access.authorizeSettings(
        req,
        emailProviderSettingsUpdatePermission,
      ),
    );
    next();
  };

  // Test emails and connection checks reach outside servers on an admin's click; a few a minute
  // per admin (or automation service) is plenty, and keeps the button from being used to hammer
  // a server.
  const perAdminLimit = (what: string) =>
    rateLimit({
      windowMs: 60_000,
      limit: 5,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (_req, res) => res.locals.actor,
      handler: (req, res, _next, limitOptions) => {
        const retryAfter = Math.ceil(limitOptions.windowMs / 1000);
        res.setHeader('Retry-After', String(retryAfter));
        res
          .status(429)
          .json(
            errorBody(
              req,
              429,
              'TooManyRequestsError',
              `Too many ${what} in a minute; try again in ${retryAfter} seconds`,
            ),
          );
      },
    });

  async function activeOrConflict(): Promise<ActiveProvider> {
    const active = await settings.getActiveProvider();
    if (!active) {
      throw new ConflictError(
        'No email provider is active; save SMTP or Microsoft 365 settings first',
      );
    }
    return active;
  }

  // For the frontend's page and nav entry: the caller's access as the routes below decide it,
  // so the page never offers what they would refuse (the permission API alone cannot say, since
  // emailProvider.admins narrows the portal's policy).
  router.get('/access', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await access.describe(req));
  });

  router.use('/settings', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/settings', async (req, res) => {
    await access.authorizeSettings(req, emailProviderSettingsReadPermission);
    const { settings: current, version } = await settings.read();
    res.setHeader('ETag', `"${version}"`);
    res.json(current);
  });

  // A delete is a save of `none`: same checks, same audit event, same answer.
  const saveSettings =
    (
      action: 'save' | 'delete',
      bodyOf: (req: Request, res: Response) => Promise<unknown>,
    ) =>
    async (req: Request, res: Response) =>
      audited(
        auditor,
        { eventId: 'settings-update', request: req, meta: { action } },
        async event => {
          const credentials = await access.authorizeSettings(
            req,
            emailProviderSettingsUpdatePermission,
          );
          const expectedVersion = parseIfMatch(req.header('if-match'));
          const input = parseSettings(await bodyOf(req, res));
          if (input.provider === 'smtp') {
            providers.destinations.checkSettingsHost(input.smtp.host);
          }
          const updatedBy = actorOf(credentials);
          const saved = await settings.save(input, {
            expectedVersion,
            updatedBy,
          });
          await event.success({ meta: saved.change });
          if (saved.change.changedFields.length > 0) {
            // The answer does not wait for the notifications backend.
            void notifier.send(
              settingsChangeAlert({
                change: saved.change,
                settings: saved.settings,
                changedBy: updatedBy,
              }),
            );
          }
          res.setHeader('ETag', `"${saved.change.version}"`);
          res.json(saved.settings);
        },
      );

  router.put(
    '/settings',
    saveSettings('save', (req, res) => body.read(req, res)),
  );
  router.delete(
    '/settings',
    saveSettings('delete', async () => ({ provider: 'none' })),
  );

  router.post(
    '/test-email',
    requireUpdatePermission,
    perAdminLimit('test emails'),
    async (req, res) => {
      const { to } = parseInput(testEmailBodySchema, await body.read(req, res));
      const active = await activeOrConflict();
      const requestedBy: string = res.locals.actor;
      await audited(
        auditor,
        {
          eventId: 'test-email',
          request: req,
          meta: { provider: active.provider, recipient: to },
        },
        async event => {
          const provider = providers.create(active, {
            smtpTimeouts: { deadlineMs: 30_000 },
          });
          const started = Date.now();
          try {
            const sent = await provider.send(
              buildTestEmail({
                appTitle,
                locale,
                active,
                to,
                requestedBy,
                now: new Date(),
              }),
            );
            const result: TestEmailResult = {
              ok: true,
              messageId: sent.messageId,
              provider: active.provider,
              durationMs: Date.now() - started,
            };
            await event.success({ meta: { messageId: sent.messageId } });
            res.json(result);
          } catch (error) {
            if (!(error instanceof ProviderError)) {
              throw error;
            }
            await event.fail({ error, meta: { code: error.code } });
            res.status(502).json({
              ...errorBody(req, 502, error.name, error.message),
              ok: false,
              provider: active.provider,
              durationMs: Date.now() - started,
              failure: error.toFailure(),
            });
          } finally {
            await provider.close();
          }
        },
      );
    },
  );

  router.post(
    '/verify',
    requireUpdatePermission,
    perAdminLimit('connection checks'),
    async (req, res) => {
      const { settings: draftInput } = parseInput(
        verifyBodySchema,
        await body.read(req, res),
      );
      let active: ActiveProvider;
      if (draftInput === undefined) {
        active = await activeOrConflict();
      } else {
        const draft = parseSettings(draftInput, 'settings.');
        try {
          if (draft.provider === 'smtp') {
            providers.destinations.checkSettingsHost(draft.smtp.host);
          }
          active = await settings.resolveDraft(draft);
        } catch (error) {
          // Fields are named by their path in the body, where the draft is under `settings`.
          throw error instanceof FieldInputError
            ? error.under('settings.')
            : error;
        }
      }
      const provider = providers.create(active);
      try {
        const steps = await provider.verify();
        const result: VerifyResult = {
          ok: steps.length > 0 && steps.every(step => step.ok),
          provider: active.provider,
          steps,
        };
        res.json(result);
      } finally {
        await provider.close();
      }
    },
  );

  return router;
}
