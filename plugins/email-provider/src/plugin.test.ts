import { emailProviderPlugin } from './plugin';

describe('email-provider', () => {
  it('should export plugin', () => {
    expect(emailProviderPlugin).toBeDefined();
  });
});
