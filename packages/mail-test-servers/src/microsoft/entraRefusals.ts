import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson } from './http';

/** An Entra token endpoint error: status, OAuth error, AADSTS code and its description. */
export type EntraRefusal = {
  status: number;
  error: string;
  aadsts: number;
  description: string;
  headers?: Record<string, string>;
};

/** Entra's OAuth error body, with the trace details it always appends. */
export function sendEntraError(
  response: ServerResponse,
  refusal: EntraRefusal,
) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  sendJson(
    response,
    refusal.status,
    {
      error: refusal.error,
      error_description: `AADSTS${refusal.aadsts}: ${refusal.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [refusal.aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${refusal.aadsts}`,
    },
    refusal.headers,
  );
}
