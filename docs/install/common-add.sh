yarn --cwd packages/backend add @email-provider/backstage-plugin-email-provider-common
