import { useCallback, useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';

function linkTarget(event: MouseEvent): string | undefined {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  ) {
    return undefined;
  }
  const anchor = (event.target as Element | null)?.closest?.('a[href]');
  if (!(anchor instanceof HTMLAnchorElement)) {
    return undefined;
  }
  if (anchor.target && anchor.target !== '_self') {
    return undefined;
  }
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin) {
    return undefined;
  }
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * Warns before the admin leaves with unsaved changes: the browser's own prompt when the page
 * is reloaded or closed, and a question before following a link inside the app (the app's
 * router cannot block navigation, so clicks on links are caught before it sees them).
 */
export function useUnsavedChangesPrompt(unsaved: boolean) {
  const navigate = useNavigate();
  const location = useLocation();
  const [pendingPath, setPendingPath] = useState<string>();

  useEffect(() => {
    if (!unsaved) {
      return undefined;
    }
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show the prompt only when a value is set.
      event.returnValue = '';
    };
    const onClick = (event: MouseEvent) => {
      const path = linkTarget(event);
      const here = `${location.pathname}${location.search}${location.hash}`;
      if (path === undefined || path === here) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      setPendingPath(path);
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    document.addEventListener('click', onClick, true);
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      document.removeEventListener('click', onClick, true);
    };
  }, [unsaved, location]);

  const stay = useCallback(() => setPendingPath(undefined), []);
  const leave = useCallback(() => {
    const path = pendingPath;
    setPendingPath(undefined);
    if (path !== undefined) {
      navigate(path);
    }
  }, [navigate, pendingPath]);

  return { pendingPath, stay, leave };
}
