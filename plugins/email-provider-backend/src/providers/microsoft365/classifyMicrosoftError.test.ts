import {
  AuthError,
  ClientConfigurationError,
  ServerError,
} from '@azure/msal-node';
import {
  classifyGraphResponse,
  classifyNetworkError,
  classifyTokenError,
  parseRetryAfter,
} from './classifyMicrosoftError';
import { TokenEndpointError } from './MsalFetchClient';

const SECRET = 'Qx8~sEcReT.value_abcdefghijklmnopqrstu';
const FROM = 'reports@contoso.onmicrosoft.com';

/** A ServerError as MSAL builds it from Entra's OAuth error body. */
function entraError(
  error: string,
  aadsts: number,
  description: string,
  status = 400,
) {
  const trace =
    '\r\nTrace ID: 2e35e78b-e885-4bdd-90e2-d7beb467df00\r\nCorrelation ID: 0774b819-134d-4815-9573-a31a98397420\r\nTimestamp: 2026-11-29 15:26:14Z';
  return new ServerError(
    error,
    '0774b819-134d-4815-9573-a31a98397420',
    `Error(s): ${aadsts} - Timestamp: 2026-11-29 15:26:14Z - Description: AADSTS${aadsts}: ${description}${trace} - Correlation ID: 0774b819-134d-4815-9573-a31a98397420 - Trace ID: 2e35e78b-e885-4bdd-90e2-d7beb467df00`,
    undefined,
    String(aadsts),
    status,
  );
}

function graph(
  status: number,
  code?: string,
  message = '',
  retryAfter: string | null = null,
) {
  return {
    status,
    retryAfter,
    body: code ? JSON.stringify({ error: { code, message } }) : '',
  };
}

describe('classifyTokenError', () => {
  it.each([
    [
      'invalid_client',
      7000215,
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'b3c2'.",
      'secret-invalid',
      "Microsoft Entra rejected the client secret (AADSTS7000215): paste the secret's Value, not its Secret ID",
    ],
    [
      'invalid_client',
      7000222,
      "The provided client secret keys for app 'b3c2' are expired.",
      'secret-expired',
      'The client secret has expired (AADSTS7000222): create a new one under Certificates & secrets and save it here',
    ],
    [
      'unauthorized_client',
      700016,
      "Application with identifier 'b3c2' was not found in the directory 'contoso'.",
      'app-not-found',
      'No application with this client ID in the tenant (AADSTS700016): check the Application (client) ID',
    ],
    [
      'invalid_tenant',
      90002,
      "Tenant 'contoso.example' not found.",
      'tenant-not-found',
      'No Microsoft Entra tenant with this ID (AADSTS90002): check the Directory (tenant) ID',
    ],
    [
      'invalid_request',
      900023,
      "Specified tenant identifier 'x y' is neither a valid DNS name, nor a valid external domain.",
      'tenant-not-found',
      expect.stringContaining('check the Directory (tenant) ID'),
    ],
  ])(
    'maps %s AADSTS%s to %s',
    (oauthError, aadsts, description, code, message) => {
      const error = classifyTokenError(
        entraError(oauthError, aadsts, description),
        [SECRET],
      );

      expect(error).toMatchObject({ code, message, transient: false });
      expect(error.params).toMatchObject({ aadsts: String(aadsts) });
      expect(error.providerReply).toContain(`AADSTS${aadsts}: ${description}`);
    },
  );

  it.each([
    [90002, 'unknown'],
    [900023, 'malformed'],
  ])('tells AADSTS%s apart by reason %s', (aadsts, reason) => {
    const error = classifyTokenError(
      entraError('invalid_tenant', aadsts, 'Tenant not found.'),
      [SECRET],
    );

    expect(error.params).toEqual({ reason, aadsts: String(aadsts) });
  });

  it('finds the AADSTS number in the description when MSAL has no errorNo', () => {
    const error = classifyTokenError(
      new ServerError(
        'invalid_client',
        '',
        'Error(s): N/A - Description: AADSTS7000215: Invalid client secret provided.',
      ),
      [SECRET],
    );

    expect(error.code).toBe('secret-invalid');
  });

  it("passes on Entra's description for a refusal it does not know", () => {
    const error = classifyTokenError(
      entraError('unauthorized_client', 7000112, 'Application is disabled.'),
      [SECRET],
    );

    expect(error).toMatchObject({
      code: 'provider-error',
      transient: false,
      message:
        'Microsoft Entra refused the token request (unauthorized_client): AADSTS7000112: Application is disabled.',
    });
    // Entra's description is English free text: a page shows the message as it is.
    expect(error.params).toBeUndefined();
  });

  describe('AADSTS700027, a refused client assertion', () => {
    const certificate = {
      subject: 'CN=backstage-mail',
      thumbprint: '977B10FB9D1C087E3105564B1D31B09D247BEBCD',
    };
    const keys = `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id 'b3c2'.`;

    it.each([
      [
        'the certificate not uploaded to the app',
        `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${certificate.thumbprint}', ${keys}]. Alternatively, SNI may be configured on the app.`,
        'certificate-not-registered',
        "The app registration does not have the certificate CN=backstage-mail (thumbprint 977B10FB9D1C087E3105564B1D31B09D247BEBCD) (AADSTS700027): upload the certificate's public part (.cer) under Certificates & secrets of the app in Microsoft Entra, then check the thumbprint there matches",
      ],
      [
        'the older wording of a certificate not uploaded',
        `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${certificate.thumbprint}', ${keys}]`,
        'certificate-not-registered',
        expect.stringContaining('upload the certificate'),
      ],
      [
        'an expired certificate',
        `Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '${certificate.thumbprint}', Found key 'Start=02/07/2024 17:00:39, End=02/06/2025 17:00:39', ${keys}]`,
        'certificate-expired',
        expect.stringMatching(
          /^Microsoft Entra reports the certificate CN=backstage-mail \(thumbprint 977B.*\) as expired \(AADSTS700027\): create a new certificate/,
        ),
      ],
      [
        "a key that is not the certificate's",
        `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${certificate.thumbprint}', Found key 'Start=02/07/2024 17:00:39, End=02/06/2029 17:00:39']`,
        'certificate-key-mismatch',
        expect.stringContaining(
          'paste the private key that belongs to this certificate',
        ),
      ],
      [
        'a key Entra found but could not verify with',
        `Client assertion contains an invalid signature. [Reason - Key was found, but use of the key to verify the signature failed., Thumbprint of key used by client: '${certificate.thumbprint}']`,
        'certificate-key-mismatch',
        expect.stringContaining('was not signed with its private key'),
      ],
    ])('classifies %s', (_case, description, code, message) => {
      const error = classifyTokenError(
        entraError('invalid_client', 700027, description, 401),
        [],
        { certificate },
      );

      expect(error).toMatchObject({ code, message, transient: false });
      expect(error.params).toMatchObject({ aadsts: '700027', ...certificate });
      expect(error.providerReply).toContain(description);
    });

    it('still says what to do without the certificate at hand', () => {
      const error = classifyTokenError(
        entraError(
          'invalid_client',
          700027,
          'Client assertion contains an invalid signature. [Reason - The key was not found.]',
          401,
        ),
        [],
      );

      expect(error.code).toBe('certificate-not-registered');
      expect(error.message).toMatch(
        /^The app registration does not have the certificate \(AADSTS700027\)/,
      );
      expect(error.params).toEqual({ aadsts: '700027' });
    });
  });

  it("reports an assertion outside its valid time as this server's clock", () => {
    const error = classifyTokenError(
      entraError(
        'invalid_client',
        700024,
        'Client assertion is not within its valid time range. Current time: 2026-11-29T15:26:14.0000000Z, assertion valid from 2026-11-29T16:26:14.0000000Z, expiry time of assertion 2026-11-29T16:36:14.0000000Z.',
        401,
      ),
      [],
    );

    expect(error).toMatchObject({
      code: 'provider-error',
      message: expect.stringContaining("set this server's clock right"),
      params: { reason: 'clock-skew', aadsts: '700024' },
    });
  });

  it('removes the secret if a reply ever echoed it', () => {
    const error = classifyTokenError(
      entraError('invalid_request', 90014, `Bad parameter '${SECRET}'.`),
      [SECRET],
    );

    expect(JSON.stringify(error.toFailure())).not.toContain(SECRET);
  });

  it.each([
    [
      429,
      'throttled',
      /is throttling this app \(HTTP 429\); try again in 12 s/,
    ],
    [
      503,
      'provider-unavailable',
      /is unavailable \(HTTP 503\); try again in 12 s/,
    ],
  ])(
    'reports HTTP %s from the token endpoint as transient %s',
    (status, code, message) => {
      const error = classifyTokenError(
        new TokenEndpointError('answered', {
          origin: 'https://login.microsoftonline.com',
          status,
          retryAfter: '12',
          reply: '{"error":"temporarily_unavailable"}',
        }),
        [SECRET],
      );

      expect(error).toMatchObject({
        code,
        transient: true,
        retryAfterMs: 12_000,
        params: {
          reason: 'entra',
          url: 'https://login.microsoftonline.com',
          reply: `HTTP ${status}`,
          retryAfterSeconds: 12,
        },
      });
      expect(error.message).toMatch(message);
      expect(error.providerReply).toBe(
        `${status} {"error":"temporarily_unavailable"}`,
      );
    },
  );

  it('reports a page that is not OAuth JSON as a configuration problem', () => {
    const error = classifyTokenError(
      new TokenEndpointError('answered', {
        origin: 'https://proxy.example',
        status: 404,
        reply: '<html>Not found</html>',
      }),
      [SECRET],
    );

    expect(error).toMatchObject({
      code: 'provider-error',
      transient: false,
      params: {
        reason: 'not-oauth',
        url: 'https://proxy.example',
        httpStatus: 404,
      },
    });
    expect(error.message).toContain('emailProvider.microsoft365.authorityHost');
  });

  it('reports an unreachable token endpoint through its cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
    });
    const error = classifyTokenError(
      new TokenEndpointError('unreachable', {
        origin: 'https://login.microsoftonline.com',
        cause: new TypeError('fetch failed', { cause }),
      }),
      [SECRET],
    );

    expect(error).toMatchObject({
      code: 'provider-unavailable',
      transient: true,
      message:
        'The Microsoft Entra token endpoint at https://login.microsoftonline.com could not be reached (ECONNREFUSED); try again later',
      params: {
        reason: 'unreachable',
        service: 'entra',
        url: 'https://login.microsoftonline.com',
        networkError: 'ECONNREFUSED',
      },
    });
  });

  it("reports MSAL's refusal of an insecure authority as a configuration problem", () => {
    const error = classifyTokenError(
      new ClientConfigurationError('authority_uri_insecure', ''),
      [SECRET],
    );

    expect(error).toMatchObject({
      code: 'provider-error',
      transient: false,
      params: {
        reason: 'authority-rejected',
        errorCode: 'authority_uri_insecure',
      },
    });
    expect(error.message).toContain('authority_uri_insecure');
  });

  it('reports anything else as an unexpected provider error', () => {
    const error = classifyTokenError(new AuthError('something_new', ''), [
      SECRET,
    ]);

    expect(error).toMatchObject({ code: 'provider-error', transient: false });
    expect(error.providerReply).toContain('something_new');
  });
});

describe('classifyGraphResponse', () => {
  const context = { from: FROM, secrets: [SECRET] };

  it.each([
    [
      graph(
        403,
        'ErrorAccessDenied',
        'Access is denied. Check credentials and try again.',
      ),
      'permission-missing',
      'The app lacks the Mail.Send application permission or admin consent: add Microsoft Graph › Application permissions › Mail.Send and grant admin consent',
    ],
    [
      graph(403, 'ErrorAccessDenied', 'Access to OData is disabled.'),
      'permission-missing',
      expect.stringMatching(/application access policy .* reports@contoso/),
    ],
    [
      graph(
        404,
        'ErrorInvalidUser',
        `The requested user '${FROM}' is invalid.`,
      ),
      'mailbox-not-found',
      `The sender ${FROM} has no Exchange Online mailbox (licensed user or shared mailbox) in this tenant`,
    ],
    [
      graph(
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      ),
      'mailbox-not-found',
      expect.stringContaining('has no Exchange Online mailbox'),
    ],
    [
      graph(
        403,
        'MailboxNotEnabledForRESTAPI',
        'REST API is not yet supported for this mailbox.',
      ),
      'mailbox-not-found',
      expect.stringContaining('has no Exchange Online mailbox'),
    ],
    [
      graph(404, 'ResourceNotFound', 'Resource could not be discovered.'),
      'mailbox-not-found',
      expect.stringContaining('has no Exchange Online mailbox'),
    ],
    [
      graph(
        400,
        'ErrorInvalidRecipients',
        "At least one recipient isn't valid.",
      ),
      'recipient-rejected',
      'Microsoft 365 rejected the recipients (400 ErrorInvalidRecipients): check the addresses',
    ],
    [
      graph(
        413,
        'RequestEntityTooLarge',
        'The maximum request length supported is 4MB.',
      ),
      'message-too-large',
      expect.stringContaining('make the attachments smaller'),
    ],
    [
      graph(
        400,
        'ErrorMessageSizeExceeded',
        'The message exceeds the maximum supported size.',
      ),
      'message-too-large',
      expect.stringContaining('ErrorMessageSizeExceeded'),
    ],
    [
      graph(
        401,
        'InvalidAuthenticationToken',
        'Access token validation failure. Invalid audience.',
      ),
      'provider-error',
      expect.stringContaining('same Microsoft cloud'),
    ],
    [
      graph(400, 'ErrorInvalidRequest', 'The OData request is not supported.'),
      'provider-error',
      'Microsoft Graph refused the message (400 ErrorInvalidRequest): The OData request is not supported.',
    ],
  ])('maps %j to permanent %s', (reply, code, message) => {
    const error = classifyGraphResponse(reply, context);

    expect(error).toMatchObject({ code, message, transient: false });
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.providerReply).toBe(`${reply.status} ${reply.body}`);
  });

  it.each([
    [
      graph(
        429,
        'ApplicationThrottled',
        'Application is over its MailboxConcurrency limit.',
        '7',
      ),
      'throttled',
      7000,
    ],
    [
      graph(503, 'ServiceUnavailable', 'Service unavailable.', '30'),
      'provider-unavailable',
      30_000,
    ],
    [graph(502, undefined, '', null), 'provider-unavailable', undefined],
    [
      graph(504, 'GatewayTimeout', 'Gateway timeout.', '2'),
      'provider-unavailable',
      2000,
    ],
    [
      graph(500, 'InternalServerError', 'Oops.', null),
      'provider-unavailable',
      undefined,
    ],
  ])('maps %j to transient %s', (reply, code, retryAfterMs) => {
    const error = classifyGraphResponse(reply, context);

    expect(error).toMatchObject({ code, transient: true });
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(error.message).toMatch(
      retryAfterMs === undefined
        ? /try again later$/
        : new RegExp(`try again in ${retryAfterMs / 1000} s$`),
    );
  });

  it.each([
    [
      graph(403, 'ErrorAccessDenied', 'Access is denied.'),
      { reason: 'mail-send' },
    ],
    [
      graph(403, 'ErrorAccessDenied', 'Access to OData is disabled.'),
      { reason: 'access-policy', sender: FROM },
    ],
    [graph(404, 'ErrorInvalidUser', 'Invalid user.'), { sender: FROM }],
    [
      graph(400, 'ErrorInvalidRecipients', 'Not valid.'),
      { reason: 'microsoft365', reply: '400 ErrorInvalidRecipients' },
    ],
    [graph(413, undefined, ''), { reason: 'microsoft365', reply: 'HTTP 413' }],
    [
      graph(429, 'ApplicationThrottled', 'Over the limit.', '7'),
      {
        reason: 'graph',
        reply: '429 ApplicationThrottled',
        retryAfterSeconds: 7,
      },
    ],
    [
      graph(503, 'ServiceUnavailable', 'Unavailable.'),
      { reason: 'graph', reply: '503 ServiceUnavailable' },
    ],
    [
      graph(401, 'InvalidAuthenticationToken', 'Invalid audience.'),
      {
        reason: 'graph-token-refused',
        reply: '401 InvalidAuthenticationToken',
      },
    ],
    // Graph's own message is English free text, which only the message carries.
    [graph(400, 'ErrorInvalidRequest', 'Not supported.'), undefined],
  ])('gives %j the params of its sentence', (reply, params) => {
    expect(classifyGraphResponse(reply, context).params).toEqual(params);
  });

  it('names Mail.ReadWrite when a request for a draft is denied', () => {
    const error = classifyGraphResponse(
      graph(
        403,
        'ErrorAccessDenied',
        'Access is denied. Check credentials and try again.',
      ),
      { ...context, permission: 'Mail.ReadWrite' },
    );

    expect(error).toMatchObject({
      code: 'permission-missing',
      transient: false,
      message:
        'The app lacks the Mail.ReadWrite application permission or admin consent, which large messages need for drafts and upload sessions: add Microsoft Graph › Application permissions › Mail.ReadWrite and grant admin consent, or turn off large messages',
      params: { reason: 'mail-readwrite' },
    });
  });

  it('keeps bearer tokens and secrets out of the reply', () => {
    const error = classifyGraphResponse(
      graph(
        400,
        'BadRequest',
        `Bearer eyJ0eXAiOiJKV1QifQ.eyJyb2xlcyI6W119.c2ln and ${SECRET}`,
      ),
      context,
    );

    const failure = JSON.stringify(error.toFailure());
    expect(failure).not.toContain(SECRET);
    expect(failure).not.toContain('eyJ0eXAiOiJKV1QifQ');
  });

  it('copes with a body that is not Graph JSON', () => {
    const error = classifyGraphResponse(
      { status: 400, retryAfter: null, body: '<html>Bad Request</html>' },
      context,
    );

    expect(error).toMatchObject({
      code: 'provider-error',
      message: 'Microsoft Graph refused the message (HTTP 400)',
      providerReply: '400 <html>Bad Request</html>',
    });
  });
});

describe('classifyNetworkError', () => {
  const graphService = {
    service: 'graph',
    url: 'https://graph.microsoft.com',
  } as const;
  const service = 'Microsoft Graph at https://graph.microsoft.com';

  it('reports a passed deadline as a timeout', () => {
    const error = classifyNetworkError(
      new DOMException(
        'The operation was aborted due to timeout',
        'TimeoutError',
      ),
      graphService,
    );

    expect(error).toMatchObject({
      code: 'timeout',
      transient: true,
      message: `${service} did not answer in time; try again later`,
      params: { reason: 'service', ...graphService },
    });
  });

  it('reports an untrusted certificate as permanent', () => {
    const cause = Object.assign(new Error('self-signed certificate'), {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });

    const error = classifyNetworkError(
      new TypeError('fetch failed', { cause }),
      graphService,
    );

    expect(error).toMatchObject({
      code: 'certificate-invalid',
      transient: false,
      params: {
        reason: 'untrusted-service',
        ...graphService,
        certificateError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      },
      providerReply:
        'TypeError: fetch failed; caused by Error: self-signed certificate',
    });
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('reports a lost connection as transient', () => {
    const cause = Object.assign(new Error('socket hang up'), {
      code: 'ECONNRESET',
    });

    const error = classifyNetworkError(
      new TypeError('fetch failed', { cause }),
      graphService,
    );

    expect(error).toMatchObject({
      code: 'provider-unavailable',
      transient: true,
      message: `${service} could not be reached (ECONNRESET); try again later`,
      params: {
        reason: 'unreachable',
        ...graphService,
        networkError: 'ECONNRESET',
      },
    });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');

  it.each([
    ['7', 7000],
    [' 120 ', 120_000],
    ['Sun, 29 Nov 2026 12:00:30 GMT', 30_000],
    ['Sun, 29 Nov 2026 11:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('reads %j as %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('a huge or crafted reply', () => {
  // 240 KB that the old token pattern (`\beyJ[\w-]+\.[\w-]+\.[\w-]*`) took seconds over.
  const crafted = 'eyJ-'.repeat(60_000);
  const timed = (classify: () => ReturnType<typeof classifyGraphResponse>) => {
    const started = Date.now();
    const error = classify();
    return { error, ms: Date.now() - started };
  };

  it.each([
    [
      'a Graph refusal',
      () =>
        classifyGraphResponse(
          {
            status: 400,
            retryAfter: null,
            body: JSON.stringify({
              error: { code: crafted, message: `${crafted} ${SECRET}` },
            }),
          },
          { from: FROM, secrets: [SECRET] },
        ),
    ],
    [
      'a token endpoint failure',
      () =>
        classifyTokenError(
          new TokenEndpointError('Token endpoint unavailable', {
            origin: 'https://login.microsoftonline.com',
            status: 503,
            reply: `${crafted} ${SECRET}`,
          }),
          [SECRET],
        ),
    ],
    [
      'an Entra refusal',
      () =>
        classifyTokenError(
          entraError('invalid_request', 9_999_999, `${crafted} ${SECRET}`),
          [SECRET],
        ),
    ],
  ])(
    'is classified quickly, cut short and without the secret: %s',
    (_what, classify) => {
      const { error, ms } = timed(classify);
      expect(ms).toBeLessThan(500);
      const failure = JSON.stringify(error.toFailure());
      expect(failure.length).toBeLessThan(12_000);
      expect(failure).not.toContain(SECRET);
      expect(error.message).not.toContain('eyJ-eyJ-');
    },
  );
});
