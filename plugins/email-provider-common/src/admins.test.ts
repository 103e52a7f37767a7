import { isEmailProviderAdmin } from './admins';

describe('isEmailProviderAdmin', () => {
  const admins = ['user:default/ada', 'group:default/Platform-Admins'];

  it('admits a listed user', () => {
    expect(isEmailProviderAdmin(admins, ['user:default/ada'])).toBe(true);
  });

  it('admits a member of a listed group through their ownership refs', () => {
    expect(
      isEmailProviderAdmin(admins, [
        'user:default/grace',
        'group:default/platform-admins',
      ]),
    ).toBe(true);
  });

  it('compares refs as Backstage does: case-insensitive, default namespace', () => {
    expect(isEmailProviderAdmin(['user:ada'], ['user:default/ADA'])).toBe(true);
  });

  it('refuses everyone else', () => {
    expect(isEmailProviderAdmin(admins, ['user:default/grace'])).toBe(false);
    expect(isEmailProviderAdmin(admins, ['user:other/ada'])).toBe(false);
    expect(isEmailProviderAdmin([], ['user:default/ada'])).toBe(false);
    expect(isEmailProviderAdmin(admins, [])).toBe(false);
  });
});
