/** What an SMTP server offers in its EHLO reply. */
export type SmtpOffer = {
  startTls: boolean;
  /** The AUTH mechanisms, when the server offers sign-in on this connection. */
  auth?: string;
  /** The SIZE limit in bytes, when the server announces one. */
  sizeBytes?: number;
};

/** Reads an EHLO reply; a HELO reply (no extensions) offers nothing. */
export function readSmtpOffer(ehlo: string): SmtpOffer {
  const lines = ehlo
    .split('\n')
    .slice(1)
    .map(line => line.replace(/^\d{3}[ -]/, '').trim());
  const auth = lines.find(line => /^AUTH[ =]/i.test(line));
  const sizeBytes = Number(
    lines.find(line => /^SIZE\b/i.test(line))?.split(/\s+/)[1],
  );
  return {
    startTls: lines.some(line => /^STARTTLS$/i.test(line)),
    ...(auth ? { auth: auth.slice(5).trim() } : {}),
    ...(sizeBytes > 0 ? { sizeBytes } : {}),
  };
}

/** A byte count as admins read mail limits: `10 MB` (MiB, rounded), `500 KB` below that. */
export function describeSize(bytes: number): string {
  const megabytes = bytes / 1024 / 1024;
  return megabytes >= 1
    ? `${Math.round(megabytes)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
