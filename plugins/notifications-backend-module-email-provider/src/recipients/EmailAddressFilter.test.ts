import { EmailAddressFilter } from './EmailAddressFilter';

const filter = (allow?: string[], deny?: string[]) =>
  new EmailAddressFilter({
    allowlist: { key: 'x.allowlistEmailAddresses', patterns: allow },
    denylist: { key: 'x.denylistEmailAddresses', patterns: deny },
  });

describe('EmailAddressFilter', () => {
  it('allows every address without lists', () => {
    expect(filter().allows('anyone@anywhere.example')).toBe(true);
  });

  it('matches whole addresses, without regard to case, `*` standing for any characters but @', () => {
    const staging = filter([
      '*@acme.test',
      'Ada@ACME.com',
      '*@*.staging.acme.com',
    ]);
    expect(staging.allows('bob@acme.test')).toBe(true);
    expect(staging.allows('BOB@Acme.Test')).toBe(true);
    expect(staging.allows('ada@acme.com')).toBe(true);
    expect(staging.allows('qa@eu.staging.acme.com')).toBe(true);
    // Not a subdomain, not a longer domain, not another user, not a lookalike.
    expect(staging.allows('bob@mail.acme.test')).toBe(false);
    expect(staging.allows('bob@acme.test.evil.example')).toBe(false);
    expect(staging.allows('grace@acme.com')).toBe(false);
    expect(staging.allows('qa@staging.acme.com')).toBe(false);
    expect(staging.allows('qa@eu.stagingXacme.com')).toBe(false);
  });

  it('lets the denylist win over the allowlist', () => {
    const both = filter(['*@acme.test'], ['ceo@acme.test', '*@*.acme.test']);
    expect(both.allows('ada@acme.test')).toBe(true);
    expect(both.allows('ceo@acme.test')).toBe(false);
    expect(filter(undefined, ['*@acme.test']).allows('ada@acme.test')).toBe(
      false,
    );
    expect(filter(undefined, ['*@acme.test']).allows('ada@acme.com')).toBe(
      true,
    );
  });

  it.each([
    ['acme.test', 'x.allowlistEmailAddresses[1]'],
    ['@acme.test', 'x.allowlistEmailAddresses[1]'],
    ['ada@', 'x.allowlistEmailAddresses[1]'],
    ['ada@acme.test, eve@evil.example', 'x.allowlistEmailAddresses[1]'],
    ['ada@acme@test', 'x.allowlistEmailAddresses[1]'],
    ['<ada@acme.test>', 'x.allowlistEmailAddresses[1]'],
  ])('refuses the pattern %j, naming its key', (pattern, key) => {
    expect(() => filter(['*@ok.example', pattern])).toThrow(
      `${key} must be an email address pattern such as *@acme.test`,
    );
  });

  it('refuses an empty list, naming its key', () => {
    expect(() => filter(undefined, [])).toThrow(
      'x.denylistEmailAddresses must list at least one address pattern',
    );
  });
});
