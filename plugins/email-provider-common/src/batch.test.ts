import {
  batchIdempotencyKeyOf,
  MAX_BATCH_MESSAGES,
  sendEmailBatchRequestSchema,
} from './batch';

const message = { to: ['ada@example.com'], subject: 'Report', text: 'Hi' };
const issuesOf = (body: unknown) =>
  sendEmailBatchRequestSchema.safeParse(body).error?.issues.map(issue => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));

describe('sendEmailBatchRequestSchema', () => {
  it('takes 1 to 500 entries, whatever each holds: each message is checked on its own', () => {
    expect(MAX_BATCH_MESSAGES).toBe(500);
    const entries = [message, { to: 'not a list' }, null, 'text'];
    expect(sendEmailBatchRequestSchema.parse({ messages: entries })).toEqual({
      messages: entries,
    });
    const full = Array.from({ length: MAX_BATCH_MESSAGES }, () => message);
    expect(
      sendEmailBatchRequestSchema.safeParse({ messages: full }).success,
    ).toBe(true);
  });

  it.each<[string, unknown, Array<{ path: string; message: string }>]>([
    [
      'no list',
      {},
      [{ path: 'messages', message: 'messages must be a list of messages' }],
    ],
    [
      'a single message instead of a list',
      { messages: message },
      [{ path: 'messages', message: 'messages must be a list of messages' }],
    ],
    [
      'an empty list',
      { messages: [] },
      [
        {
          path: 'messages',
          message: 'messages must list at least one message',
        },
      ],
    ],
    [
      'one message too many',
      {
        messages: Array.from({ length: MAX_BATCH_MESSAGES + 1 }, () => message),
      },
      [
        {
          path: 'messages',
          message:
            'messages may list at most 500 messages; send more in several batches',
        },
      ],
    ],
    [
      'a list without the envelope',
      [message],
      [
        {
          path: '',
          message:
            'The batch must be an object with the list of messages in messages',
        },
      ],
    ],
    [
      'another field beside the list',
      { messages: [message], from: 'ceo@example.com' },
      [{ path: '', message: expect.stringMatching(/Unrecognized key.*from/) }],
    ],
  ])('refuses %s', (_, body, issues) => {
    expect(issuesOf(body)).toEqual(issues);
  });
});

describe('batchIdempotencyKeyOf', () => {
  it('gives the key of a message, even of an otherwise invalid one', () => {
    expect(
      batchIdempotencyKeyOf({ ...message, idempotencyKey: 'report:ada' }),
    ).toBe('report:ada');
    expect(
      batchIdempotencyKeyOf({ to: 'not a list', idempotencyKey: 'k-1' }),
    ).toBe('k-1');
  });

  it.each([
    ['no key', message],
    ['a key that is not a string', { ...message, idempotencyKey: 42 }],
    ['an empty key', { ...message, idempotencyKey: '' }],
    ['a key too long', { ...message, idempotencyKey: 'k'.repeat(201) }],
    ['a key with a line break', { ...message, idempotencyKey: 'a\nb' }],
    ['no message at all', null],
    ['a string', 'report:ada'],
  ])('gives nothing for %s', (_, value) => {
    expect(batchIdempotencyKeyOf(value)).toBeUndefined();
  });
});
