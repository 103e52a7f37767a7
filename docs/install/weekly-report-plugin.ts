// plugins/weekly-report-backend/src/plugin.ts
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  attachment,
  emailServiceRef,
} from '@email-provider/backstage-plugin-email-provider-node';

/** One CSV field, quoted when it holds a comma, a quote or a line break. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The Monday of the week `date` falls in, such as `2026-11-23`. */
function weekOf(date: Date): string {
  const monday = new Date(date);
  monday.setDate(date.getDate() - ((date.getDay() + 6) % 7));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${monday.getFullYear()}-${pad(monday.getMonth() + 1)}-${pad(
    monday.getDate(),
  )}`;
}

export const weeklyReportPlugin = createBackendPlugin({
  pluginId: 'weekly-report',
  register(env) {
    env.registerInit({
      deps: {
        auth: coreServices.auth,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        email: emailServiceRef,
      },
      async init({ auth, config, logger, scheduler, catalog, email }) {
        const recipients = config.getStringArray('weeklyReport.recipients');

        await scheduler.scheduleTask({
          id: 'send-weekly-report',
          frequency: { cron: '0 7 * * 1' }, // Mondays at 07:00
          timeout: { minutes: 10 },
          fn: async () => {
            const week = weekOf(new Date());

            const { items } = await catalog.getEntities(
              {
                filter: { kind: 'Component' },
                fields: ['metadata.name', 'spec.owner', 'spec.lifecycle'],
              },
              { credentials: await auth.getOwnServiceCredentials() },
            );
            const rows = items.map(entity => [
              entity.metadata.name,
              String(entity.spec?.owner ?? ''),
              String(entity.spec?.lifecycle ?? ''),
            ]);
            const csv = [['component', 'owner', 'lifecycle'], ...rows]
              .map(row => `${row.map(csvField).join(',')}\r\n`)
              .join('');

            const { id, status } = await email.send({
              to: recipients,
              subject: `Components, week of ${week}`,
              text: `There are ${rows.length} components; the list is attached.`,
              attachments: [
                attachment(`components-${week}.csv`, 'text/csv', csv),
              ],
              // The same key all week: a retried or re-run task does not send twice.
              idempotencyKey: `weekly-report:${week}`,
              category: 'weekly-report',
            });
            logger.info(`Weekly report for ${week}: message ${id} ${status}`);
          },
        });
      },
    });
  },
});

export default weeklyReportPlugin;
