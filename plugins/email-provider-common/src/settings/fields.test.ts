import { emailAddressProblem, emailAddressSchema } from './fields';

describe('emailAddressProblem', () => {
  it('names the same problems as emailAddressSchema, without its sentences', () => {
    const tooLong = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(
      63,
    )}.${'d'.repeat(63)}.com`;
    const cases: Array<[string, ReturnType<typeof emailAddressProblem>]> = [
      ['ada@example.com', undefined],
      [tooLong, 'tooLong'],
      ['Ada <ada@example.com>', 'invalid'],
      ['ada@', 'invalid'],
      ['', 'invalid'],
    ];
    const schema = emailAddressSchema('Recipient');
    for (const [value, problem] of cases) {
      expect(emailAddressProblem(value)).toBe(problem);
      expect(schema.safeParse(value).success).toBe(problem === undefined);
    }
  });
});
