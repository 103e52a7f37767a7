import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request the fake received. */
export type ReceivedRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
};

/** A JSON body, or with `contentType` a raw text body. */
export type FakeAnswer = {
  status: number;
  body: unknown;
  contentType?: string;
};

/**
 * Stands in for the email-provider backend on 127.0.0.1: records every request and answers with
 * what the test set, by default 202 `{ id, status: 'queued' }` like the real `POST /messages`.
 */
export class FakeEmailProviderServer {
  readonly requests: ReceivedRequest[] = [];
  answer: FakeAnswer = {
    status: 202,
    body: { id: 'msg-1', status: 'queued' },
  };

  static async start(): Promise<FakeEmailProviderServer> {
    const fake = new FakeEmailProviderServer();
    fake.#server.listen(0, '127.0.0.1');
    await once(fake.#server, 'listening');
    return fake;
  }

  readonly #server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep the raw text
    }
    this.requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
    });
    const { status, body: answer, contentType } = this.answer;
    res.writeHead(status, {
      'Content-Type': contentType ?? 'application/json',
    });
    res.end(contentType ? String(answer) : JSON.stringify(answer));
  });

  /** The base URL discovery should give for the `email-provider` plugin. */
  get pluginBaseUrl(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/email-provider`;
  }

  /** An error body as Backstage's error middleware writes it. */
  static errorBody(name: string, message: string, statusCode: number) {
    return {
      error: { name, message },
      request: { method: 'POST', url: '/api/email-provider/messages' },
      response: { statusCode },
    };
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}
