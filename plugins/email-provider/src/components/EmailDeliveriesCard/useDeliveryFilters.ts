import {
  DeliveryLogFilter,
  EmailAddressProblem,
  emailAddressProblem,
  MessageStatus,
} from '@email-provider/backstage-plugin-email-provider-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { fromDateTimeLocal, toDateTimeLocal } from './format';

export type StatusFilter = 'all' | MessageStatus;

/** The filter fields as typed: text, and `datetime-local` values for the time range. */
export type FilterDraft = {
  status: StatusFilter;
  recipient: string;
  caller: string;
  category: string;
  q: string;
  from: string;
  to: string;
};

export type FilterField = keyof FilterDraft;

const EMPTY_DRAFT: FilterDraft = {
  status: 'all',
  recipient: '',
  caller: '',
  category: '',
  q: '',
  from: '',
  to: '',
};

/** Typing pauses this long before the log is read with what was typed. */
export const FILTER_DEBOUNCE_MS = 500;

/** Why a recipient typed is not looked for: too long for an address, or not one. */
export type RecipientProblem = EmailAddressProblem;

/**
 * The filter the server is asked for, or why the recipient cannot be: the server checks it too
 * (`emailAddressSchema`), but a half-typed address is better caught here than sent.
 */
function toFilter(
  draft: FilterDraft,
): { filter: DeliveryLogFilter } | { recipientError: RecipientProblem } {
  const recipient = draft.recipient.trim();
  const problem = recipient ? emailAddressProblem(recipient) : undefined;
  if (problem) {
    return { recipientError: problem };
  }
  const filter: DeliveryLogFilter = {
    status: draft.status === 'all' ? undefined : draft.status,
    recipient: recipient || undefined,
    caller: draft.caller.trim() || undefined,
    category: draft.category.trim() || undefined,
    q: draft.q.trim() || undefined,
    from: fromDateTimeLocal(draft.from),
    to: fromDateTimeLocal(draft.to),
  };
  return {
    filter: Object.fromEntries(
      Object.entries(filter).filter(([, value]) => value !== undefined),
    ),
  };
}

/** The same filters, in the same order as {@link toFilter} builds them. */
export const filterKey = (filter: DeliveryLogFilter) => JSON.stringify(filter);

/**
 * The delivery log's filters: what is typed (`draft`) and what the log is read with (`applied`).
 * The status applies at once; typing applies after a pause, or at once with `applyNow` (Enter,
 * leaving the field), so that each keystroke does not read the log. While the recipient is not
 * an address, nothing is applied and `recipientError` says why.
 */
export function useDeliveryFilters() {
  const [draft, setDraft] = useState<FilterDraft>(EMPTY_DRAFT);
  const [applied, setApplied] = useState<DeliveryLogFilter>({});
  const [recipientError, setRecipientError] = useState<RecipientProblem>();
  // The latest draft, for a timer that fires after later renders.
  const latestDraft = useRef(draft);
  const timer = useRef<ReturnType<typeof setTimeout>>();

  useEffect(() => () => clearTimeout(timer.current), []);

  /** Applies the draft; returns the filter applied, or undefined while the recipient is wrong. */
  const apply = useCallback(
    (next: FilterDraft): DeliveryLogFilter | undefined => {
      clearTimeout(timer.current);
      const result = toFilter(next);
      if ('recipientError' in result) {
        setRecipientError(result.recipientError);
        return undefined;
      }
      setRecipientError(undefined);
      setApplied(previous =>
        filterKey(previous) === filterKey(result.filter)
          ? previous
          : result.filter,
      );
      return result.filter;
    },
    [],
  );

  const replaceDraft = useCallback((next: FilterDraft) => {
    latestDraft.current = next;
    setDraft(next);
  }, []);

  const change = useCallback(
    (field: FilterField, value: string) => {
      const next = { ...latestDraft.current, [field]: value };
      replaceDraft(next);
      clearTimeout(timer.current);
      if (field === 'status') {
        apply(next);
      } else {
        timer.current = setTimeout(
          () => apply(latestDraft.current),
          FILTER_DEBOUNCE_MS,
        );
      }
    },
    [apply, replaceDraft],
  );

  const applyNow = useCallback(() => apply(latestDraft.current), [apply]);

  /** Messages created in this time range (ISO date-times), as a bar of the chart covers. */
  const setTimeRange = useCallback(
    (from: string, to: string) => {
      const next = {
        ...latestDraft.current,
        from: toDateTimeLocal(from),
        to: toDateTimeLocal(to),
      };
      replaceDraft(next);
      apply(next);
    },
    [apply, replaceDraft],
  );

  const clearTimeRange = useCallback(() => {
    const next = { ...latestDraft.current, from: '', to: '' };
    replaceDraft(next);
    apply(next);
  }, [apply, replaceDraft]);

  const clearAll = useCallback(() => {
    replaceDraft(EMPTY_DRAFT);
    apply(EMPTY_DRAFT);
  }, [apply, replaceDraft]);

  return {
    draft,
    applied,
    recipientError,
    change,
    applyNow,
    setTimeRange,
    clearTimeRange,
    clearAll,
  };
}

export type DeliveryFiltersState = ReturnType<typeof useDeliveryFilters>;
