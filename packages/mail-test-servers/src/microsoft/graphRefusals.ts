import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http';

/** A Graph error answer: status, error code and message, and any extra headers. */
export type GraphRefusal = {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
};

/** Graph refuses a request body over 4 MB before looking at it. */
export const GRAPH_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** Graph's answer for a message ID the mailbox does not have. */
export const ITEM_NOT_FOUND: GraphRefusal = {
  status: 404,
  code: 'ErrorItemNotFound',
  message: 'The specified object was not found in the store.',
};

export function invalidToken(message: string): GraphRefusal {
  return { status: 401, code: 'InvalidAuthenticationToken', message };
}

export function badBody(message: string): GraphRefusal {
  return { status: 400, code: 'RequestBodyRead', message };
}

export function tooLarge(): GraphRefusal {
  return {
    status: 413,
    code: 'RequestEntityTooLarge',
    message: 'The maximum request length supported is 4MB.',
  };
}

export function checkSize(body: Buffer): GraphRefusal | undefined {
  return body.length > GRAPH_MAX_REQUEST_BYTES ? tooLarge() : undefined;
}

/** A request that must say how long its body is, even when it has none (POST /send). */
export function checkContentLength(
  request: IncomingMessage,
): GraphRefusal | undefined {
  return request.headers['content-length'] === undefined
    ? {
        status: 411,
        code: 'LengthRequired',
        message: 'Content-Length is required.',
      }
    : undefined;
}

/** The JSON body of a request, or Graph's refusal of it. */
export function parseJson(
  request: IncomingMessage,
  body: Buffer,
): { value?: unknown; refusal?: GraphRefusal } {
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
    return {
      refusal: {
        status: 415,
        code: 'UnsupportedMediaType',
        message: 'Content-Type must be application/json.',
      },
    };
  }
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { refusal: badBody('Invalid JSON in the request body.') };
  }
}

/** The request IDs Graph puts on every answer. */
export function graphHeaders(): Record<string, string> {
  const requestId = randomUUID();
  return { 'request-id': requestId, 'client-request-id': requestId };
}

/** Graph's error body: `{"error":{"code","message","innerError"}}`. */
export function sendGraphError(
  response: ServerResponse,
  refusal: GraphRefusal,
) {
  const headers = graphHeaders();
  sendJson(
    response,
    refusal.status,
    {
      error: {
        code: refusal.code,
        message: refusal.message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ''),
          'request-id': headers['request-id'],
          'client-request-id': headers['client-request-id'],
        },
      },
    },
    { ...headers, ...refusal.headers },
  );
}
