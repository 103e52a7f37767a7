import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { failureCodes, formatBucketRange, StatsRow } from './statsBuckets';
import type { StatsBucket } from './useDeliveryStats';

const useStyles = makeStyles(theme => ({
  container: { maxHeight: 360 },
  table: {
    '& th, & td': { padding: theme.spacing(0.5, 1.5) },
  },
  codes: { margin: 0, padding: 0, listStyle: 'none' },
}));

export const STATS_TABLE_LABELS: Record<StatsBucket, string> = {
  hour: 'Messages per hour, last 24 hours',
  day: 'Messages per day, last 30 days',
};

/**
 * The chart's numbers as a table, for screen readers and anyone who prefers numbers: each
 * bucket's start, sent, failed, waiting and failure codes, with a button that shows its messages.
 */
export function DeliveryStatsTable(props: {
  rows: StatsRow[];
  bucket: StatsBucket;
  onSelect(row: StatsRow): void;
}) {
  const { rows, bucket, onSelect } = props;
  const classes = useStyles();
  return (
    <TableContainer className={classes.container}>
      <Table
        size="small"
        stickyHeader
        aria-label={STATS_TABLE_LABELS[bucket]}
        className={classes.table}
      >
        <TableHead>
          <TableRow>
            <TableCell>{bucket === 'hour' ? 'Hour' : 'Day'}</TableCell>
            <TableCell align="right">Sent</TableCell>
            <TableCell align="right">Failed</TableCell>
            <TableCell align="right">Waiting</TableCell>
            <TableCell>Failure codes</TableCell>
            <TableCell>Messages</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map(row => {
            const startId = `email-deliveries-bucket-${row.start}`;
            const codes = failureCodes(row);
            return (
              <TableRow key={row.start}>
                {/* Material UI gives a body cell the cell role, even as a row's header. */}
                <TableCell
                  id={startId}
                  component="th"
                  scope="row"
                  role="rowheader"
                >
                  <time dateTime={row.start}>
                    {formatBucketRange(row, bucket)}
                  </time>
                </TableCell>
                <TableCell align="right">{row.sent}</TableCell>
                <TableCell align="right">{row.failed}</TableCell>
                <TableCell align="right">{row.waiting}</TableCell>
                <TableCell>
                  {codes.length > 0 && (
                    <ul className={classes.codes}>
                      {codes.map(({ code, count }) => (
                        <li key={code}>
                          <code>{code}</code>: {count}
                        </li>
                      ))}
                    </ul>
                  )}
                </TableCell>
                <TableCell>
                  <Button
                    size="small"
                    color="primary"
                    aria-describedby={startId}
                    onClick={() => onSelect(row)}
                  >
                    Show messages
                  </Button>
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
