import { ResponseError } from '@backstage/errors';
import { useApi } from '@backstage/frontend-plugin-api';
import type { EmailSuppressionList } from '@email-provider/backstage-plugin-email-provider-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { emailProviderApiRef } from '../../api';
import { errorMessage } from './format';

/** Which page of the suppression list to read: one address or all, after a cursor. */
export type SuppressionsQuery = {
  address?: string;
  cursor?: string;
  limit: number;
};

export type SuppressionsState = {
  /** The page read for the current query; kept while it is read again. */
  list?: EmailSuppressionList;
  loading: boolean;
  /** Why the page could not be read. */
  loadError?: string;
  /** The server's reason for refusing the address searched for (a 400). */
  searchError?: string;
};

/**
 * A page of the suppression list, read when the query changes and on `refresh()`. A failed read
 * drops the page, as it belongs to the query before.
 */
export function useSuppressions(query: SuppressionsQuery) {
  const api = useApi(emailProviderApiRef);
  const [state, setState] = useState<SuppressionsState>({ loading: true });
  const sequence = useRef(0);
  const { address, cursor, limit } = query;

  const refresh = useCallback(async () => {
    const mine = ++sequence.current;
    setState(previous => ({ ...previous, loading: true }));
    try {
      const list = await api.listSuppressions({ address, cursor, limit });
      if (mine === sequence.current) {
        setState({ list, loading: false });
      }
    } catch (error) {
      if (mine !== sequence.current) {
        return; // A newer read (another address or page) has started; its answer counts.
      }
      const message = errorMessage(error);
      setState(
        error instanceof ResponseError && error.statusCode === 400
          ? { loading: false, searchError: message }
          : { loading: false, loadError: message },
      );
    }
  }, [api, address, cursor, limit]);

  useEffect(() => {
    refresh();
  }, [refresh]);

  /** Stops showing an entry the server just removed, until the next read. */
  const drop = useCallback((id: string) => {
    setState(previous =>
      previous.list
        ? {
            ...previous,
            list: {
              ...previous.list,
              items: previous.list.items.filter(entry => entry.id !== id),
            },
          }
        : previous,
    );
  }, []);

  return { ...state, refresh, drop };
}
