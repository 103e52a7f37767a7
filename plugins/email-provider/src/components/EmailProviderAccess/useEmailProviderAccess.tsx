import { useApi } from '@backstage/frontend-plugin-api';
import type { EmailProviderAccess } from '@email-provider/backstage-plugin-email-provider-common';
import {
  createContext,
  ReactNode,
  useContext,
  useEffect,
  useState,
} from 'react';
import { emailProviderApiRef } from '../../api';

/** The signed-in user's access while it is read, once read, or why it could not be read. */
export type EmailProviderAccessState =
  | { loading: true }
  | { loading: false; access: EmailProviderAccess }
  | { loading: false; error: Error };

const AccessContext = createContext<EmailProviderAccessState | undefined>(
  undefined,
);

/**
 * Hands the access the page has read to the cards on it, so that they do not each ask again.
 */
export function EmailProviderAccessProvider(props: {
  value: EmailProviderAccessState;
  children: ReactNode;
}) {
  return (
    <AccessContext.Provider value={props.value}>
      {props.children}
    </AccessContext.Provider>
  );
}

/**
 * What the signed-in user may do with the email provider, as the backend decides it
 * (`GET /access`). The permission API alone cannot say: `emailProvider.admins` narrows whatever
 * the portal's policy allows, and create-app's policy allows everything.
 */
export function useEmailProviderAccess(): EmailProviderAccessState {
  const provided = useContext(AccessContext);
  const api = useApi(emailProviderApiRef);
  const [own, setOwn] = useState<EmailProviderAccessState>({ loading: true });
  useEffect(() => {
    if (provided) {
      return undefined;
    }
    let current = true;
    api.getAccess().then(
      access => {
        if (current) setOwn({ loading: false, access });
      },
      error => {
        if (current) setOwn({ loading: false, error });
      },
    );
    return () => {
      current = false;
    };
  }, [api, provided]);
  return provided ?? own;
}
