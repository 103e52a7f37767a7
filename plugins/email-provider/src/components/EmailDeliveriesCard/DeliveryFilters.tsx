import { useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  type DeliveryLogFilter,
  MAX_EMAIL_ADDRESS_LENGTH,
  MESSAGE_STATUSES,
  type MessageStatus,
} from '@email-provider/backstage-plugin-email-provider-common';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';
import { readableErrorText } from './readableErrorText';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { ChangeEvent, KeyboardEvent } from 'react';
import { emailProviderTranslationRef } from '../../translation';
import { formatCount, formatMinute } from './format';
import { useAppLanguage } from '../../translations/useAppLanguage';
import type {
  DeliveryFiltersState,
  FilterField,
  RecipientProblem,
  StatusFilter,
} from './useDeliveryFilters';

/** Every status the log knows, in the order a message goes through them, after "All". */
const STATUS_FILTERS: ReadonlyArray<{
  value: StatusFilter;
  label:
    | 'deliveries.filters.allStatuses'
    | `deliveries.status.${MessageStatus}`;
}> = [
  { value: 'all', label: 'deliveries.filters.allStatuses' },
  ...MESSAGE_STATUSES.map(status => ({
    value: status,
    label: `deliveries.status.${status}` as const,
  })),
];

const TEXT_FILTERS = [
  { field: 'caller', label: 'deliveries.filters.caller', width: 180 },
  { field: 'category', label: 'deliveries.filters.category', width: 160 },
  { field: 'q', label: 'deliveries.filters.subjectWords', width: 200 },
] as const satisfies ReadonlyArray<{
  field: Exclude<FilterField, 'status' | 'from' | 'to' | 'recipient'>;
  label: string;
  width: number;
}>;

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
    ...readableErrorText(theme),
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
function useTimeRangeSentence({
  from,
  to,
}: DeliveryLogFilter): string | undefined {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  if (from && to) {
    return t('deliveries.filters.createdBetween', {
      from: formatMinute(from, language),
      to: formatMinute(to, language),
    });
  }
  if (from) {
    return t('deliveries.filters.createdFrom', {
      from: formatMinute(from, language),
    });
  }
  return to
    ? t('deliveries.filters.createdBefore', { to: formatMinute(to, language) })
    : undefined;
}

/** Why the recipient typed is not looked for, or what to type when nothing is wrong with it. */
function useRecipientHelp(problem: RecipientProblem | undefined): string {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  if (problem === 'tooLong') {
    return t('deliveries.filters.recipientTooLong', {
      max: formatCount(MAX_EMAIL_ADDRESS_LENGTH, language),
    });
  }
  return problem === 'invalid'
    ? t('deliveries.filters.recipientInvalid')
    : t('deliveries.filters.recipientHint');
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
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const timeRange = useTimeRangeSentence(applied);
  const recipientHelp = useRecipientHelp(filters.recipientError);
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
          label={t('deliveries.filters.status')}
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
              {t(filter.label)}
            </option>
          ))}
        </TextField>
        <TextField
          {...textProps('recipient')}
          label={t('deliveries.filters.recipient')}
          type="email"
          className={classes.recipient}
          error={filters.recipientError !== undefined}
          helperText={recipientHelp}
        />
        {TEXT_FILTERS.map(filter => (
          <TextField
            key={filter.field}
            {...textProps(filter.field)}
            label={t(filter.label)}
            style={{ width: filter.width }}
          />
        ))}
        <TextField
          {...textProps('from')}
          label={t('deliveries.filters.from')}
          type="datetime-local"
          className={classes.time}
          InputLabelProps={{ shrink: true }}
        />
        <TextField
          {...textProps('to')}
          label={t('deliveries.filters.to')}
          type="datetime-local"
          className={classes.time}
          InputLabelProps={{ shrink: true }}
        />
        {anySet && (
          <Button className={classes.clear} onClick={filters.clearAll}>
            {t('deliveries.filters.clear')}
          </Button>
        )}
      </div>
      {(timeRange || serverError) && (
        <div className={classes.applied}>
          {timeRange && (
            <Chip
              label={timeRange}
              aria-label={t('deliveries.filters.removeTimeFilter', {
                range: timeRange,
              })}
              onClick={filters.clearTimeRange}
              onDelete={filters.clearTimeRange}
            />
          )}
          {serverError && (
            <Alert severity="error" role="alert">
              {t('deliveries.filters.serverError', { error: serverError })}
            </Alert>
          )}
        </div>
      )}
    </div>
  );
}
