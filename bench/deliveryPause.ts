import type { BenchPortal } from './benchPortal';
import type { CountingSmtpServer } from './countingSmtpServer';

/**
 * Holds the portal's delivery back as a Retry-After holds it, so a queue can be stored first and
 * delivered alone after. The pause counts only for the destination it names (OutboxWorker's
 * destinationOf), and a run where mail went out while the queue filled measures nothing of what
 * it says: each call checks that the pause took.
 */
export function deliveryPause(
  portal: BenchPortal,
  smtp: CountingSmtpServer,
  from: string,
) {
  const pacing = () =>
    portal.db('email_provider_delivery_pacing').where('id', 1);
  return {
    pauseDelivery: async () => {
      const updated = await pacing().update({
        paused_for: `smtp localhost:${smtp.port} ${from}`.toLowerCase(),
        paused_until: new Date(Date.now() + 3600_000),
      });
      if (updated !== 1) {
        throw new Error(
          `Pausing delivery updated ${updated} pacing rows, not 1`,
        );
      }
    },
    resumeDelivery: async () => {
      const arrived = await smtp.count();
      if (arrived > 0) {
        throw new Error(
          `${arrived} messages arrived while delivery was paused: the pause did not hold`,
        );
      }
      await pacing().update({ paused_until: null });
    },
  };
}
