yarn --cwd packages/backend add @internal/backstage-plugin-weekly-report-backend@workspace:^
