import tls from 'node:tls';
import { Worker } from 'node:worker_threads';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

type MailOptions = Parameters<Transporter['sendMail']>[0];
type SentInfo = { messageId: string; response: string };

/** The fields of nodemailer's and Node's errors that the classification reads. */
const ERROR_FIELDS = [
  'name',
  'message',
  'code',
  'originalCode',
  'reason',
  'command',
  'response',
  'responseCode',
  'permanent',
  'timeoutType',
  'connectFailure',
] as const;

// Connection refusals kept for the sends that report them; a few suffice, as they repeat.
const KEPT_CONNECT_FAILURES = 32;

/**
 * The thread: a pooled nodemailer transport. Plain JavaScript evaluated in the worker, so it
 * runs the same from TypeScript sources, the built package and tests, none of which share a
 * loader with a worker. It cannot import this package; it asks the main thread where to connect,
 * so the DestinationGuard's decision, made there, is the one used.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const tls = require('node:tls');
const nodemailer = require(workerData.nodemailerPath);
if (workerData.caCertificates && tls.setDefaultCACertificates) {
  tls.setDefaultCACertificates(workerData.caCertificates);
}
const connecting = new Map();
let nextConnect = 0;
const transport = nodemailer.createTransport({
  ...workerData.transportOptions,
  getSocket(_options, callback) {
    const id = nextConnect++;
    connecting.set(id, callback);
    parentPort.postMessage({ type: 'connect', id });
  },
});
const errorFields = workerData.errorFields;
function describe(error) {
  const described = {};
  for (const field of errorFields) {
    if (error && typeof error[field] !== 'undefined') described[field] = error[field];
  }
  if (error && error.cause && error.cause.code) described.causeCode = error.cause.code;
  return described;
}
// Outcomes go back together, one message per turn of the event loop.
let outcomes = [];
function report(outcome) {
  if (outcomes.length === 0) {
    setImmediate(() => {
      parentPort.postMessage({ type: 'outcomes', outcomes });
      outcomes = [];
    });
  }
  outcomes.push(outcome);
}
parentPort.on('message', message => {
  if (message.type === 'send') {
    for (const { id, mail } of message.mails) {
      transport.sendMail(mail).then(
        info => report({ id, info: { messageId: info.messageId, response: info.response } }),
        error => report({ id, error: describe(error) }),
      );
    }
  } else if (message.type === 'connect-to') {
    const callback = connecting.get(message.id);
    connecting.delete(message.id);
    if (message.error) {
      callback(Object.assign(new Error(message.error.message), message.error, { connectFailure: message.id }));
      return;
    }
    const socket = net.connect({ host: message.address, port: message.port });
    const timer = setTimeout(() => {
      socket.destroy();
      callback(Object.assign(new Error('Connection to ' + message.label + ' timed out'), { code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT' }));
    }, message.timeoutMs);
    socket.once('connect', () => { clearTimeout(timer); callback(null, { connection: socket }); });
    socket.once('error', error => { clearTimeout(timer); callback(error); });
  }
});
`;

type Outcome =
  | { id: number; info: SentInfo }
  | { id: number; error: Record<string, unknown> & { causeCode?: string } };

type FromThread =
  | { type: 'connect'; id: number }
  | { type: 'outcomes'; outcomes: Outcome[] };

/**
 * A pooled SMTP transport on a thread of its own. Composing MIME and driving the SMTP
 * connections is most of the CPU a message costs; on the main thread it competes with every
 * HTTP request the backend serves, including the ones that store more mail. Sends are posted
 * to the thread and answered with nodemailer's result or its error's fields.
 */
export class SmtpPoolThread {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (info: SentInfo) => void; reject: (error: Error) => void }
  >();
  private nextId = 0;
  private outgoing: Array<{ id: number; mail: MailOptions }> = [];
  private failure?: Error;
  /** Why a connection was not opened, as the main thread knew it (a classified refusal). */
  private readonly connectFailures = new Map<number, Error>();

  constructor(options: {
    /** Serializable nodemailer options: no functions; connections come from `connect`. */
    transportOptions: SMTPPool.Options;
    /** Where to open the next connection: the guard's address for the configured host. */
    connect: () => Promise<{ address: string }>;
    connectTimeoutMs: number;
    host: string;
    port: number;
  }) {
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        nodemailerPath: require.resolve('nodemailer'),
        transportOptions: options.transportOptions,
        errorFields: ERROR_FIELDS,
        // What this thread trusts, the other does too, however it was set.
        caCertificates: tls.getCACertificates?.('default'),
      },
    });
    this.worker.unref();
    this.worker.on('message', (message: FromThread) => {
      if (message.type === 'connect') {
        options.connect().then(
          ({ address }) =>
            this.worker.postMessage({
              type: 'connect-to',
              id: message.id,
              address,
              port: options.port,
              label: `${options.host}:${options.port}`,
              timeoutMs: options.connectTimeoutMs,
            }),
          (error: Error & { code?: string }) => {
            this.connectFailures.set(message.id, error);
            if (this.connectFailures.size > KEPT_CONNECT_FAILURES) {
              this.connectFailures.delete(
                this.connectFailures.keys().next().value!,
              );
            }
            this.worker.postMessage({
              type: 'connect-to',
              id: message.id,
              error: { message: error.message, code: error.code },
            });
          },
        );
        return;
      }
      for (const outcome of message.outcomes) {
        const waiting = this.pending.get(outcome.id);
        this.pending.delete(outcome.id);
        if ('info' in outcome) {
          waiting?.resolve(outcome.info);
          continue;
        }
        const { causeCode, connectFailure, ...fields } = outcome.error;
        waiting?.reject(
          this.connectFailures.get(connectFailure as number) ??
            Object.assign(new Error(String(fields.message)), fields, {
              ...(causeCode ? { cause: { code: causeCode } } : {}),
            }),
        );
      }
    });
    this.worker.on('error', error => this.fail(error as Error));
    this.worker.on('exit', () =>
      this.fail(new Error('The SMTP sending thread stopped')),
    );
  }

  /** Whether the thread has stopped; every send then fails, and a new thread is needed. */
  get stopped(): boolean {
    return this.failure !== undefined;
  }

  sendMail(mail: MailOptions): Promise<SentInfo> {
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    const id = this.nextId++;
    return new Promise<SentInfo>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // The messages of one claim cross to the thread together: each crossing wakes it.
      if (this.outgoing.length === 0) {
        queueMicrotask(() => {
          this.worker.postMessage({ type: 'send', mails: this.outgoing });
          this.outgoing = [];
        });
      }
      this.outgoing.push({ id, mail });
    });
  }

  close(): void {
    this.worker.terminate().catch(() => undefined);
  }

  private fail(error: Error) {
    this.failure ??= error;
    for (const { reject } of this.pending.values()) {
      reject(error);
    }
    this.pending.clear();
  }
}
