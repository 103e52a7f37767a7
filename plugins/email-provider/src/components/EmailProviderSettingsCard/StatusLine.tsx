import type { EmailProviderSettings } from '@email-provider/backstage-plugin-email-provider-common';
import Typography from '@material-ui/core/Typography';
import { describeSettings } from './labels';

function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return new Intl.DateTimeFormat(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(date);
}

/**
 * Which provider is active, since when, and who saved it; or that the portal's configuration
 * sets it.
 */
export function StatusLine(props: { settings: EmailProviderSettings }) {
  const { settings } = props;
  const managed = settings.managedBy === 'config';
  if (settings.provider === 'none') {
    return (
      <Typography variant="body1" data-testid="email-provider-status">
        <strong>No email provider is active</strong>:{' '}
        {managed
          ? "sending is switched off by the portal's configuration."
          : 'the portal sends no email.'}
      </Typography>
    );
  }
  if (managed) {
    return (
      <Typography variant="body1" data-testid="email-provider-status">
        <strong>Active: {describeSettings(settings)}</strong>, set by the
        portal's configuration.
      </Typography>
    );
  }
  return (
    <Typography variant="body1" data-testid="email-provider-status">
      <strong>Active: {describeSettings(settings)}</strong>, since{' '}
      <time dateTime={settings.updatedAt}>
        {formatTime(settings.updatedAt)}
      </time>
      , changed by {settings.updatedBy}.
    </Typography>
  );
}
