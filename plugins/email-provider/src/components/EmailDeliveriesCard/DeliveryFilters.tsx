import type { DeliveryLogFilter } from '@email-provider/backstage-plugin-email-provider-common';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import { darken, lighten, makeStyles } from '@material-ui/core/styles';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { ChangeEvent, KeyboardEvent } from 'react';
import { formatMinute, STATUS_LABELS } from './format';
import type {
  DeliveryFiltersState,
  FilterField,
  StatusFilter,
} from './useDeliveryFilters';

const STATUS_FILTERS: Array<{ value: StatusFilter; label: string }> = [
  { value: 'all', label: 'All' },
  { value: 'queued', label: STATUS_LABELS.queued },
  { value: 'sending', label: STATUS_LABELS.sending },
  { value: 'sent', label: STATUS_LABELS.sent },
  { value: 'failed', label: STATUS_LABELS.failed },
];

const TEXT_FILTERS: Array<{
  field: Exclude<FilterField, 'status' | 'from' | 'to' | 'recipient'>;
  label: string;
  width: number;
}> = [
  { field: 'caller', label: 'Caller', width: 180 },
  { field: 'category', label: 'Category', width: 160 },
  { field: 'q', label: 'Subject words', width: 200 },
];

const RECIPIENT_HINT =
  'The whole address: the log keeps only a keyed hash of each address';

const useStyles = makeStyles(theme => ({
  fields: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-start',
    gap: theme.spacing(2),
  },
  statusFilter: { minWidth: 160 },
  recipient: {
    width: 280,
    // Material UI's error red is below the contrast WCAG asks for, on light and dark paper.
    '& .Mui-error': {
      color:
        theme.palette.type === 'dark'
          ? lighten(theme.palette.error.main, 0.5)
          : darken(theme.palette.error.main, 0.2),
    },
  },
  time: {
    width: 230,
    // The browser's own date picker and its icon follow the page's light or dark theme.
    '& input': { colorScheme: theme.palette.type },
  },
  clear: { alignSelf: 'center' },
  applied: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1),
  },
}));

/** The time range as a sentence: created from, before, or between. */
function describeTimeRange(filter: DeliveryLogFilter): string | undefined {
  const { from, to } = filter;
  if (from && to) {
    return `Created from ${formatMinute(from)} to ${formatMinute(to)}`;
  }
  if (from) {
    return `Created from ${formatMinute(from)}`;
  }
  return to ? `Created before ${formatMinute(to)}` : undefined;
}

/**
 * The delivery log's filters: status, recipient, caller, category, subject words and a time
 * range, with the time range (also set by a bar of the chart) shown as a removable chip, and the
 * server's refusal of a filter beside them.
 */
export function DeliveryFilters(props: {
  filters: DeliveryFiltersState;
  /** The server's reason for refusing the filters (a 400). */
  serverError?: string;
}) {
  const { filters, serverError } = props;
  const { draft, applied } = filters;
  const classes = useStyles();
  const timeRange = describeTimeRange(applied);
  const anySet = Object.entries(draft).some(([field, value]) =>
    field === 'status' ? value !== 'all' : value !== '',
  );

  const textProps = (field: FilterField) => ({
    id: `email-deliveries-${field}-filter`,
    variant: 'outlined' as const,
    size: 'small' as const,
    value: draft[field],
    onChange: (event: ChangeEvent<HTMLInputElement>) =>
      filters.change(field, event.target.value),
    onBlur: () => filters.applyNow(),
    onKeyDown: (event: KeyboardEvent) => {
      if (event.key === 'Enter') {
        filters.applyNow();
      }
    },
  });

  return (
    <div>
      <div className={classes.fields}>
        <TextField
          id="email-deliveries-status-filter"
          select
          label="Status"
          variant="outlined"
          size="small"
          className={classes.statusFilter}
          value={draft.status}
          SelectProps={{ native: true }}
          onChange={(event: ChangeEvent<{ value: unknown }>) =>
            filters.change('status', event.target.value as StatusFilter)
          }
        >
          {STATUS_FILTERS.map(filter => (
            <option key={filter.value} value={filter.value}>
              {filter.label}
            </option>
          ))}
        </TextField>
        <TextField
          {...textProps('recipient')}
          label="Recipient"
          type="email"
          className={classes.recipient}
          error={filters.recipientError !== undefined}
          helperText={filters.recipientError ?? RECIPIENT_HINT}
        />
        {TEXT_FILTERS.map(filter => (
          <TextField
            key={filter.field}
            {...textProps(filter.field)}
            label={filter.label}
            style={{ width: filter.width }}
          />
        ))}
        <TextField
          {...textProps('from')}
          label="From"
          type="datetime-local"
          className={classes.time}
          InputLabelProps={{ shrink: true }}
        />
        <TextField
          {...textProps('to')}
          label="To"
          type="datetime-local"
          className={classes.time}
          InputLabelProps={{ shrink: true }}
        />
        {anySet && (
          <Button className={classes.clear} onClick={filters.clearAll}>
            Clear filters
          </Button>
        )}
      </div>
      {(timeRange || serverError) && (
        <div className={classes.applied}>
          {timeRange && (
            <Chip
              label={timeRange}
              aria-label={`Remove the time filter: ${timeRange}`}
              onClick={filters.clearTimeRange}
              onDelete={filters.clearTimeRange}
            />
          )}
          {serverError && (
            <Alert severity="error" role="alert">
              The log could not be filtered: {serverError}
            </Alert>
          )}
        </div>
      )}
    </div>
  );
}
