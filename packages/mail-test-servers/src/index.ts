/*
 * Local mail servers for the tests, the end-to-end suite, the benchmarks and development: the
 * test PKI, a real SMTP server, a hostile one, a TCP proxy that can cut connections, and a fake
 * of Microsoft Entra and Graph that speaks their HTTP protocol.
 */
export * from './startMailTestServers';
export * from './pki/certificates';
export * from './smtp/SmtpSink';
export * from './smtp/HostileSmtpServer';
export * from './smtp/misbehavingServer';
export * from './smtp/smtpSinkProcess';
export * from './microsoft/MicrosoftFake';
export * from './microsoft/RecordingServer';
export type { MicrosoftFakeSettings } from './microsoft/settings';
export type {
  GraphDraft,
  GraphMessage,
  GraphRecipient,
  ReceivedGraphMail,
} from './microsoft/graphMessage';
export type {
  MicrosoftFakeCounters,
  ReceivedClientAssertion,
  RedirectedRequest,
} from './microsoft/state';
export * from './TcpProxy';
export * from './unusedPort';
