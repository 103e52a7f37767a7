import { InfoCard, StatusError, StatusOK } from '@backstage/core-components';
import type { DeliverySummary } from '@email-provider/backstage-plugin-email-provider-common';
import Grid from '@material-ui/core/Grid';
import { makeStyles } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
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
}));

function Time(props: { iso?: string; none: string }) {
  return props.iso ? (
    <time dateTime={props.iso}>{formatTime(props.iso)}</time>
  ) : (
    <>{props.none}</>
  );
}

/** The delivery health at a glance: last success, last failure, waiting, failed in 24 hours. */
export function DeliverySummaryPanel(props: { summary: DeliverySummary }) {
  const { summary } = props;
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
          <Grid item xs={12} sm={6} md={3} key={item.term}>
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
