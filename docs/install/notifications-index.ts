// packages/backend/src/index.ts
backend.add(
  import(
    '@email-provider/backstage-plugin-notifications-backend-module-email-provider'
  ),
);
