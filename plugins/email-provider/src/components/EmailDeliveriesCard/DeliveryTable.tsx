import type { DeliveryRecord } from '@email-provider/backstage-plugin-email-provider-common';
import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { DeliveryStatus } from './DeliveryStatus';
import { formatTime } from './format';

const useStyles = makeStyles(theme => ({
  // Narrower cells than Material UI's small table, so that every column fits beside the nav.
  table: {
    '& th, & td': { padding: theme.spacing(1, 1.5) },
  },
  head: { whiteSpace: 'nowrap' },
  secondary: { color: theme.palette.text.secondary },
  nowrap: { whiteSpace: 'nowrap' },
  timeCell: { minWidth: 110 },
  subjectCell: { minWidth: 120 },
  statusCell: {
    whiteSpace: 'nowrap',
    '& button': { marginTop: theme.spacing(0.5) },
  },
  errorCell: { minWidth: 200, maxWidth: 480, overflowWrap: 'anywhere' },
}));

const subjectId = (record: DeliveryRecord) =>
  `email-delivery-${record.id}-subject`;

function Time(props: { iso: string }) {
  return <time dateTime={props.iso}>{formatTime(props.iso)}</time>;
}

function LastError(props: { error: NonNullable<DeliveryRecord['lastError']> }) {
  const { error } = props;
  const classes = useStyles();
  return (
    <>
      <Typography variant="body2">{error.message}</Typography>
      <Typography
        variant="caption"
        component="div"
        className={classes.secondary}
      >
        Code <code>{error.code}</code>
        {error.providerReply && (
          <>
            ; the server answered <code>{error.providerReply}</code>
          </>
        )}
      </Typography>
    </>
  );
}

function DeliveryRow(props: {
  record: DeliveryRecord;
  canRetry: boolean;
  retrying: boolean;
  onRetry(record: DeliveryRecord): void;
}) {
  const { record, canRetry, retrying, onRetry } = props;
  const classes = useStyles();
  return (
    <TableRow data-testid={`email-delivery-${record.id}`}>
      <TableCell className={classes.timeCell}>
        <Time iso={record.createdAt} />
        {record.sentAt && (
          <div className={classes.secondary}>
            sent <Time iso={record.sentAt} />
          </div>
        )}
        {record.status === 'queued' &&
          record.attempts > 0 &&
          record.nextAttemptAt && (
            <div className={classes.secondary}>
              next attempt <Time iso={record.nextAttemptAt} />
            </div>
          )}
      </TableCell>
      <TableCell className={classes.nowrap}>{record.caller}</TableCell>
      <TableCell className={classes.nowrap}>
        {record.category ?? <span className={classes.secondary}>none</span>}
      </TableCell>
      <TableCell id={subjectId(record)} className={classes.subjectCell}>
        {record.subject}
      </TableCell>
      <TableCell align="right">{record.recipientsCount}</TableCell>
      <TableCell className={classes.statusCell}>
        <DeliveryStatus status={record.status} />
        {canRetry && record.status === 'failed' && (
          <div>
            <Button
              size="small"
              variant="outlined"
              color="primary"
              disabled={retrying}
              aria-describedby={subjectId(record)}
              onClick={() => onRetry(record)}
            >
              {retrying ? 'Retrying…' : 'Retry'}
            </Button>
          </div>
        )}
      </TableCell>
      <TableCell align="right">{record.attempts}</TableCell>
      <TableCell className={classes.errorCell}>
        {record.lastError && <LastError error={record.lastError} />}
      </TableCell>
    </TableRow>
  );
}

/**
 * The messages of one page of the log, with Retry on failed ones for users who may retry, or
 * `empty` when there are none.
 */
export function DeliveryTable(props: {
  records: DeliveryRecord[];
  empty: string;
  canRetry: boolean;
  retryingId?: string;
  onRetry(record: DeliveryRecord): void;
}) {
  const { records, empty, canRetry, retryingId, onRetry } = props;
  const classes = useStyles();
  return (
    <TableContainer>
      <Table
        size="small"
        aria-label="Recent messages"
        className={classes.table}
      >
        <TableHead>
          <TableRow className={classes.head}>
            <TableCell>Time</TableCell>
            <TableCell>Caller</TableCell>
            <TableCell>Category</TableCell>
            <TableCell>Subject</TableCell>
            <TableCell align="right">Recipients</TableCell>
            <TableCell>Status</TableCell>
            <TableCell align="right">Attempts</TableCell>
            <TableCell>Last error</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {records.length === 0 ? (
            <TableRow>
              <TableCell colSpan={8}>{empty}</TableCell>
            </TableRow>
          ) : (
            records.map(record => (
              <DeliveryRow
                key={record.id}
                record={record}
                canRetry={canRetry}
                retrying={retryingId === record.id}
                onRetry={onRetry}
              />
            ))
          )}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
