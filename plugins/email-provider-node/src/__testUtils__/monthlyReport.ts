// The README's sendMany example, kept here so that it compiles and is tested. Keep the two in sync.
import { LoggerService } from '@backstage/backend-plugin-api';
import { attachment, EmailService } from '../index';

export type Subscriber = { userRef: string; email: string; csv: string };

/** Mails each subscriber their own report for `month` (such as `2026-12`). */
export async function sendMonthlyReport(
  email: EmailService,
  logger: LoggerService,
  month: string,
  subscribers: Subscriber[],
): Promise<void> {
  const outcomes = await email.sendMany(
    subscribers.map(subscriber => ({
      to: [subscriber.email],
      subject: `Your costs for ${month}`,
      text: 'Your cost report is attached.',
      attachments: [
        attachment(`costs-${month}.csv`, 'text/csv', subscriber.csv),
      ],
      // One key per month and person: a re-run stores only what was not stored before.
      idempotencyKey: `report:${month}:${subscriber.userRef}`,
      category: 'cost-report',
      unsubscribe: { list: 'cost-report', description: 'Monthly cost reports' },
    })),
  );

  // One outcome per subscriber, in the same order.
  outcomes.forEach((outcome, i) => {
    if (!outcome.accepted) {
      logger.warn(
        `No cost report for ${subscribers[i].userRef}: ${outcome.error.name}: ${outcome.error.message}`,
      );
    }
  });
  const stored = outcomes.filter(outcome => outcome.accepted).length;
  logger.info(`Cost report ${month}: ${stored} of ${outcomes.length} stored`);
}
