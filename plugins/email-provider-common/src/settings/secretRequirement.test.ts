import {
  microsoft365SecretRequiredReason,
  secretRequiredIssue,
  smtpPasswordRequiredReason,
} from './secretRequirement';
import { fieldIssuesOf, formatFieldIssues } from './fieldIssues';

const SMTP = {
  host: 'smtp.example.com',
  port: 587,
  security: 'starttls' as const,
  from: 'reports@example.com',
  usernameSameAsFrom: true,
};
const APP = {
  tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
  clientId: '11111111-2222-3333-4444-555555555555',
};

describe('the secret-required rule', () => {
  it('keeps a saved SMTP password only for the same destination', () => {
    const saved = { ...SMTP, passwordSet: true };
    expect(smtpPasswordRequiredReason(saved, SMTP)).toBeUndefined();
    expect(
      smtpPasswordRequiredReason(saved, { ...SMTP, host: 'SMTP.example.com' }),
    ).toBeUndefined();
    expect(smtpPasswordRequiredReason(saved, { ...SMTP, port: 465 })).toBe(
      'destination-changed',
    );
    expect(smtpPasswordRequiredReason(undefined, SMTP)).toBe('missing');
    expect(
      smtpPasswordRequiredReason({ ...SMTP, passwordSet: false }, SMTP),
    ).toBe('missing');
    expect(smtpPasswordRequiredReason({ authentication: 'none' }, SMTP)).toBe(
      'authentication-enabled',
    );
    expect(
      smtpPasswordRequiredReason(undefined, {
        ...SMTP,
        authentication: 'none',
      }),
    ).toBeUndefined();
  });

  it('keeps a saved Microsoft 365 credential only for the same app, cloud and kind', () => {
    const saved = { ...APP, secretSet: true };
    expect(microsoft365SecretRequiredReason(saved, APP)).toBeUndefined();
    expect(
      microsoft365SecretRequiredReason(saved, { ...APP, cloud: 'china' }),
    ).toBe('destination-changed');
    expect(
      microsoft365SecretRequiredReason(saved, {
        ...APP,
        credential: 'certificate',
      }),
    ).toBe('credential-changed');
    expect(microsoft365SecretRequiredReason(undefined, APP)).toBe('missing');
    expect(
      microsoft365SecretRequiredReason({ ...APP, secretSet: false }, APP),
    ).toBe('missing');
  });

  it('words each reason for its field', () => {
    expect(secretRequiredIssue('smtp.password', 'missing')).toEqual({
      field: 'smtp.password',
      message: 'Password is required to activate SMTP',
    });
    expect(
      secretRequiredIssue(
        'microsoft365.clientCertificatePem',
        'credential-changed',
      ),
    ).toEqual({
      field: 'microsoft365.clientCertificatePem',
      message:
        'Certificate and private key are required: the saved settings sign in with a client secret, not a certificate',
    });
    // A reason with no sentence of its own for this field is worded as missing.
    expect(
      secretRequiredIssue('smtp.password', 'credential-changed').message,
    ).toBe('Password is required to activate SMTP');
  });
});

describe('field issues of an error body', () => {
  const issues = [
    { field: 'smtp.port', message: 'Port must be between 1 and 65535' },
    { field: 'smtp.from', message: 'Sender email address is required' },
  ];

  it('words them as the message does', () => {
    expect(formatFieldIssues(issues)).toBe(
      'smtp.port: Port must be between 1 and 65535; smtp.from: Sender email address is required',
    );
  });

  it('reads them from a serialized error, and nothing from anything else', () => {
    expect(fieldIssuesOf({ name: 'InputError', message: 'x', issues })).toEqual(
      issues,
    );
    expect(
      fieldIssuesOf({ issues: [{ field: 1 }, issues[0], 'x', null] }),
    ).toEqual([issues[0]]);
    expect(fieldIssuesOf({ name: 'InputError', message: 'x' })).toEqual([]);
    expect(fieldIssuesOf(undefined)).toEqual([]);
  });
});
