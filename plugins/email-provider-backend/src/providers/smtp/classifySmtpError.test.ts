import { classifySmtpError, SmtpAttempt } from './classifySmtpError';

const PASSWORD = 'S3cret-smtp-password';
const USER = 'reports@example.com';

const attempt: SmtpAttempt = {
  host: 'mail.example.com',
  port: 587,
  security: 'starttls',
  secrets: [PASSWORD],
};

/** An error as nodemailer throws it for a server's reply to a command. */
function smtpReply(command: string, response: string, code = 'EENVELOPE') {
  return Object.assign(new Error(`Command failed: ${response}`), {
    code,
    command,
    response,
    responseCode: Number(response.slice(0, 3)),
  });
}

/** An error as Node throws it for a socket, with its code. */
function nodeError(code: string, message = code) {
  return Object.assign(new Error(message), { code });
}

describe('classifySmtpError', () => {
  it.each([
    [
      'a rejected password',
      smtpReply(
        'AUTH PLAIN',
        '535 5.7.8 Authentication credentials invalid',
        'EAUTH',
      ),
      attempt,
      'auth-failed',
      { reply: '535 5.7.8' },
    ],
    [
      'a refused sign-in without a reply',
      nodeError('EAUTH', 'Missing credentials for "PLAIN"'),
      attempt,
      'auth-failed',
      {},
    ],
    [
      'TLS spoken to a plain port',
      new Error('write EPROTO ssl3_get_record:wrong version number'),
      { ...attempt, port: 25, security: 'tls' },
      'tls-mismatch',
      { reason: 'not-tls', port: 25 },
    ],
    [
      'StartTLS on the SSL/TLS port',
      Object.assign(nodeError('ETIMEDOUT', 'Greeting never received'), {
        timeoutType: 'GREETING_TIMEOUT',
      }),
      { ...attempt, port: 465, serverSpeaksImplicitTls: true },
      'tls-mismatch',
      { reason: 'starttls-on-tls-port', port: 465 },
    ],
    [
      'a plain connection to the SSL/TLS port',
      Object.assign(nodeError('ETIMEDOUT', 'Greeting never received'), {
        timeoutType: 'GREETING_TIMEOUT',
      }),
      {
        ...attempt,
        port: 465,
        security: 'none',
        serverSpeaksImplicitTls: true,
      },
      'tls-mismatch',
      { reason: 'plain-on-tls-port', port: 465 },
    ],
    [
      'no StartTLS offered',
      Object.assign(new Error('Server does not support STARTTLS'), {
        command: 'STARTTLS',
      }),
      attempt,
      'tls-required',
      { host: 'mail.example.com', port: 587 },
    ],
    [
      'a self-signed certificate',
      nodeError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
      attempt,
      'certificate-invalid',
      { reason: 'self-signed', host: 'mail.example.com' },
    ],
    [
      'a certificate for another name',
      nodeError('ERR_TLS_CERT_ALTNAME_INVALID', 'Hostname/IP does not match'),
      attempt,
      'certificate-invalid',
      { reason: 'wrong-name', host: 'mail.example.com' },
    ],
    [
      'a refused connection',
      nodeError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:587'),
      attempt,
      'connection-refused',
      { host: 'mail.example.com', port: 587 },
    ],
    [
      'an unknown host',
      nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND mail.example.com'),
      attempt,
      'host-not-found',
      { host: 'mail.example.com' },
    ],
    [
      'no greeting',
      Object.assign(nodeError('ETIMEDOUT', 'Greeting never received'), {
        timeoutType: 'GREETING_TIMEOUT',
      }),
      attempt,
      'timeout',
      { reason: 'no-greeting', host: 'mail.example.com', port: 587 },
    ],
    [
      'no answer',
      nodeError('ETIMEDOUT', 'Connection timeout'),
      attempt,
      'timeout',
      { reason: 'no-answer', host: 'mail.example.com', port: 587 },
    ],
    [
      "a message over the server's announced SIZE",
      nodeError(
        'EMESSAGE',
        'Message size 15000000 is larger than allowed 10485760',
      ),
      attempt,
      'message-too-large',
      { reason: 'smtp-limit', limit: '10 MB' },
    ],
    [
      'a message the server refused as too large',
      smtpReply(
        'DATA',
        '552 5.3.4 Message size exceeds fixed limit',
        'EMESSAGE',
      ),
      attempt,
      'message-too-large',
      { reason: 'smtp-refused', reply: '552 5.3.4' },
    ],
    [
      'a refused EHLO name',
      smtpReply(
        'RCPT TO',
        '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname',
      ),
      attempt,
      'provider-error',
      {
        reason: 'ehlo-refused',
        host: 'mail.example.com',
        port: 587,
        reply: '504 5.5.2',
      },
    ],
    [
      'a relay that wants StartTLS first',
      smtpReply('RCPT TO', '530 5.7.0 Must issue a STARTTLS command first'),
      { ...attempt, port: 25, security: 'none', authentication: 'none' },
      'relay-denied',
      {
        reason: 'starttls-required',
        host: 'mail.example.com',
        port: 25,
        reply: '530 5.7.0',
      },
    ],
    [
      'a relay that wants sign-in',
      smtpReply('RCPT TO', '530 5.7.57 Client not authenticated'),
      { ...attempt, authentication: 'none' },
      'relay-denied',
      {
        reason: 'sign-in-required',
        host: 'mail.example.com',
        port: 587,
        reply: '530 5.7.57',
      },
    ],
    [
      'a relay that does not admit the portal',
      smtpReply('RCPT TO', '554 5.7.1 <a@example.org>: Relay access denied'),
      { ...attempt, authentication: 'none' },
      'relay-denied',
      {
        reason: 'not-relayed-without-sign-in',
        host: 'mail.example.com',
        port: 587,
        reply: '554 5.7.1',
      },
    ],
    [
      'a relay refusal where sign-in needs StartTLS',
      smtpReply('RCPT TO', '554 5.7.1 <a@example.org>: Relay access denied'),
      {
        ...attempt,
        port: 25,
        security: 'none',
        plainOffer: { startTls: true, auth: false },
      },
      'relay-denied',
      { reason: 'sign-in-after-starttls', reply: '554 5.7.1' },
    ],
    [
      'a relay refusal with no sign-in on a plain connection',
      smtpReply('RCPT TO', '554 5.7.1 <a@example.org>: Relay access denied'),
      {
        ...attempt,
        port: 25,
        security: 'none',
        plainOffer: { startTls: false, auth: false },
      },
      'relay-denied',
      {
        reason: 'no-sign-in-on-plain',
        host: 'mail.example.com',
        port: 25,
        reply: '554 5.7.1',
      },
    ],
    [
      'a relay refusal after sign-in',
      smtpReply('RCPT TO', '554 5.7.1 <a@example.org>: Relay access denied'),
      attempt,
      'relay-denied',
      {
        reason: 'not-relayed',
        host: 'mail.example.com',
        port: 587,
        reply: '554 5.7.1',
      },
    ],
    [
      'a refused sender',
      smtpReply(
        'MAIL FROM',
        '553 5.7.1 Sender address rejected: not owned by user',
      ),
      attempt,
      'sender-rejected',
      { reply: '553 5.7.1' },
    ],
    [
      'a refused recipient',
      smtpReply('RCPT TO', '550 5.1.1 <nobody@example.com>: User unknown'),
      attempt,
      'recipient-rejected',
      { reason: 'smtp', reply: '550 5.1.1' },
    ],
    [
      'a connection turned away',
      smtpReply('CONN', '554 No SMTP service here', 'EPROTOCOL'),
      attempt,
      'provider-unavailable',
      {
        reason: 'turned-away',
        host: 'mail.example.com',
        port: 587,
        reply: '554',
      },
    ],
    [
      'another refusal',
      smtpReply('DATA', '554 5.6.0 Message rejected', 'EMESSAGE'),
      attempt,
      'provider-error',
      { reason: 'smtp-refused', reply: '554 5.6.0' },
    ],
  ] as const)(
    'gives %s the params of its sentence',
    (_case, error, tried, code, params) => {
      const failure = classifySmtpError(error, tried).toFailure();

      expect(failure.code).toBe(code);
      expect(failure.params).toEqual(params);
    },
  );

  it('has no params for a sentence that quotes Node in English', () => {
    const failure = classifySmtpError(
      new Error('socket hang up'),
      attempt,
    ).toFailure();

    expect(failure).toMatchObject({ code: 'provider-unavailable' });
    expect(failure.params).toBeUndefined();
  });

  it("keeps the password and the reply's text out of the params", () => {
    const secretEcho = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');
    const failure = classifySmtpError(
      smtpReply(
        'AUTH PLAIN',
        `535 5.7.8 ${secretEcho} ${PASSWORD} credentials invalid`,
        'EAUTH',
      ),
      attempt,
    ).toFailure();

    expect(failure.params).toEqual({ reply: '535 5.7.8' });
    expect(JSON.stringify(failure)).not.toContain(PASSWORD);
    expect(JSON.stringify(failure)).not.toContain(secretEcho);
  });

  it('names the reply code alone when the server sends no enhanced status', () => {
    const failure = classifySmtpError(
      smtpReply('RCPT TO', `550 ${PASSWORD} is not a mailbox`),
      attempt,
    ).toFailure();

    expect(failure.params).toEqual({ reason: 'smtp', reply: '550' });
  });
});
