import { fireEvent, screen, waitFor } from '@testing-library/react';
import {
  messageRow,
  messageRows,
  renderDeliveriesCard,
} from '../../__testUtils__/deliveriesCard';
import {
  deliveryRecord,
  FAILED_DELIVERY,
  FakeEmailProviderApi,
  responseError,
} from '../../__testUtils__/FakeEmailProviderApi';
import { REVOKE_DOWNLOAD_URL_MS } from './ExportCsvButton';

const WEEKLY = deliveryRecord({
  id: 'weekly-1',
  subject: 'Weekly report for the platform team',
  caller: 'plugin:reports',
  category: 'weekly-report',
  createdAt: '2026-11-29T08:00:00.000Z',
});

const ALERT = deliveryRecord({
  id: 'alert-1',
  subject: 'Build broken on main',
  caller: 'plugin:alerts',
  category: 'build-alert',
  createdAt: '2026-11-29T09:30:00.000Z',
});

function apiWithLog() {
  const api = new FakeEmailProviderApi();
  api.messages = [ALERT, WEEKLY, FAILED_DELIVERY];
  api.recipients = {
    'weekly-1': ['ada@example.com'],
    'alert-1': ['grace@example.com'],
  };
  return api;
}

/** The `datetime-local` value of an instant, in the browser's time zone: `2026-11-29T07:00`. */
function localInput(time: number): string {
  const date = new Date(time);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(
    date.getDate(),
  )}T${two(date.getHours())}:${two(date.getMinutes())}`;
}

const field = (name: string) =>
  screen.getByRole('textbox', { name }) as HTMLInputElement;

describe('the delivery log filters', () => {
  it('reads the log with each filter once typing pauses, not at each keystroke', async () => {
    const api = apiWithLog();
    const user = renderDeliveriesCard(api);
    expect(await messageRows()).toHaveLength(3);

    await user.type(field('Caller'), 'plugin:reports');
    await waitFor(() =>
      expect(api.listMessages).toHaveBeenLastCalledWith({
        caller: 'plugin:reports',
        limit: 25,
      }),
    );
    // One read after the pause (a second if the machine stalls mid-word), not one per keystroke.
    const callers = api.listMessages.mock.calls
      .map(([filter]) => filter?.caller)
      .filter(caller => caller !== undefined);
    expect(callers.length).toBeLessThan(3);
    expect(callers).toContain('plugin:reports');

    await user.type(field('Recipient'), 'ada@example.com');
    await user.type(field('Category'), 'weekly-report');
    await user.type(field('Subject words'), 'week plat');
    // An hour either side of the weekly report.
    const from = Date.parse(WEEKLY.createdAt) - 3_600_000;
    const to = Date.parse(WEEKLY.createdAt) + 3_600_000;
    fireEvent.change(screen.getByLabelText('From'), {
      target: { value: localInput(from) },
    });
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: localInput(to) },
    });
    await waitFor(() =>
      expect(api.listMessages.mock.calls.at(-1)![0]).toEqual({
        recipient: 'ada@example.com',
        caller: 'plugin:reports',
        category: 'weekly-report',
        q: 'week plat',
        from: expect.any(String),
        to: expect.any(String),
        limit: 25,
      }),
    );
    const query = api.listMessages.mock.calls.at(-1)![0]!;
    // Read in the browser's time zone, sent with its offset.
    expect(query.from).toMatch(/[+-]\d\d:\d\d$/);
    expect(Date.parse(query.from!)).toBe(from);
    expect(Date.parse(query.to!)).toBe(to);
    await waitFor(async () => expect(await messageRows()).toHaveLength(1));
    expect(messageRow('weekly-1')).toBeVisible();

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() =>
      expect(api.listMessages).toHaveBeenLastCalledWith({ limit: 25 }),
    );
    expect(field('Caller')).toHaveValue('');
  });

  it('shows the messages matching the filters, and says when none do', async () => {
    const api = apiWithLog();
    const user = renderDeliveriesCard(api);
    expect(await messageRows()).toHaveLength(3);

    await user.type(field('Recipient'), 'grace@example.com{Enter}');
    await waitFor(async () => expect(await messageRows()).toHaveLength(1));
    expect(messageRow('alert-1')).toBeVisible();

    await user.type(field('Subject words'), 'weekly{Enter}');
    expect(
      await screen.findByText('No messages match these filters.'),
    ).toBeVisible();
  });

  it('says why a recipient that is not a whole address is not looked for, and reads nothing', async () => {
    const api = apiWithLog();
    const user = renderDeliveriesCard(api);
    expect(await messageRows()).toHaveLength(3);
    const reads = api.listMessages.mock.calls.length;
    const recipient = field('Recipient');
    expect(recipient).toHaveAccessibleDescription(
      'The whole address: the log keeps only a keyed hash of each address',
    );

    await user.type(recipient, 'ada@{Enter}');
    await waitFor(() =>
      expect(recipient).toHaveAccessibleDescription(
        'Recipient must be a single plain address such as name@example.com, without a display name, comments or quotes',
      ),
    );
    expect(recipient).toHaveAttribute('aria-invalid', 'true');
    await new Promise(resolve => setTimeout(resolve, 700));
    expect(api.listMessages).toHaveBeenCalledTimes(reads);
    expect(await messageRows()).toHaveLength(3);
  });

  it("shows the server's refusal of a filter beside the filters", async () => {
    const api = apiWithLog();
    const user = renderDeliveriesCard(api);
    expect(await messageRows()).toHaveLength(3);
    api.listMessages.mockRejectedValueOnce(
      await responseError(
        400,
        'InputError',
        'q must be at most 200 characters',
      ),
    );
    await user.type(field('Subject words'), 'x{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The log could not be filtered: q must be at most 200 characters',
    );
  });

  describe('Export CSV', () => {
    const createObjectURL = jest.fn(() => 'blob:http://localhost/export-1');
    const revokeObjectURL = jest.fn();
    let downloads: Array<{ href: string; download: string }>;
    let click: jest.SpyInstance;

    beforeEach(() => {
      downloads = [];
      // jsdom has no object URLs and does not download.
      Object.assign(URL, { createObjectURL, revokeObjectURL });
      click = jest
        .spyOn(HTMLAnchorElement.prototype, 'click')
        .mockImplementation(function record(this: HTMLAnchorElement) {
          downloads.push({ href: this.href, download: this.download });
        });
    });

    afterEach(() => {
      click.mockRestore();
      createObjectURL.mockClear();
      revokeObjectURL.mockClear();
    });

    it('downloads the messages matching the filters as a CSV file', async () => {
      const api = apiWithLog();
      api.csv = 'id,status\r\nfailed-1,failed\r\n';
      const user = renderDeliveriesCard(api);
      expect(await messageRows()).toHaveLength(3);
      await user.selectOptions(
        screen.getByRole('combobox', { name: 'Status' }),
        'Failed',
      );
      await user.type(field('Caller'), 'plugin:ci-reports');

      // Typed but not yet applied: the export applies it first.
      await user.click(screen.getByRole('button', { name: 'Export CSV' }));
      await waitFor(() => expect(downloads).toHaveLength(1));
      expect(api.exportMessages).toHaveBeenCalledWith({
        status: 'failed',
        caller: 'plugin:ci-reports',
      });
      const blob = (createObjectURL.mock.calls[0] as unknown as [Blob])[0];
      expect(await blob.text()).toBe('id,status\r\nfailed-1,failed\r\n');
      const now = new Date();
      const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(
        2,
        '0',
      )}-${String(now.getDate()).padStart(2, '0')}`;
      expect(downloads[0]).toEqual({
        href: 'blob:http://localhost/export-1',
        download: `email-deliveries-${today}.csv`,
      });
      await waitFor(
        () =>
          expect(revokeObjectURL).toHaveBeenCalledWith(
            'blob:http://localhost/export-1',
          ),
        { timeout: REVOKE_DOWNLOAD_URL_MS + 1_000 },
      );
    });

    it('says when the export fails', async () => {
      const api = apiWithLog();
      api.exportMessages.mockRejectedValueOnce(
        await responseError(503, 'ServiceUnavailableError', 'database busy'),
      );
      const user = renderDeliveriesCard(api);
      expect(await messageRows()).toHaveLength(3);
      await user.click(screen.getByRole('button', { name: 'Export CSV' }));
      expect(await screen.findByRole('alert')).toHaveTextContent(
        'The delivery log could not be exported: database busy',
      );
      expect(downloads).toHaveLength(0);
    });

    it('exports nothing while the recipient is not an address', async () => {
      const api = apiWithLog();
      const user = renderDeliveriesCard(api);
      expect(await messageRows()).toHaveLength(3);
      await user.type(field('Recipient'), 'ada');
      await user.click(screen.getByRole('button', { name: 'Export CSV' }));
      expect(field('Recipient')).toHaveAttribute('aria-invalid', 'true');
      expect(api.exportMessages).not.toHaveBeenCalled();
    });
  });
});
