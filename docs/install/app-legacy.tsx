// packages/app/src/App.tsx
import { EmailProviderPage } from '@email-provider/backstage-plugin-email-provider/legacy';

<Route path="/email-provider" element={<EmailProviderPage />} />;

// packages/app/src/components/Root/Root.tsx
import { EmailProviderSidebarItem } from '@email-provider/backstage-plugin-email-provider/legacy';

<EmailProviderSidebarItem />;
