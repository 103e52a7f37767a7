import { InfoCard, Progress } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Paper from '@material-ui/core/Paper';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import Switch from '@material-ui/core/Switch';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { emailProviderTranslationRef } from '../../translation';
import { DeliveryStatsTable, STATS_TABLE_LABELS } from './DeliveryStatsTable';
import { formatCount } from './format';
import {
  failureCodes,
  formatBucketRange,
  formatBucketTick,
  StatsRow,
  statsRows,
} from './statsBuckets';
import { useAppLanguage } from '../../translations/useAppLanguage';
import { StatsBucket, useDeliveryStats } from './useDeliveryStats';

const CHART_HEIGHT = 260;

/** The stacked series, bottom up, in the portal's status colours. */
const SERIES = [
  { dataKey: 'sent', name: 'deliveries.chart.sent', color: 'ok' },
  { dataKey: 'failed', name: 'deliveries.chart.failed', color: 'error' },
  { dataKey: 'waiting', name: 'deliveries.chart.waiting', color: 'warning' },
] as const;

const useStyles = makeStyles(theme => ({
  controls: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  },
  // Material UI's faded toggle text is below the contrast WCAG asks for.
  period: {
    color: theme.palette.text.secondary,
    '&.Mui-selected': { color: theme.palette.text.primary },
  },
  tooltip: { padding: theme.spacing(1, 1.5), maxWidth: 320 },
  tooltipCounts: { margin: theme.spacing(0.5, 0) },
  codes: { margin: 0, paddingLeft: theme.spacing(2) },
  hint: { color: theme.palette.text.secondary },
}));

/** What hovering a bar shows: the bucket, its counts, and the codes of its failures. */
function BucketTooltip(props: { row: StatsRow; bucket: StatsBucket }) {
  const { row, bucket } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  const showCount = (value: number) => formatCount(value, language);
  const codes = failureCodes(row);
  return (
    <Paper elevation={3} className={classes.tooltip}>
      <Typography variant="subtitle2">
        {formatBucketRange(row, bucket, language)}
      </Typography>
      <Typography variant="body2" className={classes.tooltipCounts}>
        {t('deliveries.chart.tooltipCounts', {
          sent: showCount(row.sent),
          failed: showCount(row.failed),
          waiting: showCount(row.waiting),
        })}
      </Typography>
      {codes.length > 0 && (
        <>
          <Typography variant="body2">
            {t('deliveries.chart.failureCodes')}
          </Typography>
          <ul className={classes.codes}>
            {codes.map(({ code, count }) => (
              <Typography component="li" variant="body2" key={code}>
                <code>{code}</code>: {showCount(count)}
              </Typography>
            ))}
          </ul>
        </>
      )}
      <Typography variant="caption" className={classes.hint}>
        {t('deliveries.chart.clickBar')}
      </Typography>
    </Paper>
  );
}

/**
 * Messages sent, failed and waiting per hour over the last 24 hours, or per day over the last 30
 * days, as stacked bars in the portal's status colours. Hovering a bar shows the failure codes;
 * clicking one shows its messages in the log (`onSelectRange`). The drawing is hidden from
 * assistive technology; "Show as table" shows the same numbers as a table, with a button per
 * bar that does what clicking it does.
 */
export function DeliveryChart(props: {
  /** When the delivery log was last read: the chart is read again with it. */
  readAt?: Date;
  onSelectRange(from: string, to: string): void;
}) {
  const { readAt, onSelectRange } = props;
  const classes = useStyles();
  const theme = useTheme();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  const [bucket, setBucket] = useState<StatsBucket>('hour');
  const [asTable, setAsTable] = useState(false);
  const { stats, loadError, refreshError } = useDeliveryStats(bucket, readAt);
  const rows = stats ? statsRows(stats) : [];
  const select = (row: StatsRow) => onSelectRange(row.start, row.end);
  const axis = {
    stroke: theme.palette.divider,
    tick: { fill: theme.palette.text.secondary, fontSize: 12 },
  };

  let body;
  if (loadError) {
    body = (
      <Alert severity="error" role="alert">
        {t('deliveries.chart.loadError', { error: loadError })}
      </Alert>
    );
  } else if (!stats) {
    body = <Progress />;
  } else if (asTable) {
    body = <DeliveryStatsTable rows={rows} bucket={bucket} onSelect={select} />;
  } else {
    body = (
      // Hidden from assistive technology: Show as table gives it the same numbers.
      <div aria-hidden="true" data-testid="email-deliveries-chart">
        <ResponsiveContainer
          width="100%"
          height={CHART_HEIGHT}
          // The size until the container is measured (and in tests, where nothing is).
          initialDimension={{ width: 800, height: CHART_HEIGHT }}
        >
          <BarChart
            data={rows}
            // Keyboard and screen reader users have the table; the drawing is hidden from them.
            accessibilityLayer={false}
            margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
          >
            <CartesianGrid vertical={false} stroke={theme.palette.divider} />
            <XAxis
              dataKey="start"
              tickFormatter={(start: string) =>
                formatBucketTick(start, bucket, language)
              }
              minTickGap={16}
              {...axis}
            />
            <YAxis
              allowDecimals={false}
              width={40}
              tickFormatter={(count: number) => formatCount(count, language)}
              {...axis}
            />
            <Tooltip
              cursor={{ fill: theme.palette.action.hover }}
              content={({ active, payload }) => {
                const row = payload?.[0]?.payload as StatsRow | undefined;
                return active && row ? (
                  <BucketTooltip row={row} bucket={bucket} />
                ) : null;
              }}
            />
            <Legend
              itemSorter={null}
              formatter={(value: string) => (
                <span style={{ color: theme.palette.text.primary }}>
                  {value}
                </span>
              )}
            />
            {/* Redrawn at every refresh: animating each would draw the eye for nothing. */}
            {SERIES.map(series => (
              <Bar
                key={series.dataKey}
                dataKey={series.dataKey}
                name={t(series.name)}
                stackId="messages"
                fill={theme.palette.status[series.color]}
                cursor="pointer"
                isAnimationActive={false}
                onClick={data => select(data.payload)}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    );
  }

  return (
    <InfoCard
      title={
        bucket === 'hour'
          ? t('deliveries.chart.titleHour')
          : t('deliveries.chart.titleDay')
      }
    >
      <div className={classes.controls}>
        <ToggleButtonGroup
          exclusive
          size="small"
          value={bucket}
          aria-label={t('deliveries.chart.period')}
          onChange={(_event, value: StatsBucket | null) => {
            if (value) {
              setBucket(value);
            }
          }}
        >
          <ToggleButton value="hour" className={classes.period}>
            {t('deliveries.chart.lastHours')}
          </ToggleButton>
          <ToggleButton value="day" className={classes.period}>
            {t('deliveries.chart.lastDays')}
          </ToggleButton>
        </ToggleButtonGroup>
        <FormControlLabel
          control={
            <Switch
              color="primary"
              checked={asTable}
              onChange={event => setAsTable(event.target.checked)}
            />
          }
          label={t('deliveries.chart.showAsTable')}
        />
      </div>
      {refreshError && (
        <Alert severity="warning">
          {t('deliveries.chart.refreshError', { error: refreshError })}
        </Alert>
      )}
      {body}
      {stats && !asTable && (
        <Typography variant="caption" className={classes.hint}>
          {t('deliveries.chart.hint', { chart: t(STATS_TABLE_LABELS[bucket]) })}
        </Typography>
      )}
    </InfoCard>
  );
}
