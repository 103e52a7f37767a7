import tls from 'node:tls';
import { Worker } from 'node:worker_threads';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SocketTarget } from '../../../smtpPoolThread/connectSocket';
import type {
  FromPoolThread,
  PoolThreadData,
  SentInfo,
  ToPoolThread,
} from '../../../smtpPoolThread/worker';
import { SMTP_POOL_THREAD_WORKER } from './smtpPoolThreadFiles';

type MailOptions = Parameters<Transporter['sendMail']>[0];

// Connection refusals kept for the sends that report them; a few suffice, as they repeat.
const KEPT_CONNECT_FAILURES = 32;

/**
 * A pooled SMTP transport on a thread of its own (`smtpPoolThread/worker.js`). Composing MIME
 * and driving the SMTP connections is most of the CPU a message costs; on the main thread it
 * competes with every HTTP request the backend serves, including the ones that store more mail.
 * Sends are posted to the thread and answered with nodemailer's result or its error's fields.
 */
export class SmtpPoolThread {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (info: SentInfo) => void; reject: (error: Error) => void }
  >();
  private nextId = 0;
  private outgoing: Array<{ id: number; mail: MailOptions }> = [];
  /** The memory the outgoing mails' attachments cross in without a copy (`moveAttachments`). */
  private moving: ArrayBuffer[] = [];
  private failure?: Error;
  /** Why a connection was not opened, as the main thread knew it (a classified refusal). */
  private readonly connectFailures = new Map<number, Error>();

  constructor(options: {
    /** Serializable nodemailer options: no functions; connections come from `connectTo`. */
    transportOptions: SMTPPool.Options;
    /** Where to open the next connection: the guard's address for the configured host. */
    connectTo: () => Promise<SocketTarget>;
  }) {
    const workerData: PoolThreadData = {
      transportOptions: options.transportOptions,
      // What this thread trusts, the other does too, however it was set.
      caCertificates: tls.getCACertificates?.('default'),
    };
    this.worker = new Worker(SMTP_POOL_THREAD_WORKER, { workerData });
    this.worker.unref();
    this.worker.on('message', (message: FromPoolThread) => {
      if (message.type === 'connect') {
        options.connectTo().then(
          target =>
            this.post({ type: 'connect-to', id: message.id, ...target }),
          (error: Error & { code?: string }) => {
            this.connectFailures.set(message.id, error);
            if (this.connectFailures.size > KEPT_CONNECT_FAILURES) {
              this.connectFailures.delete(
                this.connectFailures.keys().next().value!,
              );
            }
            this.post({
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

  /**
   * Sends `mail` from the thread. With `moveAttachments`, the attachments' contents that own
   * their memory cross to the thread without a copy, leaving the caller's Buffers empty; small
   * ones, which share Node's pool with other Buffers, are copied as all are without it.
   */
  sendMail(
    mail: MailOptions,
    options: { moveAttachments?: boolean } = {},
  ): Promise<SentInfo> {
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    const id = this.nextId++;
    return new Promise<SentInfo>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // The messages of one claim cross to the thread together: each crossing wakes it.
      if (this.outgoing.length === 0) {
        queueMicrotask(() => {
          this.post({ type: 'send', mails: this.outgoing }, this.moving);
          this.outgoing = [];
          this.moving = [];
        });
      }
      this.outgoing.push({ id, mail });
      if (options.moveAttachments) {
        this.moving.push(...ownMemoryOf(mail));
      }
    });
  }

  close(): void {
    this.worker.terminate().catch(() => undefined);
  }

  private post(message: ToPoolThread, transferList: ArrayBuffer[] = []) {
    this.worker.postMessage(message, transferList);
  }

  private fail(error: Error) {
    this.failure ??= error;
    for (const { reject } of this.pending.values()) {
      reject(error);
    }
    this.pending.clear();
  }
}

/**
 * The memory of the attachments that is theirs alone: a Buffer that spans all of its
 * ArrayBuffer. Node allocates small Buffers from a shared pool, which must not be moved.
 */
function ownMemoryOf(mail: MailOptions): ArrayBuffer[] {
  const memory = new Set<ArrayBuffer>();
  for (const attachment of mail.attachments ?? []) {
    const { content } = attachment;
    if (
      content instanceof Uint8Array &&
      content.buffer instanceof ArrayBuffer &&
      content.byteOffset === 0 &&
      content.byteLength === content.buffer.byteLength
    ) {
      memory.add(content.buffer);
    }
  }
  return [...memory];
}
