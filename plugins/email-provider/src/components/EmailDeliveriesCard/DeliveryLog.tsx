import { InfoCard, Progress } from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  DeliveryList,
  DeliveryLogFilter,
  DeliveryRecord,
  MessageStatus,
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
import { emailProviderTranslationRef } from '../../translation';
import { useCredentialExpiry } from '../CredentialExpiry';
import { DeliveryChart } from './DeliveryChart';
import { DeliveryFilters } from './DeliveryFilters';
import { DeliverySummaryPanel } from './DeliverySummaryPanel';
import { DeliveryTable } from './DeliveryTable';
import { ExportCsvButton } from './ExportCsvButton';
import { errorMessage, formatCount } from './format';
import { useAppLanguage } from '../../translations/useAppLanguage';
import { useCursorPages, useStepBackFromEmptyPage } from './useCursorPages';
import { filterKey, useDeliveryFilters } from './useDeliveryFilters';
import { StatusChanges, useDeliveryLog } from './useDeliveryLog';
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

/** How a retry went: queued again, or refused with the server's reason. */
type Outcome =
  | { retried: true; subject: string }
  | { retried: false; subject: string; error: string };

const EMPTY_BY_STATUS = {
  queued: 'deliveries.log.emptyQueued',
  sending: 'deliveries.log.emptySending',
  sent: 'deliveries.log.emptySent',
  failed: 'deliveries.log.emptyFailed',
  suppressed: 'deliveries.log.emptySuppressed',
} as const satisfies Record<MessageStatus, string>;

const NOW_BY_STATUS = {
  queued: 'deliveries.announcements.nowQueued',
  sending: 'deliveries.announcements.nowSending',
  sent: 'deliveries.announcements.nowSent',
  failed: 'deliveries.announcements.nowFailed',
  suppressed: 'deliveries.announcements.nowSuppressed',
} as const satisfies Record<MessageStatus, string>;

/** Above this many, the live region counts the changes instead of naming each message. */
const CHANGES_NAMED = 3;

/** The sentences of the log: its empty table, its pager's rows and its announcements. */
function useLogSentences() {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  const count = (value: number) => formatCount(value, language);
  return {
    /** What the table says when the page has no messages, by the filters that are set. */
    empty(filter: DeliveryLogFilter): string {
      const { status, ...others } = filter;
      if (Object.keys(others).length > 0) {
        return t('deliveries.log.emptyFiltered');
      }
      return status ? t(EMPTY_BY_STATUS[status]) : t('deliveries.log.emptyLog');
    },

    /** `26–50 of 120`, or `26–50 of more than 10,000` when the server stopped counting. */
    rows(page: number, rowsPerPage: number, list: DeliveryList): string {
      const total = count(list.totalCount);
      const capped = list.totalCountCapped;
      if (list.items.length === 0) {
        return capped
          ? t('deliveries.pager.noRowsOfMoreThan', { total })
          : t('deliveries.pager.noRows', { total });
      }
      const first = page * rowsPerPage + 1;
      const range = {
        first: count(first),
        last: count(first + list.items.length - 1),
        total,
      };
      return capped
        ? t('deliveries.pager.rowsOfMoreThan', range)
        : t('deliveries.pager.rows', range);
    },

    /** The messages whose status changed, named, or counted when there are many. */
    changes(changes: StatusChanges): string {
      if (changes.length > CHANGES_NAMED) {
        return t('deliveries.announcements.changed', {
          count: changes.length,
        });
      }
      return changes
        .map(({ subject, status }) => t(NOW_BY_STATUS[status], { subject }))
        .join(' ');
    },
  };
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
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  const sentences = useLogSentences();
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

  const { page } = pages;
  useStepBackFromEmptyPage(list, pages);

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
      setOutcome({ retried: true, subject: record.subject });
    } catch (error) {
      setOutcome({
        retried: false,
        subject: record.subject,
        error: errorMessage(error),
      });
    } finally {
      setRetrying(undefined);
    }
    log.refresh();
  };

  if (log.loadError && !list) {
    return (
      <InfoCard title={t('deliveries.log.title')}>
        <Alert
          severity="error"
          role="alert"
          action={
            <Button color="inherit" onClick={() => log.refresh()}>
              {t('deliveries.log.tryAgain')}
            </Button>
          }
        >
          {t('deliveries.log.loadError', { error: log.loadError })}
        </Alert>
      </InfoCard>
    );
  }
  if (!list) {
    return (
      <InfoCard title={t('deliveries.log.title')}>
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
        <InfoCard title={t('deliveries.log.title')}>
          <DeliveryFilters filters={filters} serverError={log.filterError} />
          <div className={classes.toolbar}>
            <Button
              variant="outlined"
              startIcon={<RefreshIcon />}
              onClick={() => log.refresh()}
            >
              {t('deliveries.log.refresh')}
            </Button>
            <ExportCsvButton
              applyFilters={filters.applyNow}
              className={classes.fullWidth}
            />
            <Typography variant="body2" className={classes.secondary}>
              {log.loading
                ? t('deliveries.log.refreshing')
                : t('deliveries.log.updated', {
                    time: log.updatedAt
                      ? new Intl.DateTimeFormat(language, {
                          timeStyle: 'medium',
                        }).format(log.updatedAt)
                      : '',
                    count: Math.round(refreshIntervalMs / 1000),
                  })}
            </Typography>
          </div>

          {!canRetry && (
            <Typography variant="body2" className={classes.secondary} paragraph>
              {t('deliveries.log.retryNeedsPermission', {
                permission: <code>email-provider.settings.update</code>,
              })}
            </Typography>
          )}
          {log.refreshError && (
            <Box mb={2}>
              <Alert severity="warning" role="alert">
                {t('deliveries.log.refreshError', { error: log.refreshError })}
              </Alert>
            </Box>
          )}
          {outcome && (
            <Box mb={2}>
              <Alert
                ref={outcomeRef}
                tabIndex={-1}
                severity={outcome.retried ? 'success' : 'error'}
                role={outcome.retried ? 'status' : 'alert'}
                onClose={() => setOutcome(undefined)}
                closeText={t('deliveries.log.close')}
                data-testid="email-deliveries-retry-outcome"
              >
                {outcome.retried
                  ? t('deliveries.log.retryQueued', {
                      subject: outcome.subject,
                    })
                  : t('deliveries.log.retryFailed', {
                      subject: outcome.subject,
                      error: outcome.error,
                    })}
              </Alert>
            </Box>
          )}

          <DeliveryTable
            records={list.items}
            empty={sentences.empty(filters.applied)}
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
            labelDisplayedRows={() => sentences.rows(page, rowsPerPage, list)}
            labelRowsPerPage={t('deliveries.pager.rowsPerPageLabel')}
            backIconButtonText={t('deliveries.pager.previousPage')}
            nextIconButtonText={t('deliveries.pager.nextPage')}
            nextIconButtonProps={{ disabled: !list.nextCursor }}
            SelectProps={{
              native: true,
              inputProps: { 'aria-label': t('deliveries.pager.rowsPerPage') },
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
            {log.changes && sentences.changes(log.changes)}
          </div>
        </InfoCard>
      </Grid>
    </Grid>
  );
}
