export { emailProviderApiRef } from './EmailProviderApi';
export type {
  DeliveryFilter,
  EmailProviderApi,
  EmailProviderSettingsSnapshot,
  TestEmailFailureResult,
  TestEmailOutcome,
} from './EmailProviderApi';
export { EmailProviderClient } from './EmailProviderClient';
