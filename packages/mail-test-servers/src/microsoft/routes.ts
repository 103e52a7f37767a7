import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  handleAddAttachment,
  handleCreateDraft,
  handleDeleteDraft,
  handleDraftsFolder,
  handleSendDraft,
} from './drafts';
import { sendGraphError } from './graphRefusals';
import { readBody } from './http';
import { handleSendMail } from './sendMail';
import type { FakeHandler, FakeState, RedirectedRequest } from './state';
import { handleToken } from './tokenEndpoint';
import { handleCreateUploadSession, handleUploadChunk } from './uploadSessions';

type Route = {
  method: string;
  path: RegExp;
  handle: FakeHandler;
  /** Counts toward the requests in flight, as Graph's concurrency limit does. */
  graph: boolean;
  kind?: RedirectedRequest;
};

const ROUTES: Route[] = [
  {
    method: 'POST',
    path: /^\/([^/]+)\/oauth2\/v2\.0\/token$/,
    handle: handleToken,
    graph: false,
    kind: 'token',
  },
  {
    method: 'POST',
    path: /^\/v1\.0\/users\/([^/]+)\/sendMail$/,
    handle: handleSendMail,
    graph: true,
  },
  {
    method: 'POST',
    path: /^\/v1\.0\/users\/([^/]+)\/messages$/,
    handle: handleCreateDraft,
    graph: true,
  },
  {
    method: 'POST',
    path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/attachments$/,
    handle: handleAddAttachment,
    graph: true,
  },
  {
    method: 'POST',
    path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/attachments\/createUploadSession$/,
    handle: handleCreateUploadSession,
    graph: true,
  },
  {
    method: 'POST',
    path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/send$/,
    handle: handleSendDraft,
    graph: true,
  },
  {
    method: 'DELETE',
    path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)$/,
    handle: handleDeleteDraft,
    graph: true,
  },
  {
    method: 'GET',
    path: /^\/v1\.0\/users\/([^/]+)\/mailFolders\/drafts$/,
    handle: handleDraftsFolder,
    graph: true,
  },
  {
    method: 'PUT',
    path: /^\/api\/v2\.0\/AttachmentSessions\/([0-9a-f]+)$/,
    handle: handleUploadChunk,
    graph: true,
    kind: 'upload',
  },
];

/**
 * Answers a request with the endpoint its method and path name, unless a redirect is armed for
 * it; Graph's 404 body for any other.
 */
export async function routeRequest(
  fake: FakeState,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const path = new URL(request.url ?? '/', fake.baseUrl).pathname;
  for (const route of ROUTES) {
    const match = route.path.exec(path);
    if (match && request.method === route.method) {
      const redirect = fake.takeRedirect(route.kind ?? 'graph');
      if (redirect) {
        await readBody(request);
        response
          .writeHead(redirect.status, {
            Location: new URL(request.url ?? '/', redirect.target).href,
          })
          .end();
        return;
      }
      if (!route.graph) {
        await route.handle(fake, request, response, match);
        return;
      }
      await countedInFlight(fake, () =>
        route.handle(fake, request, response, match),
      );
      return;
    }
  }
  await readBody(request);
  sendGraphError(response, {
    status: 404,
    code: 'UnknownError',
    message: `No route for ${request.method} ${path}`,
  });
}

async function countedInFlight(fake: FakeState, answer: () => Promise<void>) {
  const { counters } = fake;
  counters.graphRequestsInFlight += 1;
  counters.maxGraphRequestsInFlight = Math.max(
    counters.maxGraphRequestsInFlight,
    counters.graphRequestsInFlight,
  );
  try {
    await answer();
  } finally {
    counters.graphRequestsInFlight -= 1;
  }
}
