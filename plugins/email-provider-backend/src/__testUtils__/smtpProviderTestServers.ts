import {
  HostileConnection,
  HostileSmtpServer,
  SmtpSink,
  SmtpSinkOptions,
  startMailTestServersBeforeAll,
} from '@internal/mail-test-servers';
import {
  SmtpProvider,
  SmtpProviderOptions,
} from '../providers/smtp/SmtpProvider';
import type { SmtpTimeouts } from '../providers/smtp/SmtpConnection';

/** Timeouts short enough that a test sees a stalled server's case end. */
export const SHORT_TIMEOUTS: SmtpTimeouts = {
  connectMs: 2000,
  greetingMs: 2000,
  socketMs: 3000,
  deadlineMs: 5000,
};

/**
 * For a test file of the SMTP provider: the test PKI, trusted while the file runs, and the SMTP
 * servers and providers its tests start, each closed when its test ends.
 */
export function smtpProviderTestServers() {
  const mailServers = startMailTestServersBeforeAll({ trustCa: true });
  const providers: SmtpProvider[] = [];
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(providers.splice(0).map(p => p.close()));
    await Promise.all(servers.splice(0).map(s => s.close()));
  });
  const closedAfterTest = <T extends { close(): Promise<void> }>(server: T) => {
    servers.push(server);
    return server;
  };
  return {
    /** The test PKI, once the file's `beforeAll` has run. */
    get pki() {
      return mailServers.pki;
    },
    /** An SMTP sink, with the localhost certificate unless the options give another. */
    startSink: async (options: Partial<SmtpSinkOptions> = {}) =>
      closedAfterTest(
        await SmtpSink.start({
          certificate: mailServers.pki.localhost,
          ...options,
        }),
      ),
    startHostile: async (script: (connection: HostileConnection) => void) =>
      closedAfterTest(await HostileSmtpServer.start(script)),
    provider: (options: SmtpProviderOptions) => {
      const created = new SmtpProvider(options);
      providers.push(created);
      return created;
    },
  };
}
