export { EmailProviderSidebarItem } from './EmailProviderSidebarItem';
