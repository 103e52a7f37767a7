import type { IncomingMessage, ServerResponse } from 'node:http';

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response
    .writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      ...headers,
    })
    .end(JSON.stringify(body));
}

export function isFormEncoded(request: IncomingMessage): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(
    request.headers['content-type'] ?? '',
  );
}
