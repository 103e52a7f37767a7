export { EmailProviderPage } from './EmailProviderPage';
