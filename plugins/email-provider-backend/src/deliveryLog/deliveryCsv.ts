import type { DeliveryRecord } from '@email-provider/backstage-plugin-email-provider-common';
import { stringify } from 'csv-stringify/sync';
import type { Response } from 'express';
import { once } from 'node:events';

/** The export's columns: the log's metadata; no body, attachment, address or secret exists here. */
const COLUMNS: Array<{
  header: string;
  value: (r: DeliveryRecord) => unknown;
}> = [
  { header: 'created_at', value: r => r.createdAt },
  { header: 'status', value: r => r.status },
  { header: 'caller', value: r => r.caller },
  { header: 'category', value: r => r.category },
  { header: 'subject', value: r => r.subject },
  { header: 'recipients', value: r => r.recipientsCount },
  { header: 'size_bytes', value: r => r.sizeBytes },
  { header: 'attempts', value: r => r.attempts },
  { header: 'provider', value: r => r.provider },
  { header: 'sent_at', value: r => r.sentAt },
  { header: 'updated_at', value: r => r.updatedAt },
  { header: 'error_code', value: r => r.lastError?.code },
  { header: 'error_message', value: r => r.lastError?.message },
  { header: 'message_id', value: r => r.messageId },
  { header: 'id', value: r => r.id },
];

function toCsv(records: DeliveryRecord[], first: boolean): string {
  return stringify(
    records.map(record => COLUMNS.map(column => column.value(record) ?? '')),
    {
      header: first,
      columns: COLUMNS.map(column => column.header),
      // Spreadsheets run a cell that starts with = + - or @ as a formula; subjects come from
      // other plugins, and through them from anyone.
      escape_formulas: true,
      // RFC 4180 quotes a field with any line break; csv-stringify alone quotes only a CRLF, and
      // an error message may hold a bare LF.
      quoted_match: /[\r\n]/,
      // Excel reads a file without it as the local code page.
      bom: first,
      record_delimiter: 'windows',
    },
  );
}

/**
 * Streams the log as CSV (RFC 4180), a batch at a time, so an export of a million messages
 * holds one batch in memory and follows the client's pace. Returns how many rows went out.
 * The first batch is read before anything is written, so a bad filter still gets a JSON error.
 */
export async function writeDeliveryCsv(
  res: Response,
  batches: AsyncGenerator<DeliveryRecord[]>,
  options: { filename: string },
): Promise<number> {
  const first = await batches.next();
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader(
    'Content-Disposition',
    `attachment; filename="${options.filename}"`,
  );
  res.setHeader('Cache-Control', 'no-store');
  let rows = 0;
  let header = true;
  const write = async (records: DeliveryRecord[]) => {
    rows += records.length;
    if (!res.write(toCsv(records, header))) {
      await once(res, 'drain');
    }
    header = false;
  };
  try {
    await write(first.done ? [] : first.value);
    for await (const batch of batches) {
      if (res.destroyed) {
        break;
      }
      await write(batch);
    }
    res.end();
  } catch (error) {
    // Headers are out: the only way left to say it failed is to cut the download short.
    res.destroy(error as Error);
    throw error;
  }
  return rows;
}
