import { IncomingMessage } from 'node:http';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import { emailServiceRef } from '../service/emailServiceRef';

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** What the stand-in email-provider plugin received. */
export type StoredMessage = { caller: string; body: unknown };

/**
 * A stand-in for the `email-provider` backend plugin: `POST /messages` for service principals
 * only, as the real one, answering 202 `{ id, status }`.
 */
export function createFakeEmailProviderPlugin(stored: StoredMessage[]) {
  return createBackendPlugin({
    pluginId: 'email-provider',
    register(env) {
      env.registerInit({
        deps: {
          httpRouter: coreServices.httpRouter,
          httpAuth: coreServices.httpAuth,
        },
        async init({ httpRouter, httpAuth }) {
          httpRouter.use(async (req, res, next) => {
            if (req.method !== 'POST' || req.path !== '/messages') {
              next();
              return;
            }
            try {
              const credentials = await httpAuth.credentials(req, {
                allow: ['service'],
              });
              stored.push({
                caller: credentials.principal.subject,
                body: await readJson(req),
              });
              res
                .status(202)
                .json({ id: `msg-${stored.length}`, status: 'queued' });
            } catch (error) {
              next(error);
            }
          });
        },
      });
    },
  });
}

/**
 * A plugin that uses `emailServiceRef`: `POST /api/reports/send` sends the request it is given.
 */
export const reportsPlugin = createBackendPlugin({
  pluginId: 'reports',
  register(env) {
    env.registerInit({
      deps: { httpRouter: coreServices.httpRouter, email: emailServiceRef },
      async init({ httpRouter, email }) {
        httpRouter.addAuthPolicy({ path: '/send', allow: 'unauthenticated' });
        httpRouter.use(async (req, res, next) => {
          if (req.method !== 'POST' || req.path !== '/send') {
            next();
            return;
          }
          try {
            const request = (await readJson(req)) as SendEmailRequest;
            res.status(200).json(await email.send(request));
          } catch (error) {
            next(error);
          }
        });
      },
    });
  },
});
