/**
 * The email-provider frontend plugin: the "Email provider" admin page, its settings card and
 * delivery log. The default export is the plugin for the new frontend system; apps on the old
 * system import `@email-provider/backstage-plugin-email-provider/legacy`.
 *
 * @packageDocumentation
 */
export { emailProviderPlugin as default } from './plugin';
export { emailProviderApi, emailProviderPage } from './plugin';
export { EmailProviderPage } from './components/EmailProviderPage';
export { EmailProviderSettingsCard } from './components/EmailProviderSettingsCard';
export { EmailDeliveriesCard } from './components/EmailDeliveriesCard';
export { EmailProviderSidebarItem } from './components/EmailProviderSidebarItem';
export { emailProviderApiRef, EmailProviderClient } from './api';
export { emailProviderTranslationRef } from './translation';
export type {
  DeliveryFilter,
  EmailProviderApi,
  EmailProviderSettingsSnapshot,
  TestEmailFailureResult,
  TestEmailOutcome,
} from './api';
