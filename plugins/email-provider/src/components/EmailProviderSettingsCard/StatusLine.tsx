import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { EmailProviderSettings } from '@email-provider/backstage-plugin-email-provider-common';
import Typography from '@material-ui/core/Typography';
import { emailProviderTranslationRef } from '../../translation';
import { useAppLanguage } from '../../translations/useAppLanguage';
import { useSettingsLabels } from './labels';

function formatTime(iso: string, language: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return new Intl.DateTimeFormat(language, {
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
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const { describeSettings } = useSettingsLabels();
  const language = useAppLanguage();
  const managed = settings.managedBy === 'config';
  let status;
  if (settings.provider === 'none') {
    const heading = <strong>{t('settings.status.noneHeading')}</strong>;
    status = managed
      ? t('settings.status.noneByConfig', { heading })
      : t('settings.status.none', { heading });
  } else {
    const active = (
      <strong>
        {t('settings.status.active', {
          settings: describeSettings(settings),
        })}
      </strong>
    );
    status = managed
      ? t('settings.status.activeByConfig', { active })
      : t('settings.status.activeSince', {
          active,
          time: (
            <time dateTime={settings.updatedAt}>
              {formatTime(settings.updatedAt, language)}
            </time>
          ),
          user: settings.updatedBy,
        });
  }
  return (
    <Typography variant="body1" data-testid="email-provider-status">
      {status}
    </Typography>
  );
}
