import { Link } from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import Typography from '@material-ui/core/Typography';
import { InfoCard } from '@backstage/core-components';

/** Microsoft's own page on Exchange Online sending limits, when the portal names no other. */
const MICROSOFT_LIMITS_URL =
  'https://learn.microsoft.com/en-us/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits';

/**
 * What an admin needs to know beyond the form: SPF, so that mail does not land in spam, and
 * Microsoft's sending limits per mailbox.
 */
export function DeliveryHints() {
  const config = useApi(configApiRef);
  const deliveryDocs =
    config.getOptionalString('emailProvider.deliveryDocumentationUrl') ??
    MICROSOFT_LIMITS_URL;
  return (
    <InfoCard title="Delivery">
      <Typography variant="body2" paragraph>
        <strong>Keep mail out of spam folders.</strong> The sender address's
        domain must allow the servers that send for it: add your SMTP server's
        or relay's sending IP addresses (or its <code>include:</code>) to the
        domain's SPF record, for Microsoft 365{' '}
        <code>include:spf.protection.outlook.com</code>, and turn on DKIM
        signing where the provider offers it.
      </Typography>
      <Typography variant="body2">
        <strong>Microsoft limits how much one mailbox may send:</strong> 30
        messages a minute and 10,000 recipients a day. The portal paces its mail
        to stay under them, so a large batch takes a while.{' '}
        {/* Underlined: inside a sentence, colour alone would not tell the link apart. */}
        <Link to={deliveryDocs} underline="always">
          How the portal delivers mail
        </Link>
      </Typography>
    </InfoCard>
  );
}
