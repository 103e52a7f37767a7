import { useApi } from '@backstage/frontend-plugin-api';
import type { DeliveryStats } from '@email-provider/backstage-plugin-email-provider-common';
import { useEffect, useRef, useState } from 'react';
import { emailProviderApiRef } from '../../api';
import { errorMessage, toIsoWithOffset } from './format';

export type StatsBucket = DeliveryStats['bucket'];

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

/** How many buckets the chart shows: the last 24 hours, or the last 30 days. */
export const BUCKET_COUNTS: Record<StatsBucket, number> = { hour: 24, day: 30 };

/**
 * Where the chart starts: the whole hour 23 hours ago (the current hour is the 24th), or local
 * midnight 29 days ago (today is the 30th), with the browser's offset so that the server's days
 * are the admin's own.
 */
export function statsSince(bucket: StatsBucket, now: Date): string {
  if (bucket === 'hour') {
    const since = new Date(now.getTime() - (BUCKET_COUNTS.hour - 1) * HOUR_MS);
    since.setMinutes(0, 0, 0);
    return toIsoWithOffset(since);
  }
  return toIsoWithOffset(
    new Date(
      now.getFullYear(),
      now.getMonth(),
      now.getDate() - (BUCKET_COUNTS.day - 1),
    ),
  );
}

export type DeliveryStatsState = {
  stats?: DeliveryStats;
  /** Set when nothing could be loaded yet for this bucket. */
  loadError?: string;
  /** Set when a refresh failed while older numbers are still shown. */
  refreshError?: string;
};

/**
 * The chart's numbers (`GET /stats`) per hour or per day, read again when the bucket changes and
 * whenever the delivery log was read (`readAt`), so that chart and log refresh together.
 */
export function useDeliveryStats(
  bucket: StatsBucket,
  readAt: Date | undefined,
): DeliveryStatsState {
  const api = useApi(emailProviderApiRef);
  const [state, setState] = useState<
    DeliveryStatsState & { bucket?: StatsBucket }
  >({});
  const sequence = useRef(0);
  const readAtTime = readAt?.getTime();

  useEffect(() => {
    if (readAtTime === undefined) {
      return;
    }
    const mine = ++sequence.current;
    api
      .getStats({ bucket, since: statsSince(bucket, new Date()) })
      .then(stats => {
        if (mine === sequence.current) {
          setState({ bucket, stats });
        }
      })
      .catch(error => {
        if (mine === sequence.current) {
          const message = errorMessage(error);
          setState(previous =>
            previous.bucket === bucket && previous.stats
              ? { bucket, stats: previous.stats, refreshError: message }
              : { bucket, loadError: message },
          );
        }
      });
  }, [api, bucket, readAtTime]);

  // What was read for the other bucket is not shown while this one's numbers are read.
  if (state.bucket !== bucket) {
    return {};
  }
  return {
    stats: state.stats,
    loadError: state.loadError,
    refreshError: state.refreshError,
  };
}
