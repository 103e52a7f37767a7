import { Table, type TableColumn } from '@backstage/core-components';
import type { DeliveryRecord } from '@email-provider/backstage-plugin-email-provider-common';
import { MTableBodyRow, MTableHeader } from '@material-table/core';
import Button from '@material-ui/core/Button';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import { useMemo } from 'react';
import { DeliveryStatus } from './DeliveryStatus';
import { formatTime } from './format';
import { visuallyHidden } from './visuallyHidden';

const TABLE_NAME = 'Recent messages';

const useStyles = makeStyles(theme => ({
  // Narrower cells than Backstage's dense table, so that every column fits beside the nav.
  table: {
    '& th, & td': { padding: theme.spacing(1, 1.5) },
  },
  secondary: { color: theme.palette.text.secondary },
  visuallyHidden,
}));

const subjectId = (record: DeliveryRecord) =>
  `email-delivery-${record.id}-subject`;

function Time(props: { iso: string }) {
  return <time dateTime={props.iso}>{formatTime(props.iso)}</time>;
}

function Times(props: { record: DeliveryRecord }) {
  const { record } = props;
  const classes = useStyles();
  return (
    <>
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
    </>
  );
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

function None() {
  const classes = useStyles();
  return <span className={classes.secondary}>none</span>;
}

/**
 * material-table gives its `<table>` no name: a caption, first in the table, names it for
 * assistive technology (the card's title already shows it on screen).
 */
function NamedHeader(props: object) {
  const classes = useStyles();
  return (
    <>
      <caption className={classes.visuallyHidden}>{TABLE_NAME}</caption>
      <MTableHeader {...props} />
    </>
  );
}

/** Each message's row carries its id, which the tests find rows by. */
function DeliveryRow(props: { data: DeliveryRecord }) {
  return (
    <MTableBodyRow {...props} data-testid={`email-delivery-${props.data.id}`} />
  );
}

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
  const classes = useStyles();
  const theme = useTheme();

  const columns = useMemo<TableColumn<DeliveryRecord>[]>(
    () => [
      {
        title: 'Time',
        field: 'createdAt',
        cellStyle: { minWidth: 110 },
        render: record => <Times record={record} />,
      },
      {
        title: 'Caller',
        field: 'caller',
        cellStyle: { whiteSpace: 'nowrap' },
      },
      {
        title: 'Category',
        field: 'category',
        cellStyle: { whiteSpace: 'nowrap' },
        render: record => record.category ?? <None />,
      },
      {
        title: 'Subject',
        field: 'subject',
        cellStyle: { minWidth: 120 },
        render: record => <span id={subjectId(record)}>{record.subject}</span>,
      },
      { title: 'Recipients', field: 'recipientsCount', align: 'right' },
      {
        title: 'Status',
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
                  {retryingId === record.id ? 'Retrying…' : 'Retry'}
                </Button>
              </div>
            )}
          </>
        ),
      },
      { title: 'Attempts', field: 'attempts', align: 'right' },
      {
        title: 'Last error',
        field: 'lastError',
        cellStyle: { minWidth: 200, maxWidth: 480, overflowWrap: 'anywhere' },
        render: record =>
          record.lastError && <LastError error={record.lastError} />,
      },
    ],
    [canRetry, retryingId, onRetry],
  );

  return (
    <div className={classes.table}>
      <Table<DeliveryRecord>
        columns={columns}
        data={records}
        emptyContent={empty}
        components={{ Header: NamedHeader, Row: DeliveryRow }}
        options={{
          // The log is filtered, ordered and paged by the server, above and below this table.
          toolbar: false,
          search: false,
          paging: false,
          sorting: false,
          draggable: false,
          padding: 'dense',
          // Backstage's header look, which replacing the header component drops.
          headerStyle: {
            position: 'static',
            whiteSpace: 'nowrap',
            fontWeight: theme.typography.fontWeightBold,
            textTransform: 'uppercase',
            borderTop: `1px solid ${theme.palette.grey.A100}`,
          },
        }}
      />
    </div>
  );
}
