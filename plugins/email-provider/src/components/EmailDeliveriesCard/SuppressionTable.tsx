import { type TableColumn } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  EmailSuppression,
  EmailSuppressionSource,
} from '@email-provider/backstage-plugin-email-provider-common';
import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import { useMemo } from 'react';
import { emailProviderTranslationRef } from '../../translation';
import { useAppLanguage } from '../../translations/useAppLanguage';
import { formatTime } from './format';
import { ServerPagedTable } from './ServerPagedTable';

const useStyles = makeStyles(theme => ({
  secondary: { color: theme.palette.text.secondary },
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

/** Rows carry their entry's id, which the tests find rows by. */
const suppressionRowTestId = (row: EmailSuppression) =>
  `email-suppression-${row.id}`;

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
    <ServerPagedTable<EmailSuppression>
      caption={t('deliveries.suppressions.title')}
      columns={columns}
      rows={entries}
      empty={empty}
      rowTestId={suppressionRowTestId}
    />
  );
}
