import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { EmailProviderSettings } from '@email-provider/backstage-plugin-email-provider-common';
import Box from '@material-ui/core/Box';
import Alert from '@material-ui/lab/Alert';
import { emailProviderTranslationRef } from '../../translation';
import { credentialExpiry, expiryWarning } from './credentialExpiry';

/**
 * A warning from 30 days before the saved Microsoft 365 credential expires, an error once it has
 * expired; nothing otherwise.
 */
export function CredentialExpiryAlert(props: {
  settings: EmailProviderSettings;
}) {
  const { settings } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const expiry = credentialExpiry(settings);
  if (!expiry || expiry.status === 'valid') {
    return null;
  }
  const expired = expiry.status === 'expired';
  return (
    <Box mt={1}>
      <Alert
        severity={expired ? 'error' : 'warning'}
        // An expired credential stops all email: announce it; an expiring one is news, not an emergency.
        role={expired ? 'alert' : 'status'}
        data-testid="email-provider-credential-expiry"
      >
        {expiryWarning(expiry, { managed: settings.managedBy === 'config' }, t)}
      </Alert>
    </Box>
  );
}
