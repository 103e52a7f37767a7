import { ResponseError } from '@backstage/errors';
import {
  EmailProviderType,
  MANAGED_BY_CONFIG,
  MANAGED_SETTINGS_CONFIG_KEY,
} from '@email-provider/backstage-plugin-email-provider-common';
import Alert from '@material-ui/lab/Alert';

/** The app-config key of a field of the pinned settings: `emailProvider.managedSettings.smtp.host`. */
export function configKey(field: string): string {
  return `${MANAGED_SETTINGS_CONFIG_KEY}.${field}`;
}

/** The help of a field whose value comes from the configuration: where to change it. */
export function configKeyHelp(field: string): string {
  return `Set in the configuration: ${configKey(field)}`;
}

/** Helper text props that let a configuration key, one long word, wrap in a narrow field. */
export const CONFIG_KEY_HELPER_TEXT_PROPS = {
  style: { overflowWrap: 'anywhere' as const },
};

/** The 409 of a save or delete refused because the configuration pins the provider. */
export function isManagedByConfigError(error: unknown): boolean {
  return (
    error instanceof ResponseError &&
    error.statusCode === 409 &&
    error.body?.error?.code === MANAGED_BY_CONFIG
  );
}

/**
 * Why the settings cannot be changed here: the portal's configuration pins them, and changing
 * them means changing it and restarting.
 */
export function ManagedByConfigNote(props: { provider: EmailProviderType }) {
  const key = <code>{MANAGED_SETTINGS_CONFIG_KEY}</code>;
  // A note, not an alert: it describes the page rather than announcing a change.
  if (props.provider === 'none') {
    return (
      <Alert severity="info" role="note">
        <strong>Sending is switched off by the portal's configuration</strong>:{' '}
        {key} in app-config sets the provider to none, so the portal sends no
        email. This cannot be changed on this page: to send email, change the
        configuration and restart the portal's backend.
      </Alert>
    );
  }
  return (
    <Alert severity="info" role="note">
      <strong>These settings come from the portal's configuration</strong>:{' '}
      {key} in app-config; each field names its key. They cannot be changed on
      this page: to change them, change the configuration and restart the
      portal's backend.
    </Alert>
  );
}
