yarn --cwd packages/app add @email-provider/backstage-plugin-email-provider
