import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestPki } from '../pki/certificates';
import { readBody, sendJson } from './http';

/** A request a `RecordingServer` received. */
export type RecordedRequest = {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
};

/** An HTTPS server that keeps every request it gets, for the fake to redirect to. */
export type RecordingServer = {
  /** `https://127.0.0.1:<port>`: another origin than the fake's `https://localhost:<port>`. */
  url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
};

/**
 * Starts a server that records what it is sent and answers 200 with an empty JSON object, so
 * that a client following a redirect to it gets an answer and the request shows up here.
 */
export async function startRecordingServer(
  pki: TestPki,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = https.createServer(
    { cert: pki.localhost.cert, key: pki.localhost.key },
    (request, response) => {
      readBody(request).then(body => {
        requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: body.toString('utf8'),
        });
        sendJson(response, 200, {});
      });
    },
  );
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
