import { InfoCard, Link } from '@backstage/core-components';
import {
  configApiRef,
  useApi,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';
import Typography from '@material-ui/core/Typography';
import { emailProviderTranslationRef } from '../../translation';

/** Microsoft's own page on Exchange Online sending limits, when the portal names no other. */
const MICROSOFT_LIMITS_URL =
  'https://learn.microsoft.com/en-us/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits';

/**
 * What an admin needs to know beyond the form: SPF, so that mail does not land in spam, and
 * Microsoft's sending limits per mailbox.
 */
export function DeliveryHints() {
  const config = useApi(configApiRef);
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const deliveryDocs =
    config.getOptionalString('emailProvider.deliveryDocumentationUrl') ??
    MICROSOFT_LIMITS_URL;
  return (
    <InfoCard title={t('settings.deliveryHints.title')}>
      <Typography variant="body2" paragraph>
        {t('settings.deliveryHints.spf.body', {
          heading: <strong>{t('settings.deliveryHints.spf.heading')}</strong>,
          include: <code>include:</code>,
          microsoftInclude: <code>include:spf.protection.outlook.com</code>,
        })}
      </Typography>
      <Typography variant="body2">
        {t('settings.deliveryHints.limits.body', {
          heading: (
            <strong>{t('settings.deliveryHints.limits.heading')}</strong>
          ),
        })}{' '}
        {/* Underlined: inside a sentence, colour alone would not tell the link apart. */}
        <Link to={deliveryDocs} underline="always">
          {t('settings.deliveryHints.docsLink')}
        </Link>
      </Typography>
    </InfoCard>
  );
}
