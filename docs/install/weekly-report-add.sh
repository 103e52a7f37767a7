yarn --cwd plugins/weekly-report-backend add @email-provider/backstage-plugin-email-provider-node
