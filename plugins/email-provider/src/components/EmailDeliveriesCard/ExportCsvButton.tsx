import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import type { DeliveryLogFilter } from '@email-provider/backstage-plugin-email-provider-common';
import Button from '@material-ui/core/Button';
import GetAppIcon from '@material-ui/icons/GetApp';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { emailProviderApiRef } from '../../api';
import { emailProviderTranslationRef } from '../../translation';
import { errorMessage, toIsoWithOffset } from './format';

/** Some browsers read the object URL after `click()` returns: it is revoked a moment later. */
export const REVOKE_DOWNLOAD_URL_MS = 1_000;

/** Saves the blob as a file, through a link that is clicked and dropped at once. */
function download(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.style.display = 'none';
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_DOWNLOAD_URL_MS);
}

/**
 * Downloads every message matching the log's filters as `email-deliveries-<local date>.csv`, with
 * an error beside it when the export fails. `applyFilters` applies what is typed and returns the
 * filter, or undefined when it cannot be applied (then nothing is exported).
 */
export function ExportCsvButton(props: {
  applyFilters(): DeliveryLogFilter | undefined;
  className?: string;
}) {
  const { applyFilters, className } = props;
  const api = useApi(emailProviderApiRef);
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const [exporting, setExporting] = useState(false);
  const [error, setError] = useState<string>();

  const exportCsv = async () => {
    const filter = applyFilters();
    if (!filter) {
      return;
    }
    setExporting(true);
    setError(undefined);
    try {
      const csv = await api.exportMessages(filter);
      download(
        csv,
        `email-deliveries-${toIsoWithOffset(new Date()).slice(0, 10)}.csv`,
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <Button
        variant="outlined"
        startIcon={<GetAppIcon />}
        disabled={exporting}
        onClick={exportCsv}
      >
        {exporting
          ? t('deliveries.export.exporting')
          : t('deliveries.export.button')}
      </Button>
      {error && (
        <Alert
          severity="error"
          role="alert"
          className={className}
          onClose={() => setError(undefined)}
          closeText={t('deliveries.log.close')}
        >
          {t('deliveries.export.error', { error })}
        </Alert>
      )}
    </>
  );
}
