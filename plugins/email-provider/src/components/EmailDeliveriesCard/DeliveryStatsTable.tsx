import { useTranslationRef } from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { emailProviderTranslationRef } from '../../translation';
import { formatCount } from './format';
import { failureCodes, formatBucketRange, StatsRow } from './statsBuckets';
import { useAppLanguage } from '../../translations/useAppLanguage';
import type { StatsBucket } from './useDeliveryStats';

const useStyles = makeStyles(theme => ({
  container: { maxHeight: 360 },
  table: {
    '& th, & td': { padding: theme.spacing(0.5, 1.5) },
  },
  codes: { margin: 0, padding: 0, listStyle: 'none' },
}));

/** What the table shows, as its name: the chart's numbers per hour or per day. */
export const STATS_TABLE_LABELS = {
  hour: 'deliveries.statsTable.labelHour',
  day: 'deliveries.statsTable.labelDay',
} as const satisfies Record<StatsBucket, string>;

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
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  const showCount = (value: number) => formatCount(value, language);
  return (
    <TableContainer className={classes.container}>
      <Table
        size="small"
        stickyHeader
        aria-label={t(STATS_TABLE_LABELS[bucket])}
        className={classes.table}
      >
        <TableHead>
          <TableRow>
            <TableCell>
              {bucket === 'hour'
                ? t('deliveries.statsTable.hour')
                : t('deliveries.statsTable.day')}
            </TableCell>
            <TableCell align="right">
              {t('deliveries.statsTable.sent')}
            </TableCell>
            <TableCell align="right">
              {t('deliveries.statsTable.failed')}
            </TableCell>
            <TableCell align="right">
              {t('deliveries.statsTable.waiting')}
            </TableCell>
            <TableCell>{t('deliveries.statsTable.failureCodes')}</TableCell>
            <TableCell>{t('deliveries.statsTable.messages')}</TableCell>
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
                    {formatBucketRange(row, bucket, language)}
                  </time>
                </TableCell>
                <TableCell align="right">{showCount(row.sent)}</TableCell>
                <TableCell align="right">{showCount(row.failed)}</TableCell>
                <TableCell align="right">{showCount(row.waiting)}</TableCell>
                <TableCell>
                  {codes.length > 0 && (
                    <ul className={classes.codes}>
                      {codes.map(({ code, count }) => (
                        <li key={code}>
                          <code>{code}</code>: {showCount(count)}
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
                    {t('deliveries.statsTable.showMessages')}
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
