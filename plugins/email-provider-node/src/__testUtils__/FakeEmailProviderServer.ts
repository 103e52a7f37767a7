import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request the fake received. */
export type ReceivedRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The body's length in bytes. */
  size: number;
};

/** A JSON body, or with `contentType` a raw text body; sent after `delayMs` if given. */
export type FakeAnswer = {
  status: number;
  body: unknown;
  contentType?: string;
  delayMs?: number;
};

/**
 * Stands in for the email-provider backend on 127.0.0.1: records every request and answers with
 * what the test set. By default `POST /messages` answers 202 `{ id, status: 'queued' }` and
 * `POST /messages/batch` accepts every message, as the real backend does with valid messages.
 */
export class FakeEmailProviderServer {
  readonly requests: ReceivedRequest[] = [];
  answer: FakeAnswer = {
    status: 202,
    body: { id: 'msg-1', status: 'queued' },
  };
  /** The answer to a `POST /messages/batch`, from its list of messages. */
  answerBatch: (messages: unknown[]) => FakeAnswer =
    FakeEmailProviderServer.acceptEach;

  /**
   * A batch answer accepting every message, with the ids `msg-<subject>`, and the key of each
   * message that has one.
   */
  static acceptEach(messages: unknown[]): FakeAnswer {
    return {
      status: 200,
      body: {
        results: messages.map(message => {
          const { subject, idempotencyKey } = message as {
            subject: string;
            idempotencyKey?: string;
          };
          return {
            accepted: true,
            id: `msg-${subject}`,
            status: 'queued',
            ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
          };
        }),
      },
    };
  }

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
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep the raw text
    }
    const path = req.url ?? '';
    this.requests.push({
      method: req.method ?? '',
      path,
      headers: req.headers,
      body,
      size: bytes.length,
    });
    const {
      status,
      body: answer,
      contentType,
      delayMs,
    } = path.endsWith('/messages/batch')
      ? this.answerBatch((body as { messages: unknown[] }).messages)
      : this.answer;
    if (delayMs) {
      await new Promise(resolve => setTimeout(resolve, delayMs));
    }
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
