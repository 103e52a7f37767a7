export { emailProviderApiRef } from './EmailProviderApi';
export type {
  EmailProviderApi,
  EmailProviderSettingsSnapshot,
  TestEmailFailureResult,
  TestEmailOutcome,
} from './EmailProviderApi';
export { EmailProviderClient } from './EmailProviderClient';
