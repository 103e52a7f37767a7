// @ts-check
// The SMTP pool thread started by src/providers/smtp/SmtpPoolThread.ts: a pooled nodemailer
// transport. Plain CommonJS shipped as a file of the package, as a worker runs with plain Node
// whether the backend runs from TypeScript sources, the built package or tests. It cannot ask
// the DestinationGuard itself: for every connection it asks the main thread where to connect,
// so the guard's decision, made there, is the one used.
const { parentPort, workerData } = require('node:worker_threads');
const tls = require('node:tls');
const nodemailer = require('nodemailer');
const { connectSocket } = require('./connectSocket');

/**
 * @typedef {object} PoolThreadData
 * @property {import('nodemailer/lib/smtp-pool').Options} transportOptions serializable: no
 *   functions; connections come from the main thread
 * @property {string[]} [caCertificates] what the main thread trusts, however it was set
 */

/**
 * What the main thread posts: the messages of one claim together (each crossing wakes the
 * thread), and where to open a connection the thread asked for, or why it may not.
 *
 * @typedef {{ type: 'send', mails: Array<{ id: number, mail: import('nodemailer').SendMailOptions }> }
 *   | ({ type: 'connect-to', id: number } & import('./connectSocket').SocketTarget)
 *   | { type: 'connect-to', id: number, error: { message: string, code?: string } }} ToPoolThread
 */

/**
 * nodemailer's error as fields that cross threads; `connectFailure` names a connection the
 * main thread refused, `causeCode` the code of the error's cause.
 *
 * @typedef {Record<string, unknown> & { causeCode?: string, connectFailure?: number }} DescribedError
 */

/**
 * @typedef {{ messageId: string, response: string }} SentInfo
 * @typedef {{ id: number, info: SentInfo } | { id: number, error: DescribedError }} Outcome
 */

/**
 * What the thread posts: a request for a connection, and the outcomes of sends, together.
 *
 * @typedef {{ type: 'connect', id: number } | { type: 'outcomes', outcomes: Outcome[] }} FromPoolThread
 */

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
];

if (!parentPort) {
  throw new Error('worker.js runs only as the SMTP pool thread');
}
const mainThread = parentPort;
const data = /** @type {PoolThreadData} */ (workerData);

if (data.caCertificates && tls.setDefaultCACertificates) {
  tls.setDefaultCACertificates(data.caCertificates);
}

/** @type {Map<number, (error: Error | null, socketOptions?: object) => void>} */
const connecting = new Map();
let nextConnect = 0;
const transport = nodemailer.createTransport({
  ...data.transportOptions,
  getSocket(_options, callback) {
    const id = nextConnect++;
    connecting.set(id, callback);
    /** @type {FromPoolThread} */
    const request = { type: 'connect', id };
    mainThread.postMessage(request);
  },
});

/**
 * @param {any} error
 * @returns {DescribedError}
 */
function describe(error) {
  /** @type {DescribedError} */
  const described = {};
  for (const field of ERROR_FIELDS) {
    if (error && typeof error[field] !== 'undefined') {
      described[field] = error[field];
    }
  }
  if (error && error.cause && error.cause.code) {
    described.causeCode = error.cause.code;
  }
  return described;
}

// Outcomes go back together, one message per turn of the event loop.
/** @type {Outcome[]} */
let outcomes = [];
/** @param {Outcome} outcome */
function report(outcome) {
  if (outcomes.length === 0) {
    setImmediate(() => {
      /** @type {FromPoolThread} */
      const message = { type: 'outcomes', outcomes };
      mainThread.postMessage(message);
      outcomes = [];
    });
  }
  outcomes.push(outcome);
}

mainThread.on('message', (/** @type {ToPoolThread} */ message) => {
  if (message.type === 'send') {
    for (const { id, mail } of message.mails) {
      transport.sendMail(mail).then(
        info =>
          report({
            id,
            info: { messageId: info.messageId, response: info.response },
          }),
        error => report({ id, error: describe(error) }),
      );
    }
    return;
  }
  const callback = connecting.get(message.id);
  connecting.delete(message.id);
  if (!callback) {
    return;
  }
  if ('error' in message) {
    callback(
      Object.assign(new Error(message.error.message), message.error, {
        connectFailure: message.id,
      }),
    );
    return;
  }
  connectSocket(message).then(
    connection => callback(null, { connection }),
    error => callback(error),
  );
});
