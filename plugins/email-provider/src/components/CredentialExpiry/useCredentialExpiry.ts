import { useApi } from '@backstage/frontend-plugin-api';
import { useEffect, useState } from 'react';
import { emailProviderApiRef } from '../../api';
import { CredentialExpiry, credentialExpiry } from './credentialExpiry';

/**
 * The expiry of the saved credential, read once from the settings, for users who may read them
 * (`enabled`); undefined while loading, when unknown, or when the settings cannot be read.
 */
export function useCredentialExpiry(
  enabled: boolean,
): CredentialExpiry | undefined {
  const api = useApi(emailProviderApiRef);
  const [expiry, setExpiry] = useState<CredentialExpiry>();
  useEffect(() => {
    if (!enabled) {
      return undefined;
    }
    let cancelled = false;
    api
      .getSettings()
      .then(({ settings }) => {
        if (!cancelled) {
          setExpiry(credentialExpiry(settings));
        }
      })
      // The expiry is extra information on this page: without it the log still works.
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [api, enabled]);
  return expiry;
}
