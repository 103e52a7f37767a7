// packages/backend/src/index.ts
backend.add(import('@email-provider/backstage-plugin-email-provider-backend'));
