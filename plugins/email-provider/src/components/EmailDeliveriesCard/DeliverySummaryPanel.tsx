import {
  InfoCard,
  StatusError,
  StatusOK,
  StatusWarning,
} from '@backstage/core-components';
import type { DeliverySummary } from '@email-provider/backstage-plugin-email-provider-common';
import Grid from '@material-ui/core/Grid';
import { makeStyles } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
import { CredentialExpiry, describeDaysLeft } from '../CredentialExpiry';
import { formatTime } from './format';

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

const EXPIRY_TERMS: Record<CredentialExpiry['credential'], string> = {
  secret: 'Client secret expires',
  certificate: 'Certificate expires',
};

/** The credential's expiry day, with how far off it is and a status icon that warns in time. */
function Expiry(props: { expiry: CredentialExpiry }) {
  const { expiry } = props;
  const classes = useStyles();
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
      <span className={classes.detail}>
        {expiry.status === 'expired'
          ? `expired ${describeDaysLeft(expiry.daysLeft)}`
          : describeDaysLeft(expiry.daysLeft)}
      </span>
    </>
  );
}

function Time(props: { iso?: string; none: string }) {
  return props.iso ? (
    <time dateTime={props.iso}>{formatTime(props.iso)}</time>
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
  const items: Array<{ term: string; value: ReactNode }> = [
    {
      term: 'Last success',
      value: <Time iso={summary.lastSuccessAt} none="None yet" />,
    },
    {
      term: 'Last failure',
      value: <Time iso={summary.lastFailureAt} none="None" />,
    },
    {
      term: 'Messages waiting',
      value: summary.waiting,
    },
    {
      term: 'Failed in the last 24 hours',
      value: (
        <>
          {summary.failedLast24Hours > 0 ? <StatusError /> : <StatusOK />}
          {summary.failedLast24Hours}
        </>
      ),
    },
    ...(credentialExpiry
      ? [
          {
            term: EXPIRY_TERMS[credentialExpiry.credential],
            value: <Expiry expiry={credentialExpiry} />,
          },
        ]
      : []),
  ];
  return (
    <InfoCard title="Delivery health">
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
