import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import type {
  DeliveryList,
  DeliveryLogFilter,
  DeliveryRecord,
} from '@email-provider/backstage-plugin-email-provider-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import { makeStyles } from '@material-ui/core/styles';
import TablePagination from '@material-ui/core/TablePagination';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import Alert from '@material-ui/lab/Alert';
import { useEffect, useRef, useState } from 'react';
import { emailProviderApiRef } from '../../api';
import { useCredentialExpiry } from '../CredentialExpiry';
import { DeliveryChart } from './DeliveryChart';
import { DeliveryFilters } from './DeliveryFilters';
import { DeliverySummaryPanel } from './DeliverySummaryPanel';
import { DeliveryTable } from './DeliveryTable';
import { ExportCsvButton } from './ExportCsvButton';
import { errorMessage, formatCount, STATUS_LABELS } from './format';
import { useCursorPages } from './useCursorPages';
import { filterKey, useDeliveryFilters } from './useDeliveryFilters';
import { useDeliveryLog } from './useDeliveryLog';
import { visuallyHidden } from './visuallyHidden';

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
    margin: theme.spacing(2, 0),
  },
  fullWidth: { flexBasis: '100%' },
  secondary: { color: theme.palette.text.secondary },
  gridItem: { minWidth: 0 },
  visuallyHidden,
}));

type Outcome = { severity: 'success' | 'error'; text: string };

/** What the table says when the page has no messages, by the filters that are set. */
function describeEmpty(filter: DeliveryLogFilter): string {
  const { status, ...others } = filter;
  if (Object.keys(others).length > 0) {
    return 'No messages match these filters.';
  }
  return status
    ? `No ${STATUS_LABELS[status].toLowerCase()} messages.`
    : 'No messages yet: no plugin has sent email through the portal.';
}

/** `26–50 of 120`, or `26–50 of more than 10,000` when the server stopped counting. */
function describeRows(
  page: number,
  rowsPerPage: number,
  list: DeliveryList,
): string {
  const total = list.totalCountCapped
    ? `more than ${formatCount(list.totalCount)}`
    : formatCount(list.totalCount);
  if (list.items.length === 0) {
    return `0 of ${total}`;
  }
  const first = page * rowsPerPage + 1;
  return `${formatCount(first)}–${formatCount(
    first + list.items.length - 1,
  )} of ${total}`;
}

/**
 * The delivery log: the health summary (with the credential's expiry for users who may read the
 * settings), the chart of messages per hour or day, then the recent messages with filters, a CSV
 * export, paging by cursor, a refresh button, auto-refresh, and Retry on failed messages for
 * users who may update the settings.
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
  const filters = useDeliveryFilters();
  const [rowsPerPage, setRowsPerPage] = useState(25);
  const pages = useCursorPages(`${filterKey(filters.applied)}|${rowsPerPage}`);
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
    { ...filters.applied, limit: rowsPerPage, cursor: pages.cursor },
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

  // A page emptied since it was reached (its messages were purged, or no longer match, as a
  // retried one that was failed): back to the page before, which led here. One page per empty
  // answer, as that answer is still shown until the page before is read.
  const { page, previous: previousPage } = pages;
  const steppedBackFrom = useRef<DeliveryList>();
  useEffect(() => {
    if (
      list &&
      list.items.length === 0 &&
      page > 0 &&
      steppedBackFrom.current !== list
    ) {
      steppedBackFrom.current = list;
      previousPage();
    }
  }, [list, page, previousPage]);

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
        <DeliveryChart
          readAt={log.updatedAt}
          onSelectRange={filters.setTimeRange}
        />
      </Grid>
      <Grid item xs={12} className={classes.gridItem}>
        <InfoCard title="Recent messages">
          <DeliveryFilters filters={filters} serverError={log.filterError} />
          <div className={classes.toolbar}>
            <Button
              variant="outlined"
              startIcon={<RefreshIcon />}
              onClick={() => log.refresh()}
            >
              Refresh
            </Button>
            <ExportCsvButton
              applyFilters={filters.applyNow}
              className={classes.fullWidth}
            />
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

          <DeliveryTable
            records={list.items}
            empty={describeEmpty(filters.applied)}
            canRetry={canRetry}
            retryingId={retrying}
            onRetry={retry}
          />
          <TablePagination
            component="div"
            // Pages follow one another by cursor: the count only labels them (see below), and
            // Next is there while the server has a next page.
            count={-1}
            page={page}
            rowsPerPage={rowsPerPage}
            rowsPerPageOptions={ROWS_PER_PAGE}
            labelDisplayedRows={() => describeRows(page, rowsPerPage, list)}
            nextIconButtonProps={{ disabled: !list.nextCursor }}
            SelectProps={{
              native: true,
              inputProps: { 'aria-label': 'Rows per page' },
            }}
            onPageChange={(_event, next) => {
              if (next < page) {
                pages.previous();
              } else if (list.nextCursor && list.nextCursor !== pages.cursor) {
                // (Equal when Next is pressed again before the next page is read.)
                pages.next(list.nextCursor);
              }
            }}
            onRowsPerPageChange={event =>
              setRowsPerPage(Number(event.target.value))
            }
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
