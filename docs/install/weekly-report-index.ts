// packages/backend/src/index.ts
backend.add(import('@internal/backstage-plugin-weekly-report-backend'));
