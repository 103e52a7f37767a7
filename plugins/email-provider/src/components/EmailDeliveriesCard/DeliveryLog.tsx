import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import type {
  DeliveryRecord,
  MessageStatus,
} from '@email-provider/backstage-plugin-email-provider-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import { makeStyles } from '@material-ui/core/styles';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TablePagination from '@material-ui/core/TablePagination';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import Alert from '@material-ui/lab/Alert';
import { ChangeEvent, useEffect, useRef, useState } from 'react';
import { emailProviderApiRef } from '../../api';
import { useCredentialExpiry } from '../CredentialExpiry';
import { DeliveryStatus } from './DeliveryStatus';
import { DeliverySummaryPanel } from './DeliverySummaryPanel';
import { errorMessage, formatTime, STATUS_LABELS } from './format';
import { useDeliveryLog } from './useDeliveryLog';

type StatusFilter = 'all' | MessageStatus;

const STATUS_FILTERS: Array<{ value: StatusFilter; label: string }> = [
  { value: 'all', label: 'All' },
  { value: 'queued', label: STATUS_LABELS.queued },
  { value: 'sending', label: STATUS_LABELS.sending },
  { value: 'sent', label: STATUS_LABELS.sent },
  { value: 'failed', label: STATUS_LABELS.failed },
];

const ROWS_PER_PAGE = [10, 25, 50, 100];

/** After a retry the log is read every 2 seconds for this long, or until the message is done. */
const FOLLOW_RETRY_MS = 60_000;
const FOLLOW_INTERVAL_MS = 2_000;

const useStyles = makeStyles(theme => ({
  toolbar: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  },
  statusFilter: { minWidth: 160 },
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
  gridItem: { minWidth: 0 },
  visuallyHidden: {
    position: 'absolute',
    width: 1,
    height: 1,
    padding: 0,
    margin: -1,
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
    whiteSpace: 'nowrap',
    border: 0,
  },
}));

type Outcome = { severity: 'success' | 'error'; text: string };

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
 * The delivery log: the health summary (with the credential's expiry for users who may read the
 * settings), then the recent messages with a status filter, paging, a refresh button,
 * auto-refresh, and Retry on failed messages for users who may update the settings.
 */
export function DeliveryLog(props: {
  canRetry: boolean;
  canReadSettings: boolean;
  refreshIntervalMs: number;
}) {
  const { canRetry, canReadSettings, refreshIntervalMs } = props;
  const credentialExpiry = useCredentialExpiry(canReadSettings);
  const classes = useStyles();
  const api = useApi(emailProviderApiRef);
  const [status, setStatus] = useState<StatusFilter>('all');
  const [page, setPage] = useState(0);
  const [rowsPerPage, setRowsPerPage] = useState(25);
  // Messages retried from this page, followed closely until done: id → until when.
  const [following, setFollowing] = useState<Record<string, number>>({});
  const [retrying, setRetrying] = useState<string>();
  const [outcome, setOutcome] = useState<Outcome>();
  const outcomeRef = useRef<HTMLDivElement>(null);

  const intervalMs =
    Object.keys(following).length > 0
      ? Math.min(FOLLOW_INTERVAL_MS, refreshIntervalMs)
      : refreshIntervalMs;
  const log = useDeliveryLog(
    {
      status: status === 'all' ? undefined : status,
      limit: rowsPerPage,
      offset: page * rowsPerPage,
    },
    intervalMs,
  );
  const { list } = log;

  // Stop following messages that are done, out of view, or followed long enough.
  useEffect(() => {
    if (!list) {
      return;
    }
    setFollowing(previous => {
      const now = Date.now();
      const kept = Object.entries(previous).filter(([id, until]) => {
        const row = list.items.find(item => item.id === id);
        return (
          until > now &&
          row !== undefined &&
          (row.status === 'queued' || row.status === 'sending')
        );
      });
      return kept.length === Object.keys(previous).length
        ? previous
        : Object.fromEntries(kept);
    });
  }, [list]);

  // A page past the end (messages were purged, or fewer match now): go to the last one.
  useEffect(() => {
    if (list && list.items.length === 0 && page > 0) {
      setPage(Math.max(0, Math.ceil(list.totalCount / rowsPerPage) - 1));
    }
  }, [list, page, rowsPerPage]);

  // The outcome of a retry takes the focus, as the button it came from may be gone.
  useEffect(() => {
    if (outcome) {
      outcomeRef.current?.focus();
    }
  }, [outcome]);

  const retry = async (record: DeliveryRecord) => {
    setRetrying(record.id);
    setOutcome(undefined);
    try {
      const updated = await api.retryMessage(record.id);
      log.replaceRecord(updated);
      setFollowing(previous => ({
        ...previous,
        [record.id]: Date.now() + FOLLOW_RETRY_MS,
      }));
      setOutcome({
        severity: 'success',
        text: `Queued again: “${record.subject}” will be sent shortly.`,
      });
    } catch (error) {
      setOutcome({
        severity: 'error',
        text: `“${record.subject}” was not retried: ${errorMessage(error)}`,
      });
    } finally {
      setRetrying(undefined);
    }
    log.refresh();
  };

  if (log.loadError && !list) {
    return (
      <InfoCard title="Recent messages">
        <Alert
          severity="error"
          role="alert"
          action={
            <Button color="inherit" onClick={() => log.refresh()}>
              Try again
            </Button>
          }
        >
          The delivery log could not be loaded: {log.loadError}
        </Alert>
      </InfoCard>
    );
  }
  if (!list) {
    return (
      <InfoCard title="Recent messages">
        <Progress />
      </InfoCard>
    );
  }

  const filterLabel = STATUS_FILTERS.find(f => f.value === status)?.label;

  return (
    <Grid container spacing={3}>
      {log.summary && (
        <Grid item xs={12} className={classes.gridItem}>
          <DeliverySummaryPanel
            summary={log.summary}
            credentialExpiry={credentialExpiry}
          />
        </Grid>
      )}
      <Grid item xs={12} className={classes.gridItem}>
        <InfoCard title="Recent messages">
          <div className={classes.toolbar}>
            <TextField
              id="email-deliveries-status-filter"
              select
              label="Status"
              variant="outlined"
              size="small"
              className={classes.statusFilter}
              value={status}
              SelectProps={{ native: true }}
              onChange={(event: ChangeEvent<{ value: unknown }>) => {
                setStatus(event.target.value as StatusFilter);
                setPage(0);
              }}
            >
              {STATUS_FILTERS.map(filter => (
                <option key={filter.value} value={filter.value}>
                  {filter.label}
                </option>
              ))}
            </TextField>
            <Button
              variant="outlined"
              startIcon={<RefreshIcon />}
              onClick={() => log.refresh()}
            >
              Refresh
            </Button>
            <Typography variant="body2" className={classes.secondary}>
              {log.loading ? (
                'Refreshing…'
              ) : (
                <>
                  Updated at{' '}
                  {log.updatedAt &&
                    new Intl.DateTimeFormat(undefined, {
                      timeStyle: 'medium',
                    }).format(log.updatedAt)}
                  ; refreshes every {Math.round(refreshIntervalMs / 1000)}{' '}
                  seconds
                </>
              )}
            </Typography>
          </div>

          {!canRetry && (
            <Typography variant="body2" className={classes.secondary} paragraph>
              Retrying a failed message needs the{' '}
              <code>email-provider.settings.update</code> permission, which
              email provider admins have.
            </Typography>
          )}
          {log.refreshError && (
            <Box mb={2}>
              <Alert severity="warning" role="alert">
                The delivery log could not be refreshed: {log.refreshError}. It
                shows what was read before.
              </Alert>
            </Box>
          )}
          {outcome && (
            <Box mb={2}>
              <Alert
                ref={outcomeRef}
                tabIndex={-1}
                severity={outcome.severity}
                role={outcome.severity === 'success' ? 'status' : 'alert'}
                onClose={() => setOutcome(undefined)}
                data-testid="email-deliveries-retry-outcome"
              >
                {outcome.text}
              </Alert>
            </Box>
          )}

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
                {list.items.length === 0 ? (
                  <TableRow>
                    <TableCell colSpan={8}>
                      {status !== 'all'
                        ? `No ${filterLabel?.toLowerCase()} messages.`
                        : 'No messages yet: no plugin has sent email through the portal.'}
                    </TableCell>
                  </TableRow>
                ) : (
                  list.items.map(record => (
                    <DeliveryRow
                      key={record.id}
                      record={record}
                      canRetry={canRetry}
                      retrying={retrying === record.id}
                      onRetry={retry}
                    />
                  ))
                )}
              </TableBody>
            </Table>
          </TableContainer>
          <TablePagination
            component="div"
            count={list.totalCount}
            page={Math.min(
              page,
              Math.max(0, Math.ceil(list.totalCount / rowsPerPage) - 1),
            )}
            rowsPerPage={rowsPerPage}
            rowsPerPageOptions={ROWS_PER_PAGE}
            SelectProps={{
              native: true,
              inputProps: { 'aria-label': 'Rows per page' },
            }}
            onPageChange={(_event, next) => setPage(next)}
            onRowsPerPageChange={event => {
              setRowsPerPage(Number(event.target.value));
              setPage(0);
            }}
          />
          <div
            role="status"
            aria-live="polite"
            className={classes.visuallyHidden}
            data-testid="email-deliveries-announcer"
          >
            {log.changes}
          </div>
        </InfoCard>
      </Grid>
    </Grid>
  );
}
