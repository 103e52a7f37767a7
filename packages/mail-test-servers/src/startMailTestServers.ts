import {
  MicrosoftFake,
  MicrosoftFakeOptions,
  startMicrosoftFake,
} from './microsoft/MicrosoftFake';
import {
  createTestPki,
  TestCertificate,
  TestPki,
  trustTestCa,
} from './pki/certificates';
import { SmtpSink, SmtpSinkOptions } from './smtp/SmtpSink';

export type MailTestServersOptions = {
  /** An SMTP sink; its certificate is the PKI's localhost one unless given. */
  smtp?: Omit<SmtpSinkOptions, 'certificate'> & {
    certificate?: TestCertificate;
  };
  /** The Microsoft Entra and Graph fake. */
  microsoft?: MicrosoftFakeOptions;
  /**
   * Trusts the test CA in this process until `close`, for clients in it (a test's provider,
   * the benchmark's raw nodemailer); a portal in another process needs NODE_EXTRA_CA_CERTS.
   */
  trustCa?: boolean;
};

/** The servers asked for, on loopback, with the test PKI their certificates come from. */
export type MailTestServers<O extends MailTestServersOptions> = {
  pki: TestPki;
  smtp: O extends { smtp: object } ? SmtpSink : undefined;
  microsoft: O extends { microsoft: object } ? MicrosoftFake : undefined;
  /** Stops the servers and stops trusting the test CA. */
  close(): Promise<void>;
};

/**
 * The start of every test setup that talks to mail servers: a fresh test PKI, then the SMTP sink
 * and the Microsoft fake asked for, served with its localhost certificate.
 */
export async function startMailTestServers<O extends MailTestServersOptions>(
  options: O,
): Promise<MailTestServers<O>> {
  const pki = await createTestPki();
  const untrust = options.trustCa ? trustTestCa(pki) : () => undefined;
  const smtp = options.smtp
    ? await SmtpSink.start({ certificate: pki.localhost, ...options.smtp })
    : undefined;
  const microsoft = options.microsoft
    ? await startMicrosoftFake(pki, options.microsoft)
    : undefined;
  return {
    pki,
    smtp: smtp as MailTestServers<O>['smtp'],
    microsoft: microsoft as MailTestServers<O>['microsoft'],
    async close() {
      await Promise.all([smtp?.close(), microsoft?.close()]);
      untrust();
    },
  };
}

/**
 * For a Jest test file: starts the servers in `beforeAll` and closes them in `afterAll`. The
 * object returned is filled in once `beforeAll` has run, so the tests read its fields then.
 */
export function startMailTestServersBeforeAll<O extends MailTestServersOptions>(
  options: O,
): MailTestServers<O> {
  const servers = {} as MailTestServers<O>;
  beforeAll(async () => {
    Object.assign(servers, await startMailTestServers(options));
  });
  afterAll(() => servers.close());
  return servers;
}
