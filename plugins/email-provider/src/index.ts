export { emailProviderPlugin as default } from './plugin';
