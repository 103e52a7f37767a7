// packages/app/src/App.tsx
import emailProviderPlugin from '@email-provider/backstage-plugin-email-provider';

export default createApp({
  features: [emailProviderPlugin /* , … */],
});
