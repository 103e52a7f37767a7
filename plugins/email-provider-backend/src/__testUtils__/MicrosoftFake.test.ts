import { createTestPki, TestPki, trustTestCa } from './certificates';
import { MicrosoftFake, startMicrosoftFake } from './MicrosoftFake';

// The provider's tests trust this fake to refuse what Graph refuses; these check that it does
// for upload sessions, where a lenient fake would let a wrong client pass.

const MAILBOX = 'reports@contoso.onmicrosoft.com';
const MB = 1024 * 1024;

describe('MicrosoftFake upload sessions', () => {
  let pki: TestPki;
  let untrust: () => void;
  let fake: MicrosoftFake;
  let token: string;

  beforeAll(async () => {
    pki = await createTestPki();
    untrust = trustTestCa(pki);
    fake = await startMicrosoftFake(pki, {
      mailboxes: [MAILBOX],
      roles: ['Mail.Send', 'Mail.ReadWrite'],
    });
    const response = await fetch(
      `${fake.authorityHost}/${fake.settings.tenantId}/oauth2/v2.0/token`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: fake.settings.clientId,
          client_secret: fake.settings.clientSecret,
          scope: `${fake.graphBaseUrl}/.default`,
        }),
      },
    );
    token = (await response.json()).access_token;
  });

  afterAll(async () => {
    await fake.close();
    untrust();
  });

  const graph = (path: string, body: object) =>
    fetch(
      `${fake.graphBaseUrl}/v1.0/users/${encodeURIComponent(MAILBOX)}${path}`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(body),
      },
    );

  async function uploadSession(size: number) {
    const draft = await graph('/messages', {
      subject: 'Large',
      body: { contentType: 'Text', content: 'x' },
      toRecipients: [{ emailAddress: { address: 'ada@example.com' } }],
    });
    const { id } = await draft.json();
    const session = await graph(
      `/messages/${encodeURIComponent(id)}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', name: 'a.bin', size } },
    );
    expect(session.status).toBe(201);
    return (await session.json()).uploadUrl as string;
  }

  const put = (url: string, range: string, body: Buffer, headers = {}) =>
    fetch(url, {
      method: 'PUT',
      headers: { 'Content-Range': range, ...headers },
      body,
    });

  it('refuses, and counts, an Authorization header sent to the upload URL', async () => {
    const url = await uploadSession(4 * MB);
    const response = await put(url, `bytes 0-99/${4 * MB}`, Buffer.alloc(100), {
      Authorization: `Bearer ${token}`,
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/pre-authenticated/);
    expect(fake.counters.uploadsWithAuthorization).toBe(1);
  });

  it.each([
    ['a range not starting at the next expected byte', 'bytes 100-199/SIZE'],
    ['a range whose total is not the session size', 'bytes 0-99/5000000'],
    ['a range longer than the body', 'bytes 0-199/SIZE'],
    ['no range', ''],
  ])('refuses %s with a Graph error', async (_case, range) => {
    const url = await uploadSession(4 * MB);
    const response = await put(
      url,
      range.replace('SIZE', String(4 * MB)),
      Buffer.alloc(100),
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({
      code: 'InvalidContentRange',
      message: expect.stringContaining('nextExpectedRanges: 0-'),
    });
  });

  it('answers 200 with the next expected range, then 201 when the attachment is complete', async () => {
    const url = await uploadSession(4 * MB);
    const first = await put(
      url,
      `bytes 0-${3 * MB - 1}/${4 * MB}`,
      Buffer.alloc(3 * MB),
    );
    expect(first.status).toBe(200);
    expect((await first.json()).nextExpectedRanges).toEqual([`${3 * MB}-`]);
    const last = await put(
      url,
      `bytes ${3 * MB}-${4 * MB - 1}/${4 * MB}`,
      Buffer.alloc(MB),
    );
    expect(last.status).toBe(201);
    expect(last.headers.get('location')).toMatch(/\/attachments\//);
  });

  it('refuses an upload session for an attachment under 3 MB', async () => {
    const draft = await graph('/messages', {
      body: { contentType: 'Text', content: 'x' },
    });
    const { id } = await draft.json();
    const response = await graph(
      `/messages/${encodeURIComponent(id)}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', name: 'a.bin', size: MB } },
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe(
      'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize',
    );
  });
});
