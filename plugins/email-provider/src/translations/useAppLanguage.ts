import { appLanguageApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEffect, useState } from 'react';

/**
 * The language the app shows its texts in (`en`, `pt-BR`), which dates, times and numbers are
 * formatted in too, so that a Portuguese page does not show English dates.
 */
export function useAppLanguage(): string {
  const languageApi = useApi(appLanguageApiRef);
  const [language, setLanguage] = useState(
    () => languageApi.getLanguage().language,
  );
  useEffect(() => {
    const subscription = languageApi
      .language$()
      .subscribe(next => setLanguage(next.language));
    return () => subscription.unsubscribe();
  }, [languageApi]);
  return language;
}
