import type {
  EmailFailureParams,
  SmtpSecurity,
  VerifyStep,
} from '@email-provider/backstage-plugin-email-provider-common';
import net from 'node:net';
import tls from 'node:tls';
import type NodemailerConnection from 'nodemailer/lib/smtp-connection';
import { ProviderError } from '../ProviderError';
import { CLASSIFY_PROBE_MS, exchange, SmtpConnection } from './SmtpConnection';
import { describeSize, readSmtpOffer, SmtpOffer } from './SmtpOffer';
import { untilAborted } from './untilAborted';

class StepFailed extends Error {}

function describeCertificate(socket: tls.TLSSocket, host: string): string {
  const cert = socket.getPeerCertificate();
  const daysLeft = Math.floor(
    (Date.parse(cert.valid_to) - Date.now()) / (24 * 60 * 60 * 1000),
  );
  return [
    `${socket.getProtocol()}, certificate for ${
      cert.subject?.CN ?? 'no common name'
    }`,
    `issued by ${cert.issuer?.O ?? cert.issuer?.CN ?? 'unknown'}`,
    `valid until ${new Date(cert.valid_to)
      .toISOString()
      .slice(0, 10)} (${daysLeft} days)`,
    `matches ${host}`,
  ].join(', ');
}

function describeOffer(offer: SmtpOffer, secured: boolean): string {
  return [
    secured ? 'TLS in use' : 'no TLS',
    // The server's own words, cut: a hostile one may list a mebibyte of mechanisms.
    offer.auth ? `AUTH ${offer.auth.slice(0, 200)}` : 'no AUTH offered',
    offer.sizeBytes
      ? `SIZE ${describeSize(offer.sizeBytes)}`
      : 'no SIZE limit announced',
  ].join(', ');
}

/**
 * Checks an SMTP server step by step without sending anything: DNS (and the destination rules),
 * TCP, TLS with the certificate's details, the EHLO offer, and the login (skipped, and said so,
 * when authentication is off). Stops at the first failed step; each failed step says what to fix.
 *
 * Every step ends within its own bound, with its classified failure: `dns` and `connect` within
 * connectMs; `tls` (SSL/TLS) within greetingMs; `smtp` (greeting, EHLO and, for StartTLS, the
 * upgrade and the second EHLO) within greetingMs + socketMs, the greeting itself within
 * greetingMs; `login` within socketMs. Classifying a failure may add a probe of at most
 * CLASSIFY_PROBE_MS. The whole check ends within deadlineMs, probes included, and closes every
 * socket it opened; only a DNS lookup, which cannot be cancelled, may finish later, holding
 * nothing.
 */
export async function checkSmtpConnection(
  connection: SmtpConnection,
): Promise<VerifyStep[]> {
  const { host, port, security } = connection.settings;
  const { connectMs, greetingMs, socketMs, deadlineMs } = connection.timeouts;
  const where = `${host}:${port}`;
  const wholeSeconds = (ms: number) => Math.round(ms / 1000);
  const seconds = (ms: number) => `${wholeSeconds(ms)} seconds`;
  const timedOut =
    (message: string, params: EmailFailureParams['timeout']) => () =>
      new ProviderError({ code: 'timeout', message, params, transient: true });
  const steps: VerifyStep[] = [];
  let socket: net.Socket | undefined;
  let smtpOpened: NodemailerConnection | undefined;

  // A server that answers one byte at a time never trips a socket timeout; this ends the check.
  const deadlineAt = Date.now() + deadlineMs;
  const check = new AbortController();
  const deadline = setTimeout(
    () =>
      check.abort(
        timedOut(
          `${where} did not finish the connection check within ${seconds(
            deadlineMs,
          )}; check that the server is healthy.`,
          {
            reason: 'check-deadline',
            host,
            port,
            seconds: wholeSeconds(deadlineMs),
          },
        )(),
      ),
    deadlineMs,
  );

  async function step<T>(
    name: string,
    bound: { ms: number; failure: () => Error } | undefined,
    action: (
      signal: AbortSignal,
    ) => Promise<{ detail: string; value: T; skipped?: true }>,
  ): Promise<T> {
    const started = Date.now();
    const current = new AbortController();
    const timer =
      bound && setTimeout(() => current.abort(bound.failure()), bound.ms);
    const stop = () => current.abort(check.signal.reason);
    if (check.signal.aborted) {
      stop();
    }
    check.signal.addEventListener('abort', stop, { once: true });
    try {
      const { detail, value, skipped } = await untilAborted(
        current.signal,
        action(current.signal),
      );
      steps.push({
        name,
        ok: true,
        ...(skipped ? { skipped } : {}),
        durationMs: Date.now() - started,
        detail,
      });
      return value;
    } catch (error) {
      const failure = (
        await connection.classify(
          error,
          Math.min(CLASSIFY_PROBE_MS, deadlineAt - Date.now()),
        )
      ).toFailure();
      steps.push({
        name,
        ok: false,
        durationMs: Date.now() - started,
        failure,
      });
      throw new StepFailed();
    } finally {
      clearTimeout(timer);
      check.signal.removeEventListener('abort', stop);
    }
  }

  try {
    await step(
      'dns',
      {
        ms: connectMs,
        failure: timedOut(
          `The server address ${host} did not resolve within ${seconds(
            connectMs,
          )}; check the portal's DNS.`,
          { reason: 'dns', host, seconds: wholeSeconds(connectMs) },
        ),
      },
      async () => {
        const { address } = await connection.resolveDestination();
        return { detail: `${host} is ${address}`, value: undefined };
      },
    );
    socket = await step(
      'connect',
      {
        ms: connectMs,
        failure: () =>
          Object.assign(new Error(`Connection to ${where} timed out`), {
            code: 'ETIMEDOUT',
            timeoutType: 'CONNECT_TIMEOUT',
          }),
      },
      async signal => {
        const connected = await connection.connectSocket(signal);
        return {
          detail: `connected to ${connected.remoteAddress}:${connected.remotePort}`,
          value: connected,
        };
      },
    );
    if (security === 'tls') {
      const plain = socket;
      socket = await step(
        'tls',
        {
          ms: greetingMs,
          failure: timedOut(
            `${where} accepted the connection but did not complete the TLS handshake within ${seconds(
              greetingMs,
            )}; check that this port speaks SSL/TLS (usually 465).`,
            {
              reason: 'tls-handshake',
              host,
              port,
              seconds: wholeSeconds(greetingMs),
            },
          ),
        },
        async signal => {
          const secured = await new Promise<tls.TLSSocket>(
            (resolve, reject) => {
              const s = tls.connect({
                socket: plain,
                servername: net.isIP(host) ? undefined : host,
                host,
                minVersion: 'TLSv1.2',
              });
              signal.addEventListener('abort', () => s.destroy(), {
                once: true,
              });
              s.once('secureConnect', () => resolve(s));
              s.once('error', reject);
            },
          );
          return { detail: describeCertificate(secured, host), value: secured };
        },
      );
    }
    const smtp = connection.openSmtp(socket, { secured: security === 'tls' });
    smtpOpened = smtp;
    const offer = await step(
      'smtp',
      {
        ms: greetingMs + socketMs,
        failure: timedOut(
          `${where} did not finish the SMTP greeting and EHLO within ${seconds(
            greetingMs + socketMs,
          )}; check that this is an SMTP port and the server is healthy.`,
          {
            reason: 'ehlo',
            host,
            port,
            seconds: wholeSeconds(greetingMs + socketMs),
          },
        ),
      },
      async signal => {
        await exchange<void>(smtp, signal, done => smtp.connect(done));
        const read = readSmtpOffer(String(smtp.lastServerResponse || ''));
        return { detail: describeOffer(read, smtp.secure), value: read };
      },
    );
    if (security === 'starttls') {
      // The upgrade happened in the smtp step; this reports what it found.
      await step('tls', undefined, async () => ({
        detail: describeCertificate(smtp._socket as tls.TLSSocket, host),
        value: undefined,
      }));
    }
    await step(
      'login',
      {
        ms: socketMs,
        failure: timedOut(
          `${where} did not answer the sign-in within ${seconds(
            socketMs,
          )}; check that the server is healthy.`,
          {
            reason: 'sign-in',
            host,
            port,
            seconds: wholeSeconds(socketMs),
          },
        ),
      },
      async signal => {
        if (!connection.signsIn) {
          // What the server offers tells the admin whether it may still want a sign-in.
          return {
            skipped: true,
            detail: `skipped: authentication is off (the server offers ${
              offer.auth && smtp.allowsAuth
                ? `AUTH ${offer.auth.slice(0, 200)}`
                : 'no AUTH'
            })`,
            value: undefined,
          };
        }
        // The password goes only where the server asks for it: never to a server that did not
        // offer AUTH, so never in clear to one that offers it only after StartTLS.
        if (!offer.auth || !smtp.allowsAuth) {
          throw authNotOffered(connection.settings, offer);
        }
        await connection.signIn(smtp, signal);
        return {
          detail: `signed in as ${connection.username}`,
          value: undefined,
        };
      },
    );
  } catch (error) {
    if (!(error instanceof StepFailed)) {
      throw error;
    }
  } finally {
    clearTimeout(deadline);
    smtpOpened?.quit();
    smtpOpened?.close();
    socket?.destroy();
  }
  return steps;
}

function authNotOffered(
  {
    host,
    port,
    security,
  }: { host: string; port: number; security: SmtpSecurity },
  offer: SmtpOffer,
): ProviderError {
  const where = `${host}:${port}`;
  let message: string;
  let params: EmailFailureParams['auth-not-offered'];
  if (security === 'none' && offer.startTls) {
    message =
      'This server offers sign-in only after StartTLS: choose StartTLS. The password was not sent.';
    params = { reason: 'after-starttls' };
  } else if (security === 'none') {
    message = `${where} offers no sign-in (AUTH) on a plain connection, so the password was not sent. Choose SSL/TLS if the server supports it (usually port 465), or check the server address and port.`;
    params = { reason: 'plain', host, port };
  } else {
    message = `${where} offers no sign-in (AUTH), even over TLS, so the password was not sent. Check the port (mail submission is usually 587 or 465) and that the server has sign-in enabled.`;
    params = { reason: 'over-tls', host, port };
  }
  return new ProviderError({
    code: 'auth-not-offered',
    message,
    params,
    transient: false,
  });
}
