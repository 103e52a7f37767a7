import { type TableColumn } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { DeliveryRecord } from '@email-provider/backstage-plugin-email-provider-common';
import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import { useMemo } from 'react';
import { emailProviderTranslationRef } from '../../translation';
import { useFailureSentence } from '../FailureSentence';
import { DeliveryStatus } from './DeliveryStatus';
import { formatCount, formatTime } from './format';
import { useAppLanguage } from '../../translations/useAppLanguage';
import { ServerPagedTable } from './ServerPagedTable';

const useStyles = makeStyles(theme => ({
  secondary: { color: theme.palette.text.secondary },
}));

const subjectId = (record: DeliveryRecord) =>
  `email-delivery-${record.id}-subject`;

function Time(props: { iso: string }) {
  const language = useAppLanguage();
  return <time dateTime={props.iso}>{formatTime(props.iso, language)}</time>;
}

function Times(props: { record: DeliveryRecord }) {
  const { record } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return (
    <>
      <Time iso={record.createdAt} />
      {record.sentAt && (
        <div className={classes.secondary}>
          {t('deliveries.table.sentAt', {
            time: <Time iso={record.sentAt} />,
          })}
        </div>
      )}
      {record.status === 'queued' &&
        record.attempts > 0 &&
        record.nextAttemptAt && (
          <div className={classes.secondary}>
            {t('deliveries.table.nextAttemptAt', {
              time: <Time iso={record.nextAttemptAt} />,
            })}
          </div>
        )}
    </>
  );
}

/** The last error in the page's language, with its code and the server's own words. */
function LastError(props: { error: NonNullable<DeliveryRecord['lastError']> }) {
  const { error } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const explain = useFailureSentence();
  const code = <code>{error.code}</code>;
  return (
    <>
      <Typography variant="body2">{explain(error)}</Typography>
      <Typography
        variant="caption"
        component="div"
        className={classes.secondary}
      >
        {error.providerReply
          ? t('deliveries.table.errorCodeAndReply', {
              code,
              reply: <code>{error.providerReply}</code>,
            })
          : t('deliveries.table.errorCode', { code })}
      </Typography>
    </>
  );
}

function None() {
  const classes = useStyles();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return (
    <span className={classes.secondary}>
      {t('deliveries.table.noCategory')}
    </span>
  );
}

/** Rows carry their entry's id, which the tests find rows by. */
const deliveryRowTestId = (row: DeliveryRecord) => `email-delivery-${row.id}`;

/**
 * The messages of one page of the log, with Retry on failed ones for users who may retry, or
 * `empty` when there are none. Paging is the caller's: the log is read by cursor from the server.
 */
export function DeliveryTable(props: {
  records: DeliveryRecord[];
  empty: string;
  canRetry: boolean;
  retryingId?: string;
  onRetry(record: DeliveryRecord): void;
}) {
  const { records, empty, canRetry, retryingId, onRetry } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();

  const columns = useMemo<TableColumn<DeliveryRecord>[]>(
    () => [
      {
        title: t('deliveries.table.time'),
        field: 'createdAt',
        cellStyle: { minWidth: 110 },
        render: record => <Times record={record} />,
      },
      {
        title: t('deliveries.table.caller'),
        field: 'caller',
        cellStyle: { whiteSpace: 'nowrap' },
      },
      {
        title: t('deliveries.table.category'),
        field: 'category',
        cellStyle: { whiteSpace: 'nowrap' },
        render: record => record.category ?? <None />,
      },
      {
        title: t('deliveries.table.subject'),
        field: 'subject',
        cellStyle: { minWidth: 120 },
        render: record => <span id={subjectId(record)}>{record.subject}</span>,
      },
      {
        title: t('deliveries.table.recipients'),
        field: 'recipientsCount',
        align: 'right',
        render: record => formatCount(record.recipientsCount, language),
      },
      {
        title: t('deliveries.table.status'),
        field: 'status',
        cellStyle: { whiteSpace: 'nowrap' },
        render: record => (
          <>
            <DeliveryStatus status={record.status} />
            {canRetry && record.status === 'failed' && (
              <div style={{ marginTop: 4 }}>
                <Button
                  size="small"
                  variant="outlined"
                  color="primary"
                  disabled={retryingId === record.id}
                  aria-describedby={subjectId(record)}
                  onClick={() => onRetry(record)}
                >
                  {retryingId === record.id
                    ? t('deliveries.table.retrying')
                    : t('deliveries.table.retry')}
                </Button>
              </div>
            )}
          </>
        ),
      },
      {
        title: t('deliveries.table.attempts'),
        field: 'attempts',
        align: 'right',
        render: record => formatCount(record.attempts, language),
      },
      {
        title: t('deliveries.table.lastError'),
        field: 'lastError',
        cellStyle: { minWidth: 200, maxWidth: 480, overflowWrap: 'anywhere' },
        // A suppressed message was skipped on purpose: an error left by an earlier attempt is
        // not why it was not sent.
        render: record => {
          if (record.status === 'suppressed') {
            return (
              <Typography variant="body2">
                {t('deliveries.table.suppressedReason')}
              </Typography>
            );
          }
          return record.lastError && <LastError error={record.lastError} />;
        },
      },
    ],
    [canRetry, retryingId, onRetry, t, language],
  );

  return (
    <ServerPagedTable<DeliveryRecord>
      caption={t('deliveries.log.title')}
      columns={columns}
      rows={records}
      empty={empty}
      rowTestId={deliveryRowTestId}
    />
  );
}
