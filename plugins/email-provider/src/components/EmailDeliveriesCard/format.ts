import { ResponseError } from '@backstage/errors';

/** A date and time with seconds, in the app's language; the raw value if it does not parse. */
export function formatTime(iso: string, language: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return new Intl.DateTimeFormat(language, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  }).format(date);
}

/** The backend's sentence for an error answer, or the error's own message. */
export function errorMessage(error: unknown): string {
  if (error instanceof ResponseError) {
    return error.body?.error?.message ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

const twoDigits = (value: number) => String(value).padStart(2, '0');

/**
 * `2026-11-29T09:00:00.000+01:00`: the date-time in the browser's time zone with its offset, so
 * that the server reads the admin's own hours and days.
 */
export function toIsoWithOffset(date: Date): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const offset = Math.abs(offsetMinutes);
  return (
    `${date.getFullYear()}-${twoDigits(date.getMonth() + 1)}-${twoDigits(
      date.getDate(),
    )}T${twoDigits(date.getHours())}:${twoDigits(
      date.getMinutes(),
    )}:${twoDigits(date.getSeconds())}.${String(
      date.getMilliseconds(),
    ).padStart(3, '0')}` +
    `${sign}${twoDigits(Math.floor(offset / 60))}:${twoDigits(offset % 60)}`
  );
}

/** The value of a `datetime-local` input (`2026-11-29T09:00`, local time) for an ISO date-time. */
export function toDateTimeLocal(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : toIsoWithOffset(date).slice(0, 16);
}

/** An ISO date-time with offset for a `datetime-local` input's value; undefined when empty. */
export function fromDateTimeLocal(value: string): string | undefined {
  // Without an offset, the date-time form is read in the browser's time zone.
  const date = new Date(value);
  return value && !Number.isNaN(date.getTime())
    ? toIsoWithOffset(date)
    : undefined;
}

/** A date and time to the minute, in the app's language. */
export function formatMinute(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(iso));
}

/** A count in the app's language: `10,000`, `10.000`. */
export function formatCount(count: number, language: string): string {
  return new Intl.NumberFormat(language).format(count);
}
