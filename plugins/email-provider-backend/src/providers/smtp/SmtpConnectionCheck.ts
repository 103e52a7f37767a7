import type { VerifyStep } from '@internal/plugin-email-provider-common';
import net from 'node:net';
import tls from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { ProviderError } from '../ProviderError';
import type { SmtpProvider } from './SmtpProvider';

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

/** What the server offers after EHLO: StartTLS, AUTH mechanisms, the size limit. */
function describeCapabilities(ehlo: string, secured: boolean): string {
  const lines = ehlo.split(/\r?\n/).map(line => line.replace(/^\d{3}[ -]/, ''));
  const auth = lines.find(line => /^AUTH[ =]/i.test(line));
  const size = lines.find(line => /^SIZE\b/i.test(line));
  const sizeBytes = Number(size?.split(/\s+/)[1]);
  return [
    secured ? 'TLS in use' : 'no TLS',
    auth ? `AUTH ${auth.slice(5).trim()}` : 'no AUTH offered',
    sizeBytes
      ? `SIZE ${Math.round(sizeBytes / 1024 / 1024)} MB`
      : 'no SIZE limit announced',
  ].join(', ');
}

function callback<T>(
  run: (done: (error?: Error | null, value?: T) => void) => void,
) {
  return new Promise<T>((resolve, reject) =>
    run((error, value) => (error ? reject(error) : resolve(value as T))),
  );
}

/**
 * Checks an SMTP server step by step without sending anything: DNS (and the destination rules),
 * TCP, TLS with the certificate's details, the EHLO offer, and the login. Stops at the first
 * failed step; each failed step says what to fix.
 */
export async function checkSmtpConnection(
  provider: SmtpProvider,
): Promise<VerifyStep[]> {
  const { host, port, security } = provider.settings;
  const steps: VerifyStep[] = [];
  let connection: SMTPConnection | undefined;
  let socket: net.Socket | undefined;

  async function step<T>(
    name: string,
    action: () => Promise<{ detail: string; value: T }>,
  ): Promise<T> {
    const started = Date.now();
    try {
      const { detail, value } = await action();
      steps.push({ name, ok: true, durationMs: Date.now() - started, detail });
      return value;
    } catch (error) {
      const failure = (await provider.classify(error)).toFailure();
      steps.push({
        name,
        ok: false,
        durationMs: Date.now() - started,
        failure,
      });
      throw new StepFailed();
    }
  }

  // A server that answers one byte at a time never trips a socket timeout; this ends the check.
  const deadline = setTimeout(() => {
    connection?.close();
    socket?.destroy(
      new ProviderError({
        code: 'timeout',
        message: `${host}:${port} did not finish the connection check in time; check that the server is healthy.`,
        transient: true,
      }),
    );
  }, provider.timeouts.deadlineMs);

  try {
    await step('dns', async () => {
      const { address } = await provider.resolveDestination();
      return { detail: `${host} is ${address}`, value: undefined };
    });
    socket = await step('connect', async () => {
      const connected = await provider.connectSocket();
      return {
        detail: `connected to ${connected.remoteAddress}:${connected.remotePort}`,
        value: connected,
      };
    });
    if (security === 'tls') {
      const plain = socket;
      socket = await step('tls', async () => {
        const secured = await new Promise<tls.TLSSocket>((resolve, reject) => {
          const s = tls.connect({
            socket: plain,
            servername: net.isIP(host) ? undefined : host,
            host,
            minVersion: 'TLSv1.2',
          });
          s.once('secureConnect', () => resolve(s));
          s.once('error', reject);
        });
        return { detail: describeCertificate(secured, host), value: secured };
      });
    }
    const smtp = new SMTPConnection({
      ...provider.connectionOptions(),
      connection: socket,
      secured: security === 'tls',
      logger: false,
    });
    connection = smtp;
    smtp.on('error', () => undefined);
    await step('smtp', async () => {
      await callback<void>(done => smtp.connect(done));
      return {
        detail: describeCapabilities(
          String(smtp.lastServerResponse || ''),
          smtp.secure,
        ),
        value: undefined,
      };
    });
    if (security === 'starttls') {
      await step('tls', async () => ({
        detail: describeCertificate(smtp._socket as tls.TLSSocket, host),
        value: undefined,
      }));
    }
    await step('login', async () => {
      await callback<unknown>(done =>
        smtp.login({ user: provider.username, pass: provider.password }, done),
      );
      return { detail: `signed in as ${provider.username}`, value: undefined };
    });
  } catch (error) {
    if (!(error instanceof StepFailed)) {
      throw error;
    }
  } finally {
    clearTimeout(deadline);
    connection?.quit();
    connection?.close();
    socket?.destroy();
  }
  return steps;
}
