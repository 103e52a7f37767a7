import { InputError } from '@backstage/errors';
import { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import { emailServiceMock } from './emailServiceMock';

const request: SendEmailRequest = {
  to: ['ada@example.com'],
  subject: 'Hello',
  text: 'Hi',
};

describe('emailServiceMock', () => {
  it('records accepted requests and answers queued with an id', async () => {
    const email = emailServiceMock();

    const first = await email.send(request);
    const second = await email.send({ ...request, subject: 'Again' });

    expect(first.status).toBe('queued');
    expect(first.id).not.toBe(second.id);
    expect(email.sent).toEqual([request, { ...request, subject: 'Again' }]);
  });

  it('validates like the real service and records nothing invalid', async () => {
    const email = emailServiceMock();

    await expect(
      email.send({ ...request, to: ['Eve <eve@x.com>'] }),
    ).rejects.toThrow(InputError);
    await expect(
      email.send({ ...request, to: ['Eve <eve@x.com>'] }),
    ).rejects.toThrow(/^Invalid email request: to\.0: /);
    expect(email.sent).toEqual([]);
  });

  it('answers a repeated idempotency key with the first message', async () => {
    const email = emailServiceMock();
    const keyed = { ...request, idempotencyKey: 'week-48' };

    const first = await email.send(keyed);
    const repeated = await email.send({ ...keyed, subject: 'Changed' });

    expect(repeated).toEqual(first);
    expect(email.sent).toEqual([keyed]);
  });

  it('keeps a copy, not the caller object', async () => {
    const email = emailServiceMock();
    const to = ['ada@example.com'];

    await email.send({ ...request, to });
    to.push('grace@example.com');

    expect(email.sent[0].to).toEqual(['ada@example.com']);
  });

  it('answers with the configured status and forgets on clear', async () => {
    const email = emailServiceMock({ status: 'sent' });
    const keyed = { ...request, idempotencyKey: 'k' };

    await expect(email.send(keyed)).resolves.toMatchObject({ status: 'sent' });
    email.clear();
    expect(email.sent).toEqual([]);
    await email.send(keyed);
    expect(email.sent).toEqual([keyed]);
  });

  it('sends many as the real service does: one outcome per request, in order, an invalid one refused alone', async () => {
    const email = emailServiceMock();
    const first = await email.send({
      ...request,
      idempotencyKey: 'report:ada',
    });

    const outcomes = await email.sendMany([
      { ...request, idempotencyKey: 'report:ada' },
      { ...request, to: ['Eve <eve@x.com>'], idempotencyKey: 'report:eve' },
      { ...request, to: ['grace@example.com'] },
    ]);

    expect(outcomes).toEqual([
      { accepted: true, ...first, idempotencyKey: 'report:ada' },
      {
        accepted: false,
        error: {
          name: 'InputError',
          message: expect.stringMatching(/^Invalid email request: to\.0: /),
        },
        idempotencyKey: 'report:eve',
      },
      { accepted: true, id: expect.any(String), status: 'queued' },
    ]);
    expect(email.sent.map(m => m.to)).toEqual([
      ['ada@example.com'],
      ['grace@example.com'],
    ]);
    await expect(email.sendMany([])).resolves.toEqual([]);
  });

  it('has a jest mock of sendMany too', async () => {
    const email = emailServiceMock.mock({
      sendMany: async requests =>
        requests.map(() => ({
          accepted: false,
          error: { name: 'ConflictError', message: 'No email provider' },
        })),
    });
    await expect(email.sendMany([request])).resolves.toEqual([
      {
        accepted: false,
        error: { name: 'ConflictError', message: 'No email provider' },
      },
    ]);
    expect(email.sendMany).toHaveBeenCalledWith([request]);
    expect(jest.isMockFunction(emailServiceMock.mock().sendMany)).toBe(true);
  });
});
