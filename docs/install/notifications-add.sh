yarn --cwd packages/backend add @email-provider/backstage-plugin-notifications-backend-module-email-provider
