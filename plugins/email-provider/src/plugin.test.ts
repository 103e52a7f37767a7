import plugin, { EmailDeliveriesCard, emailProviderApiRef } from './index';
import * as legacy from './legacy';

describe('email-provider', () => {
  it('exports the plugin for the new frontend system as the default export', () => {
    expect(plugin.id).toBe('email-provider');
    expect(plugin.getExtension('page:email-provider')).toBeDefined();
    expect(plugin.getExtension('api:email-provider')).toBeDefined();
    expect(EmailDeliveriesCard).toBeInstanceOf(Function);
  });

  it('exports a plugin and components for the old frontend system', () => {
    expect(legacy.emailProviderPlugin.getId()).toBe('email-provider');
    expect(legacy.emailProviderPlugin.getApis()).toHaveLength(1);
    expect(legacy.EmailProviderPage).toBeDefined();
    expect(legacy.EmailProviderSettingsCard).toBeDefined();
    expect(legacy.EmailDeliveriesCard).toBeDefined();
    expect(legacy.emailProviderApiRef).toBe(emailProviderApiRef);
  });
});
