import { InfoCard, Progress } from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import type { EmailSuppression } from '@email-provider/backstage-plugin-email-provider-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import TablePagination from '@material-ui/core/TablePagination';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useEffect, useRef, useState } from 'react';
import { emailProviderApiRef } from '../../api';
import { emailProviderTranslationRef } from '../../translation';
import { useAppLanguage } from '../../translations/useAppLanguage';
import { ConfirmDialog } from '../EmailProviderSettingsCard';
import { errorMessage, formatCount, formatTime } from './format';
import { SuppressionSearch } from './SuppressionSearch';
import { SuppressionTable } from './SuppressionTable';
import { useCursorPages, useStepBackFromEmptyPage } from './useCursorPages';
import { useSuppressions } from './useSuppressions';

const PAGE_SIZE = 25;

const useStyles = makeStyles(theme => ({
  secondary: { color: theme.palette.text.secondary },
  search: { margin: theme.spacing(0, 0, 2) },
}));

/** How a removal went: removed, or refused with the server's reason. */
type Outcome =
  | { removed: true; entry: EmailSuppression }
  | { removed: false; entry: EmailSuppression; error: string };

/** What an entry's address unsubscribed from, in words when the message had them. */
const what = (entry: EmailSuppression) => entry.description ?? entry.list;

/**
 * The addresses that unsubscribed from a plugin's list with a message's unsubscribe link, newest
 * first: searched by whole address, paged by cursor, and, for users who may update the settings,
 * removed after a confirmation, so that the address gets that list's messages again.
 */
export function SuppressionList(props: { canRemove: boolean }) {
  const { canRemove } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  const api = useApi(emailProviderApiRef);
  const [address, setAddress] = useState<string>();
  const pages = useCursorPages(address ?? '');
  const suppressions = useSuppressions({
    address,
    cursor: pages.cursor,
    limit: PAGE_SIZE,
  });
  const { list } = suppressions;
  const [confirming, setConfirming] = useState<EmailSuppression>();
  const [removingId, setRemovingId] = useState<string>();
  const [outcome, setOutcome] = useState<Outcome>();
  const outcomeRef = useRef<HTMLDivElement>(null);

  // The outcome of a removal takes the focus, as the button it came from is gone.
  useEffect(() => {
    if (outcome) {
      outcomeRef.current?.focus();
    }
  }, [outcome]);

  const { page } = pages;
  useStepBackFromEmptyPage(list, pages);

  const remove = async (entry: EmailSuppression) => {
    setConfirming(undefined);
    setRemovingId(entry.id);
    setOutcome(undefined);
    try {
      await api.removeSuppression(entry.id);
      suppressions.drop(entry.id);
      setOutcome({ removed: true, entry });
    } catch (error) {
      setOutcome({ removed: false, entry, error: errorMessage(error) });
    } finally {
      setRemovingId(undefined);
    }
    // Someone else may have removed or added entries meanwhile (a 404 says so).
    suppressions.refresh();
  };

  const search = (searched: string | undefined) => {
    setOutcome(undefined);
    setAddress(searched);
    if (searched === address) {
      suppressions.refresh();
    }
  };

  const body = () => {
    if (suppressions.loadError) {
      return (
        <Alert
          severity="error"
          role="alert"
          action={
            <Button color="inherit" onClick={() => suppressions.refresh()}>
              {t('deliveries.log.tryAgain')}
            </Button>
          }
        >
          {t('deliveries.suppressions.loadError', {
            error: suppressions.loadError,
          })}
        </Alert>
      );
    }
    if (!list) {
      return suppressions.loading ? <Progress /> : null;
    }
    const first = page * PAGE_SIZE + 1;
    return (
      <>
        <SuppressionTable
          entries={list.items}
          empty={
            address
              ? t('deliveries.suppressions.emptyForAddress', { address })
              : t('deliveries.suppressions.empty')
          }
          canRemove={canRemove}
          removingId={removingId}
          onRemove={setConfirming}
        />
        {(page > 0 || list.nextCursor) && (
          <TablePagination
            component="div"
            // Pages follow one another by cursor; there is no count to show.
            count={-1}
            page={page}
            rowsPerPage={PAGE_SIZE}
            rowsPerPageOptions={[]}
            labelDisplayedRows={() =>
              t('deliveries.suppressions.rows', {
                first: formatCount(first, language),
                last: formatCount(first + list.items.length - 1, language),
              })
            }
            backIconButtonText={t('deliveries.suppressions.previousPage')}
            nextIconButtonText={t('deliveries.suppressions.nextPage')}
            nextIconButtonProps={{ disabled: !list.nextCursor }}
            onPageChange={(_event, next) => {
              if (next < page) {
                pages.previous();
              } else if (list.nextCursor && list.nextCursor !== pages.cursor) {
                pages.next(list.nextCursor);
              }
            }}
          />
        )}
      </>
    );
  };

  return (
    <InfoCard
      title={t('deliveries.suppressions.title')}
      subheader={t('deliveries.suppressions.description')}
    >
      <div className={classes.search}>
        <SuppressionSearch
          applied={address}
          onSearch={search}
          serverError={suppressions.searchError}
        />
      </div>
      {!canRemove && (
        <Typography variant="body2" className={classes.secondary} paragraph>
          {t('deliveries.suppressions.removeNeedsPermission', {
            permission: <code>email-provider.settings.update</code>,
          })}
        </Typography>
      )}
      {outcome && (
        <Box mb={2}>
          <Alert
            ref={outcomeRef}
            tabIndex={-1}
            severity={outcome.removed ? 'success' : 'error'}
            role={outcome.removed ? 'status' : 'alert'}
            onClose={() => setOutcome(undefined)}
            closeText={t('deliveries.log.close')}
            data-testid="email-suppressions-remove-outcome"
          >
            {outcome.removed
              ? t('deliveries.suppressions.removed', {
                  address: outcome.entry.address,
                  what: what(outcome.entry),
                  caller: outcome.entry.caller,
                })
              : t('deliveries.suppressions.removeFailed', {
                  address: outcome.entry.address,
                  error: outcome.error,
                })}
          </Alert>
        </Box>
      )}
      {body()}
      <ConfirmDialog
        open={confirming !== undefined}
        title={
          confirming
            ? t('deliveries.suppressions.confirmTitle', {
                address: confirming.address,
              })
            : ''
        }
        confirmLabel={t('deliveries.suppressions.remove')}
        onCancel={() => setConfirming(undefined)}
        onConfirm={() => confirming && remove(confirming)}
      >
        <Typography>
          {confirming &&
            t('deliveries.suppressions.confirmBody', {
              address: confirming.address,
              what: what(confirming),
              caller: confirming.caller,
              date: formatTime(confirming.createdAt, language),
            })}
        </Typography>
      </ConfirmDialog>
    </InfoCard>
  );
}
