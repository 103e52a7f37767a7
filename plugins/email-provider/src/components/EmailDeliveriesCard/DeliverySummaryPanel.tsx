import {
  InfoCard,
  StatusError,
  StatusOK,
  StatusWarning,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { DeliverySummary } from '@email-provider/backstage-plugin-email-provider-common';
import Grid from '@material-ui/core/Grid';
import { makeStyles } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
import { emailProviderTranslationRef } from '../../translation';
import type { CredentialExpiry } from '../CredentialExpiry';
import { formatCount, formatTime } from './format';
import { useAppLanguage } from '../../translations/useAppLanguage';

const useStyles = makeStyles(theme => ({
  list: { margin: 0 },
  term: {
    ...theme.typography.overline,
    color: theme.palette.text.secondary,
  },
  value: {
    ...theme.typography.h6,
    margin: 0,
    display: 'flex',
    alignItems: 'baseline',
  },
  detail: {
    ...theme.typography.body2,
    color: theme.palette.text.secondary,
    marginLeft: theme.spacing(1),
  },
}));

const EXPIRY_TERMS = {
  secret: 'deliveries.summary.secretExpires',
  certificate: 'deliveries.summary.certificateExpires',
} as const satisfies Record<CredentialExpiry['credential'], string>;

/** "in 12 days", "tomorrow", "expired 3 days ago": how far off the expiry day is. */
function useDescribeExpiry() {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return ({ daysLeft, status }: CredentialExpiry): string => {
    if (status === 'expired') {
      if (daysLeft === 0) {
        return t('deliveries.summary.expiredToday');
      }
      return daysLeft === -1
        ? t('deliveries.summary.expiredYesterday')
        : t('deliveries.summary.expiredAgo', { count: -daysLeft });
    }
    if (daysLeft === 0) {
      return t('deliveries.summary.expiresToday');
    }
    return daysLeft === 1
      ? t('deliveries.summary.expiresTomorrow')
      : t('deliveries.summary.expiresIn', { count: daysLeft });
  };
}

/** The credential's expiry day, with how far off it is and a status icon that warns in time. */
function Expiry(props: { expiry: CredentialExpiry }) {
  const { expiry } = props;
  const classes = useStyles();
  const describeExpiry = useDescribeExpiry();
  let icon = <StatusOK />;
  if (expiry.status === 'expired') {
    icon = <StatusError />;
  } else if (expiry.status === 'expiring') {
    icon = <StatusWarning />;
  }
  return (
    <>
      {icon}
      <time dateTime={expiry.day}>{expiry.day}</time>
      <span className={classes.detail}>{describeExpiry(expiry)}</span>
    </>
  );
}

function Time(props: { iso?: string; none: string }) {
  const language = useAppLanguage();
  return props.iso ? (
    <time dateTime={props.iso}>{formatTime(props.iso, language)}</time>
  ) : (
    <>{props.none}</>
  );
}

/**
 * The delivery health at a glance: last success, last failure, waiting, failed in 24 hours, and
 * when the Microsoft 365 credential expires, when that is known.
 */
export function DeliverySummaryPanel(props: {
  summary: DeliverySummary;
  credentialExpiry?: CredentialExpiry;
}) {
  const { summary, credentialExpiry } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  const items: Array<{ term: string; value: ReactNode }> = [
    {
      term: t('deliveries.summary.lastSuccess'),
      value: (
        <Time
          iso={summary.lastSuccessAt}
          none={t('deliveries.summary.noSuccess')}
        />
      ),
    },
    {
      term: t('deliveries.summary.lastFailure'),
      value: (
        <Time
          iso={summary.lastFailureAt}
          none={t('deliveries.summary.noFailure')}
        />
      ),
    },
    {
      term: t('deliveries.summary.waiting'),
      value: formatCount(summary.waiting, language),
    },
    {
      term: t('deliveries.summary.failedLast24Hours'),
      value: (
        <>
          {summary.failedLast24Hours > 0 ? <StatusError /> : <StatusOK />}
          {formatCount(summary.failedLast24Hours, language)}
        </>
      ),
    },
    ...(credentialExpiry
      ? [
          {
            term: t(EXPIRY_TERMS[credentialExpiry.credential]),
            value: <Expiry expiry={credentialExpiry} />,
          },
        ]
      : []),
  ];
  return (
    <InfoCard title={t('deliveries.summary.title')}>
      <Grid
        container
        spacing={2}
        component="dl"
        className={classes.list}
        data-testid="email-deliveries-summary"
      >
        {items.map(item => (
          <Grid item xs={12} sm={6} md key={item.term}>
            <Typography component="dt" className={classes.term}>
              {item.term}
            </Typography>
            <Typography component="dd" className={classes.value}>
              {item.value}
            </Typography>
          </Grid>
        ))}
      </Grid>
    </InfoCard>
  );
}
