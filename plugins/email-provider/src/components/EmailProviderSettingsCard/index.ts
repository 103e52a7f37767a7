export { EmailProviderSettingsCard } from './EmailProviderSettingsCard';
export { DeliveryHints } from './DeliveryHints';
export { NotAllowed } from './NotAllowed';
export { ConfirmDialog } from './ConfirmDialog';
