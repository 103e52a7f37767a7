// packages/app/src/modules/nav/Sidebar.tsx
import { EmailProviderSidebarItem } from '@email-provider/backstage-plugin-email-provider';

// in the NavContentBlueprint component:
<Sidebar>
  {/* … */}
  <SidebarSpace />
  <EmailProviderSidebarItem />
  {/* … */}
</Sidebar>;
