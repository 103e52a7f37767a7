// @ts-check
// Plain CommonJS shipped as a file of the package, not bundled: the SMTP pool thread
// (worker.js) runs it with plain Node, which cannot load the package's TypeScript, and the main
// thread's SmtpConnection loads this same file, so both connect the same way.
const net = require('node:net');

/**
 * Where to open an SMTP connection: the address the DestinationGuard resolved, never a name
 * resolved again here, and how long connecting may take.
 *
 * @typedef {object} SocketTarget
 * @property {string} address
 * @property {number} port
 * @property {string} label `host:port` as configured, for the timeout's message
 * @property {number} timeoutMs
 */

/**
 * Connects within `timeoutMs`; `signal` gives up sooner. Either way the socket is closed and
 * the failure is the one nodemailer reports for its own connect timeout.
 *
 * @param {SocketTarget & { signal?: AbortSignal }} target
 * @returns {Promise<net.Socket>}
 */
function connectSocket({ address, port, label, timeoutMs, signal }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    // Aborting this removes the listeners below once the attempt is settled.
    const settled = new AbortController();
    /** @param {unknown} reason */
    const giveUp = reason => {
      settled.abort();
      socket.destroy();
      reject(reason);
    };
    const timer = setTimeout(
      () =>
        giveUp(
          Object.assign(new Error(`Connection to ${label} timed out`), {
            code: 'ETIMEDOUT',
            timeoutType: 'CONNECT_TIMEOUT',
          }),
        ),
      timeoutMs,
    );
    settled.signal.addEventListener('abort', () => clearTimeout(timer));
    signal?.addEventListener('abort', () => giveUp(signal.reason), {
      once: true,
      signal: settled.signal,
    });
    socket.once('connect', () => {
      settled.abort();
      resolve(socket);
    });
    socket.once('error', giveUp);
  });
}

module.exports = { connectSocket };
