import { Table, type TableColumn } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  EmailSuppression,
  EmailSuppressionSource,
} from '@email-provider/backstage-plugin-email-provider-common';
import { MTableBodyRow, MTableHeader } from '@material-table/core';
import Button from '@material-ui/core/Button';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import { useMemo } from 'react';
import { emailProviderTranslationRef } from '../../translation';
import { useAppLanguage } from '../../translations/useAppLanguage';
import { formatTime } from './format';
import { visuallyHidden } from './visuallyHidden';

const useStyles = makeStyles(theme => ({
  table: {
    '& th, & td': { padding: theme.spacing(1, 1.5) },
  },
  secondary: { color: theme.palette.text.secondary },
  visuallyHidden,
}));

const SOURCES = {
  'one-click': 'deliveries.suppressions.sourceOneClick',
  'confirmation-page': 'deliveries.suppressions.sourceConfirmationPage',
} as const satisfies Record<EmailSuppressionSource, string>;

/** What the address unsubscribed from: the message's description, and the list's own name. */
function UnsubscribedFrom(props: { entry: EmailSuppression }) {
  const { entry } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const list = <code>{entry.list}</code>;
  if (!entry.description) {
    return list;
  }
  return (
    <>
      <div>{entry.description}</div>
      <div className={classes.secondary}>
        {t('deliveries.suppressions.listName', { list })}
      </div>
    </>
  );
}

function Source(props: { source: EmailSuppressionSource }) {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  // A source of a newer backend is shown as it is named.
  return (
    <>
      {Object.hasOwn(SOURCES, props.source)
        ? t(SOURCES[props.source])
        : props.source}
    </>
  );
}

/** The table's name for assistive technology, as the card's title says it on screen. */
function NamedHeader(props: object) {
  const classes = useStyles();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return (
    <>
      <caption className={classes.visuallyHidden}>
        {t('deliveries.suppressions.title')}
      </caption>
      <MTableHeader {...props} />
    </>
  );
}

/** Each entry's row carries its id, which the tests find rows by. */
function SuppressionRow(props: { data: EmailSuppression }) {
  return (
    <MTableBodyRow
      {...props}
      data-testid={`email-suppression-${props.data.id}`}
    />
  );
}

/**
 * One page of the suppression list, with Remove on each entry for users who may remove one, or
 * `empty` when there are none. Paging is the caller's, by cursor from the server.
 */
export function SuppressionTable(props: {
  entries: EmailSuppression[];
  empty: string;
  canRemove: boolean;
  removingId?: string;
  onRemove(entry: EmailSuppression): void;
}) {
  const { entries, empty, canRemove, removingId, onRemove } = props;
  const classes = useStyles();
  const theme = useTheme();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();

  const columns = useMemo<TableColumn<EmailSuppression>[]>(
    () => [
      {
        title: t('deliveries.suppressions.address'),
        field: 'address',
        cellStyle: { overflowWrap: 'anywhere', minWidth: 160 },
      },
      {
        title: t('deliveries.suppressions.unsubscribedFrom'),
        field: 'list',
        cellStyle: { overflowWrap: 'anywhere', minWidth: 160 },
        render: entry => <UnsubscribedFrom entry={entry} />,
      },
      {
        title: t('deliveries.suppressions.caller'),
        field: 'caller',
        cellStyle: { whiteSpace: 'nowrap' },
      },
      {
        title: t('deliveries.suppressions.source'),
        field: 'source',
        render: entry => <Source source={entry.source} />,
      },
      {
        title: t('deliveries.suppressions.unsubscribedAt'),
        field: 'createdAt',
        cellStyle: { minWidth: 110 },
        render: entry => (
          <time dateTime={entry.createdAt}>
            {formatTime(entry.createdAt, language)}
          </time>
        ),
      },
      ...(canRemove
        ? [
            {
              title: t('deliveries.suppressions.actions'),
              field: 'id',
              render: (entry: EmailSuppression) => (
                <Button
                  size="small"
                  variant="outlined"
                  color="primary"
                  disabled={removingId === entry.id}
                  aria-label={t('deliveries.suppressions.removeLabel', {
                    address: entry.address,
                  })}
                  onClick={() => onRemove(entry)}
                >
                  {t('deliveries.suppressions.remove')}
                </Button>
              ),
            },
          ]
        : []),
    ],
    [canRemove, removingId, onRemove, t, language],
  );

  return (
    <div className={classes.table}>
      <Table<EmailSuppression>
        columns={columns}
        data={entries}
        emptyContent={empty}
        components={{ Header: NamedHeader, Row: SuppressionRow }}
        options={{
          // Searched and paged by the server, above and below this table.
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
