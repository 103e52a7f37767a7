import { ResponseError } from '@backstage/errors';
import { useApi } from '@backstage/frontend-plugin-api';
import type {
  DeliveryList,
  DeliveryRecord,
  DeliverySummary,
} from '@email-provider/backstage-plugin-email-provider-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { DeliveryFilter, emailProviderApiRef } from '../../api';
import { errorMessage } from './format';

/** The rows of the page shown whose status changed since the last read, as they are now. */
export type StatusChanges = Array<Pick<DeliveryRecord, 'subject' | 'status'>>;

export type DeliveryLogState = {
  list?: DeliveryList;
  summary?: DeliverySummary;
  /** Set when nothing could be loaded yet. */
  loadError?: string;
  /** Set when a refresh failed while older data is still shown. */
  refreshError?: string;
  /** The server's reason for refusing the query's filters (a 400); older data is still shown. */
  filterError?: string;
  loading: boolean;
  /** When the data shown was read. */
  updatedAt?: Date;
  /** The rows whose status changed at the last refresh that changed any, for a live region. */
  changes?: StatusChanges;
};

/** The query without its unset parameters, as a string that is the same for the same query. */
const queryKey = (query: DeliveryFilter) =>
  JSON.stringify(
    Object.fromEntries(
      Object.entries(query)
        .filter(([, value]) => value !== undefined)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
  );

/** The rows whose status changed between two reads of the same page of the log. */
function statusChanges(
  before: DeliveryRecord[],
  after: DeliveryRecord[],
): StatusChanges | undefined {
  const previous = new Map(before.map(record => [record.id, record.status]));
  const changed = after
    .filter(
      record =>
        previous.has(record.id) && previous.get(record.id) !== record.status,
    )
    .map(({ subject, status }) => ({ subject, status }));
  return changed.length > 0 ? changed : undefined;
}

/**
 * The delivery log and summary for a query, read again when the query changes, on `refresh()`,
 * and every `intervalMs` while the document is visible (not while it is hidden; at once when it
 * becomes visible again after a longer pause).
 */
export function useDeliveryLog(query: DeliveryFilter, intervalMs: number) {
  const api = useApi(emailProviderApiRef);
  const [state, setState] = useState<DeliveryLogState>({ loading: true });
  const sequence = useRef(0);
  const inFlight = useRef(false);
  const shown = useRef<{ key: string; items: DeliveryRecord[] }>();
  const lastRead = useRef(0);
  // The query by value: a new object with the same parameters reads nothing again.
  const key = queryKey(query);

  const refresh = useCallback(async () => {
    const current: DeliveryFilter = JSON.parse(key);
    const mine = ++sequence.current;
    inFlight.current = true;
    setState(previous => ({
      ...previous,
      loading: true,
      loadError: undefined,
    }));
    try {
      const [list, summary] = await Promise.all([
        api.listMessages(current),
        api.getSummary(),
      ]);
      if (mine !== sequence.current) {
        return; // A newer read (another filter or page) has started; its answer counts.
      }
      const changes =
        shown.current?.key === key
          ? statusChanges(shown.current.items, list.items)
          : undefined;
      shown.current = { key, items: list.items };
      lastRead.current = Date.now();
      setState(previous => ({
        list,
        summary,
        loading: false,
        updatedAt: new Date(),
        // Keep the last announcement when nothing changed: the live region then stays quiet.
        changes: changes ?? previous.changes,
      }));
    } catch (error) {
      if (mine !== sequence.current) {
        return;
      }
      const message = errorMessage(error);
      const refused =
        error instanceof ResponseError && error.statusCode === 400;
      setState(previous => {
        if (!previous.list) {
          return { loading: false, loadError: message };
        }
        return refused
          ? {
              ...previous,
              loading: false,
              filterError: message,
              refreshError: undefined,
            }
          : { ...previous, loading: false, refreshError: message };
      });
    } finally {
      if (mine === sequence.current) {
        inFlight.current = false;
      }
    }
  }, [api, key]);

  // Read at once when the query changes.
  useEffect(() => {
    refresh();
  }, [refresh]);

  // Gentle auto-refresh, only while someone can see the page.
  const latestRefresh = useRef(refresh);
  latestRefresh.current = refresh;
  useEffect(() => {
    const timer = setInterval(() => {
      if (!document.hidden && !inFlight.current) {
        latestRefresh.current();
      }
    }, intervalMs);
    const onVisibilityChange = () => {
      if (
        !document.hidden &&
        !inFlight.current &&
        Date.now() - lastRead.current >= intervalMs
      ) {
        latestRefresh.current();
      }
    };
    document.addEventListener('visibilitychange', onVisibilityChange);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibilityChange);
    };
  }, [intervalMs]);

  /** Shows a record the server just returned (after a retry) until the next read. */
  const replaceRecord = useCallback((record: DeliveryRecord) => {
    setState(previous =>
      previous.list
        ? {
            ...previous,
            list: {
              ...previous.list,
              items: previous.list.items.map(item =>
                item.id === record.id ? record : item,
              ),
            },
          }
        : previous,
    );
    if (shown.current) {
      shown.current = {
        ...shown.current,
        items: shown.current.items.map(item =>
          item.id === record.id ? record : item,
        ),
      };
    }
  }, []);

  return { ...state, refresh, replaceRecord };
}
