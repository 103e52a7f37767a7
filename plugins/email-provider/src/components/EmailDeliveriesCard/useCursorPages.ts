import { useEffect, useRef, useState } from 'react';

/**
 * Pages of a list read by cursor (the delivery log, the suppression list): the cursor of each page shown so far, so that Next
 * reads after the current page and Previous goes back the way it came. A new `resetKey` (other
 * filters, another page size) starts again from the first page.
 */
export function useCursorPages(resetKey: string) {
  const [pages, setPages] = useState<{
    key: string;
    cursors: Array<string | undefined>;
  }>({ key: resetKey, cursors: [undefined] });
  // Reset in the same render as the key changes, so that no page of the old filter is read.
  const cursors = pages.key === resetKey ? pages.cursors : [undefined];

  return {
    /** 0 for the first page. */
    page: cursors.length - 1,
    /** What to read the current page after; undefined on the first page. */
    cursor: cursors[cursors.length - 1],
    next(nextCursor: string) {
      setPages({ key: resetKey, cursors: [...cursors, nextCursor] });
    },
    previous() {
      if (cursors.length > 1) {
        setPages({ key: resetKey, cursors: cursors.slice(0, -1) });
      }
    },
  };
}

/**
 * Goes back to the page before when the current page comes back empty since it was reached (its
 * rows were removed, purged or no longer match): that page led here. One page per empty answer,
 * as that answer is still shown until the page before is read.
 */
export function useStepBackFromEmptyPage(
  answer: { items: unknown[] } | undefined,
  pages: { page: number; previous(): void },
) {
  const { page, previous } = pages;
  const steppedBackFrom = useRef<object>();
  useEffect(() => {
    if (
      answer &&
      answer.items.length === 0 &&
      page > 0 &&
      steppedBackFrom.current !== answer
    ) {
      steppedBackFrom.current = answer;
      previous();
    }
  }, [answer, page, previous]);
}
