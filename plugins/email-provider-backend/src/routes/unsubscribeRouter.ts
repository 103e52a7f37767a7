import { AuditorService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import express, { Request, Response } from 'express';
import Router from 'express-promise-router';
import { SuppressionStore } from '../suppressions/SuppressionStore';
import { UnsubscribeTokens } from '../suppressions/UnsubscribeTokens';
import type { TestEmailLocale } from './testEmailContent';
import {
  CONFIRMATION_FIELD,
  CONFIRMATION_VALUE,
  confirmationPage,
  invalidLinkPage,
  maskAddress,
  UNSUBSCRIBE_PAGE_CSP,
  unsubscribedPage,
} from './unsubscribePage';

/** The path the links point at, under the plugin's base URL; open to anyone with a link. */
export const UNSUBSCRIBE_PATH = '/unsubscribe';

/** An HTML answer of the unsubscribe pages, which nothing may cache, frame or refer onwards. */
function sendPage(res: Response, status: number, html: string) {
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', UNSUBSCRIBE_PAGE_CSP);
  res.setHeader('Cache-Control', 'no-store');
  // The link is in the page's address: it must not travel to anywhere the page leads.
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.send(html);
}

/**
 * The one-click unsubscribe of RFC 8058, for the recipients of messages sent with `unsubscribe`,
 * without signing in: the link's token is the only credential.
 *
 * - `GET /unsubscribe/:token` shows what the link unsubscribes from, with a button; it never
 *   unsubscribes, since mail scanners and link previews follow links.
 * - `POST /unsubscribe/:token`, as a mail client's one-click (`List-Unsubscribe=One-Click`) or the
 *   page's button sends it, puts the address on the suppression list; again is no different.
 */
export function createUnsubscribeRouter(options: {
  tokens: UnsubscribeTokens;
  suppressions: SuppressionStore;
  auditor: AuditorService;
  locale: TestEmailLocale;
}): express.Router {
  const { tokens, suppressions, auditor, locale } = options;
  const router = Router();
  // Mail clients post `List-Unsubscribe=One-Click` form-encoded (some as multipart, which is
  // not read: any POST with a valid link unsubscribes).
  const formBody = express.urlencoded({ extended: false, limit: '4kb' });

  router.get(`${UNSUBSCRIBE_PATH}/:token`, async (req, res) => {
    const grant = tokens.read(req.params.token);
    if (!grant) {
      sendPage(res, 400, invalidLinkPage(locale));
      return;
    }
    sendPage(res, 200, confirmationPage(locale, grant));
  });

  router.post(
    `${UNSUBSCRIBE_PATH}/:token`,
    formBody,
    async (req: Request, res: Response) => {
      const grant = tokens.read(req.params.token);
      if (!grant) {
        sendPage(res, 400, invalidLinkPage(locale));
        return;
      }
      const fromPage =
        (req.body as Record<string, unknown> | undefined)?.[
          CONFIRMATION_FIELD
        ] === CONFIRMATION_VALUE;
      const source = fromPage ? 'confirmation-page' : 'one-click';
      // Without the request: its URL holds the link, which must not end up in the audit log.
      const event = await auditor.createEvent({
        eventId: 'unsubscribe',
        severityLevel: 'low',
        meta: {
          caller: grant.caller,
          list: grant.list,
          address: maskAddress(grant.address),
          source,
        },
      });
      try {
        const { id, created } = await suppressions.add({ ...grant, source });
        await event.success({ meta: { id, created } });
      } catch (error) {
        await event.fail({
          error: isError(error) ? error : new Error(String(error)),
        });
        throw error;
      }
      sendPage(res, 200, unsubscribedPage(locale, grant));
    },
  );

  return router;
}
