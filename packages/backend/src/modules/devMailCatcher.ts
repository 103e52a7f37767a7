import {
  coreServices,
  createBackendModule,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { simpleParser } from 'mailparser';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

const CONFIG_KEY = 'emailProvider.development.mailCatcher';
const DEFAULT_PORT = 1025;
const KEEP = 20;

/** A message the catcher received. */
export type CaughtMail = {
  receivedAt: Date;
  /** The envelope sender (MAIL FROM). */
  from: string;
  /** The envelope recipients (RCPT TO). */
  to: string[];
  subject: string;
  text: string;
  /** The user the client signed in as, if it did. */
  user?: string;
};

export type MailCatcher = {
  /** The port it listens on (on 127.0.0.1, and on ::1 where the machine has IPv6). */
  port: number;
  /** The last messages received, oldest first. */
  readonly received: readonly CaughtMail[];
  close(): Promise<void>;
};

function describe(mail: CaughtMail): string {
  const body = mail.text.trim() || '(no text part)';
  return [
    'Development mail catcher received a message',
    `  From:    ${mail.from}`,
    `  To:      ${mail.to.join(', ')}`,
    `  Subject: ${mail.subject}`,
    '',
    ...body.split(/\r?\n/).map(line => `  ${line}`),
  ].join('\n');
}

function listen(server: SMTPServer, port: number, host: string) {
  return new Promise<number>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.server.once('error', onError);
    server.listen(port, host, () => {
      server.server.off('error', onError);
      resolve((server.server.address() as AddressInfo).port);
    });
  });
}

/**
 * A local SMTP server for development that accepts any login and any message, prints each
 * message to the log and keeps the last few. It offers no TLS: in the admin form, choose
 * security None.
 */
export async function startMailCatcher(options: {
  port: number;
  logger: LoggerService;
  keep?: number;
}): Promise<MailCatcher> {
  const { logger, keep = KEEP } = options;
  const received: CaughtMail[] = [];

  const createServer = () => {
    const server = new SMTPServer({
      // No certificate: nothing to trust, nothing to expire. The admin picks security None.
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      logger: false,
      banner: 'Backstage development mail catcher',
      onAuth: (auth, _session, callback) =>
        callback(null, { user: auth.username ?? 'anonymous' }),
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then(parsed => {
            const mail: CaughtMail = {
              receivedAt: new Date(),
              from: session.envelope.mailFrom
                ? session.envelope.mailFrom.address
                : '',
              to: session.envelope.rcptTo.map(r => r.address),
              subject: parsed.subject ?? '(no subject)',
              text: parsed.text ?? '',
              user: typeof session.user === 'string' ? session.user : undefined,
            };
            received.push(mail);
            received.splice(0, Math.max(0, received.length - keep));
            logger.info(describe(mail));
            callback();
          })
          .catch(error => callback(error));
      },
    });
    server.on('error', error =>
      logger.warn(`Development mail catcher: ${error.message}`),
    );
    return server;
  };

  // The portal resolves `localhost` to either loopback address, so listen on both.
  const servers: SMTPServer[] = [];
  const ipv4 = createServer();
  const port = await listen(ipv4, options.port, '127.0.0.1');
  servers.push(ipv4);
  const ipv6 = createServer();
  try {
    await listen(ipv6, port, '::1');
    servers.push(ipv6);
  } catch {
    // No IPv6 loopback on this machine; 127.0.0.1 is enough.
  }

  return {
    port,
    received,
    close: async () => {
      await Promise.all(
        servers.map(
          server => new Promise<void>(resolve => server.close(() => resolve())),
        ),
      );
    },
  };
}

/**
 * The catcher's port from config, or undefined when it is off: `mailCatcher` absent or `false`.
 */
export function readMailCatcherConfig(
  config: Config,
): { port: number } | undefined {
  const value = config.getOptional(CONFIG_KEY);
  if (value === undefined || value === false) {
    return undefined;
  }
  const catcher = config.getConfig(CONFIG_KEY);
  return { port: catcher.getOptionalNumber('port') ?? DEFAULT_PORT };
}

/**
 * Starts the development mail catcher with the portal when `emailProvider.development.mailCatcher`
 * is set and the backend runs in development (`backstage-cli package start`). It never runs in
 * production, whatever the config says.
 */
export const devMailCatcherModule = createBackendModule({
  pluginId: 'email-provider',
  moduleId: 'dev-mail-catcher',
  register({ registerInit }) {
    registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
      },
      async init({ config, logger, lifecycle }) {
        const options = readMailCatcherConfig(config);
        if (!options) {
          return;
        }
        if (process.env.NODE_ENV !== 'development') {
          logger.info(
            `${CONFIG_KEY} is set but ignored: the mail catcher runs only in development`,
          );
          return;
        }
        let catcher: MailCatcher;
        try {
          catcher = await startMailCatcher({ port: options.port, logger });
        } catch (error) {
          // A busy port must not keep the portal from starting.
          logger.warn(
            `Development mail catcher not started on port ${options.port}: ${error}`,
          );
          return;
        }
        logger.info(
          `Development mail catcher listening on localhost:${catcher.port}: in the Email provider page choose SMTP, server address localhost, port ${catcher.port}, security None, any sender, username and password`,
        );
        lifecycle.addShutdownHook(() => catcher.close());
      },
    });
  },
});
