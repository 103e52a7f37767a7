import { startTestBackend } from '@backstage/backend-test-utils';
import { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import {
  createFakeEmailProviderPlugin,
  reportsPlugin,
  StoredMessage,
} from '../__testUtils__/testPlugins';
import { emailServiceMock } from '../testUtils';
import { attachment } from './attachment';

const request: SendEmailRequest = {
  to: ['ada@example.com'],
  subject: 'Weekly report',
  text: 'Attached.',
  attachments: [attachment('report.csv', 'text/csv', 'a,b\n1,2\n')],
  idempotencyKey: 'reports:2026-11-23',
  category: 'weekly-report',
};

async function post(port: number, body: unknown) {
  return fetch(`http://localhost:${port}/api/reports/send`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('emailServiceRef', () => {
  it('gives a plugin the default service, which reaches the email-provider backend with its own plugin token', async () => {
    const stored: StoredMessage[] = [];
    const backend = await startTestBackend({
      features: [reportsPlugin, createFakeEmailProviderPlugin(stored)],
    });

    const response = await post(backend.server.port(), request);

    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({
      id: 'msg-1',
      status: 'queued',
    });
    // The email-provider plugin authenticated the call as the reports plugin's service principal.
    expect(stored).toEqual([{ caller: 'plugin:reports', body: request }]);
  });

  it('rejects an invalid request in the calling plugin, before the backend is called', async () => {
    const stored: StoredMessage[] = [];
    const backend = await startTestBackend({
      features: [reportsPlugin, createFakeEmailProviderPlugin(stored)],
    });

    const response = await post(backend.server.port(), {
      ...request,
      to: ['Eve <eve@x.com>'],
    });

    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error.name).toBe('InputError');
    expect(body.error.message).toMatch(
      /^Invalid email request: to\.0: to must be a single plain address/,
    );
    expect(stored).toEqual([]);
  });

  it('is replaced by emailServiceMock.factory in tests', async () => {
    const email = emailServiceMock();
    const backend = await startTestBackend({
      features: [reportsPlugin, emailServiceMock.factory(email)],
    });

    const response = await post(backend.server.port(), request);

    expect(response.status).toBe(200);
    const { id, status } = await response.json();
    expect(status).toBe('queued');
    expect(typeof id).toBe('string');
    expect(email.sent).toEqual([request]);
  });

  it('is replaced by emailServiceMock.mock in tests', async () => {
    const email = emailServiceMock.mock({
      send: async () => ({ id: 'mocked', status: 'queued' }),
    });
    const backend = await startTestBackend({
      features: [reportsPlugin, email.factory],
    });

    const response = await post(backend.server.port(), request);

    await expect(response.json()).resolves.toEqual({
      id: 'mocked',
      status: 'queued',
    });
    expect(email.send).toHaveBeenCalledWith(request);
  });
});
