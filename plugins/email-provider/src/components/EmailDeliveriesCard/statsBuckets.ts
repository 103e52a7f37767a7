import type {
  DeliveryStats,
  DeliveryStatsBucket,
} from '@email-provider/backstage-plugin-email-provider-common';
import { DAY_MS, HOUR_MS, StatsBucket } from './useDeliveryStats';

/** A bucket of the chart with where it ends: the next bucket's start. */
export type StatsRow = DeliveryStatsBucket & { end: string };

export function statsRows(stats: DeliveryStats): StatsRow[] {
  const length = stats.bucket === 'hour' ? HOUR_MS : DAY_MS;
  return stats.buckets.map((bucket, index) => ({
    ...bucket,
    end:
      stats.buckets[index + 1]?.start ??
      new Date(new Date(bucket.start).getTime() + length).toISOString(),
  }));
}

/** A bar's label on the axis, in the app's language: the hour (`08:00`) or the day (`29 Nov`). */
export function formatBucketTick(
  start: string,
  bucket: StatsBucket,
  language: string,
): string {
  return new Intl.DateTimeFormat(
    language,
    bucket === 'hour'
      ? { hour: '2-digit', minute: '2-digit' }
      : { day: 'numeric', month: 'short' },
  ).format(new Date(start));
}

/**
 * What a bucket covers, in full and in the app's language: the day, or the day and the hour from
 * its start to its end.
 */
export function formatBucketRange(
  row: StatsRow,
  bucket: StatsBucket,
  language: string,
): string {
  if (bucket === 'day') {
    return new Intl.DateTimeFormat(language, { dateStyle: 'full' }).format(
      new Date(row.start),
    );
  }
  const time = new Intl.DateTimeFormat(language, { timeStyle: 'short' });
  return `${new Intl.DateTimeFormat(language, {
    dateStyle: 'medium',
  }).format(new Date(row.start))}, ${time.format(
    new Date(row.start),
  )}–${time.format(new Date(row.end))}`;
}

/** The failure codes of a bucket's failed messages, most frequent first. */
export function failureCodes(
  row: DeliveryStatsBucket,
): Array<{ code: string; count: number }> {
  return Object.entries(row.failedByCode)
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}
