import type { DeliveryStatsBucket } from '@email-provider/backstage-plugin-email-provider-common';
import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import {
  messageRow,
  messageRows,
  renderDeliveriesCard,
} from '../../__testUtils__/deliveriesCard';
import {
  deliveryRecord,
  FakeEmailProviderApi,
} from '../../__testUtils__/FakeEmailProviderApi';

const HOUR = 3_600_000;
const FIRST_HOUR = Date.parse('2026-11-28T09:00:00.000Z');
/** The bucket with messages: the 21st hour, 2026-11-29 05:00 UTC. */
const BUSY = 20;
const BUSY_START = FIRST_HOUR + BUSY * HOUR;

/** 24 hours with messages in one of them only, so that its bars are the only ones drawn. */
function hourBuckets(): DeliveryStatsBucket[] {
  return Array.from({ length: 24 }, (_, index): DeliveryStatsBucket => {
    const start = new Date(FIRST_HOUR + index * HOUR).toISOString();
    return index === BUSY
      ? {
          start,
          sent: 4,
          failed: 3,
          waiting: 1,
          failedByCode: { timeout: 1, 'connection-refused': 2 },
        }
      : { start, sent: 0, failed: 0, waiting: 0, failedByCode: {} };
  });
}

/** A log with one message in the busy hour and one before it. */
function apiWithStats() {
  const api = new FakeEmailProviderApi();
  api.stats = { bucket: 'hour', buckets: hourBuckets() };
  api.messages = [
    deliveryRecord({
      id: 'in-busy-hour',
      createdAt: new Date(BUSY_START + 10 * 60_000).toISOString(),
    }),
    deliveryRecord({
      id: 'before',
      createdAt: new Date(BUSY_START - 10 * 60_000).toISOString(),
    }),
  ];
  return api;
}

const chart = () =>
  screen.findByTestId('email-deliveries-chart', {}, { timeout: 10_000 });

/** The last `listMessages` query, with its time range as instants. */
function lastQuery(api: FakeEmailProviderApi) {
  const query = api.listMessages.mock.calls.at(-1)?.[0] ?? {};
  return {
    ...query,
    from: query.from && Date.parse(query.from),
    to: query.to && Date.parse(query.to),
  };
}

const OFFSET = /T\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/;

describe('the delivery chart', () => {
  it('reads the last 24 hours by hour, and the last 30 days by day from local midnight', async () => {
    const api = apiWithStats();
    const user = renderDeliveriesCard(api);
    await chart();
    expect(screen.getByText('Messages per hour')).toBeVisible();
    const hourQuery = api.getStats.mock.calls[0][0]!;
    expect(hourQuery.bucket).toBe('hour');
    expect(hourQuery.since).toMatch(OFFSET);
    const hourAgo = new Date(Date.now() - 23 * HOUR);
    hourAgo.setMinutes(0, 0, 0);
    expect(Date.parse(hourQuery.since!)).toBe(hourAgo.getTime());
    expect(
      screen.getByRole('button', { name: 'Last 24 hours' }),
    ).toHaveAttribute('aria-pressed', 'true');

    await user.click(screen.getByRole('button', { name: 'Last 30 days' }));
    await waitFor(() =>
      expect(api.getStats).toHaveBeenLastCalledWith({
        bucket: 'day',
        since: expect.stringMatching(OFFSET),
      }),
    );
    const now = new Date();
    const midnight = new Date(
      now.getFullYear(),
      now.getMonth(),
      now.getDate() - 29,
    );
    expect(Date.parse(api.getStats.mock.calls.at(-1)![0]!.since!)).toBe(
      midnight.getTime(),
    );
    expect(await screen.findByText('Messages per day')).toBeVisible();
    await user.click(screen.getByRole('checkbox', { name: 'Show as table' }));
    const table = await screen.findByRole('table', {
      name: 'Messages per day, last 30 days',
    });
    expect(within(table).getAllByRole('row')).toHaveLength(31);
  });

  it('lists each bucket in a table for screen readers: start, sent, failed, waiting and failure codes', async () => {
    const api = apiWithStats();
    const user = renderDeliveriesCard(api);
    // The drawing is not for assistive technology; the table is.
    expect(await chart()).toHaveAttribute('aria-hidden', 'true');
    await user.click(screen.getByRole('checkbox', { name: 'Show as table' }));
    const table = screen.getByRole('table', {
      name: 'Messages per hour, last 24 hours',
    });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map(cell => cell.textContent),
    ).toEqual([
      'Hour',
      'Sent',
      'Failed',
      'Waiting',
      'Failure codes',
      'Messages',
    ]);
    const [, ...buckets] = within(table).getAllByRole('row');
    expect(buckets).toHaveLength(24);
    const busy = buckets[BUSY];
    expect(within(busy).getByRole('rowheader').firstChild).toHaveAttribute(
      'dateTime',
      new Date(BUSY_START).toISOString(),
    );
    expect(
      within(busy)
        .getAllByRole('cell')
        .map(cell => cell.textContent),
    ).toEqual([
      '4',
      '3',
      '1',
      'connection-refused: 2timeout: 1',
      'Show messages',
    ]);
    expect(
      within(buckets[0])
        .getAllByRole('cell')
        .map(cell => cell.textContent),
    ).toEqual(['0', '0', '0', '', 'Show messages']);
    expect(screen.queryByTestId('email-deliveries-chart')).toBeNull();
  });

  it('shows the failure codes of a bar on hover', async () => {
    renderDeliveriesCard(apiWithStats());
    const drawing = await chart();
    // jsdom lays nothing out: the chart is 800 pixels wide from 0, its bars from x = 40 to 792.
    const barWidth = (792 - 40) / 24;
    fireEvent.mouseMove(drawing.querySelector('.recharts-wrapper')!, {
      clientX: 40 + (BUSY + 0.5) * barWidth,
      clientY: 100,
    });
    const tooltip = drawing.querySelector('.recharts-tooltip-wrapper')!;
    await waitFor(() =>
      expect(tooltip).toHaveTextContent('Sent 4, failed 3, waiting 1'),
    );
    expect(tooltip).toHaveTextContent(
      'Failure codes:connection-refused: 2timeout: 1',
    );
  });

  it('shows the messages of a bar when it is clicked, until that filter is removed', async () => {
    const api = apiWithStats();
    const user = renderDeliveriesCard(api);
    expect(await messageRows()).toHaveLength(2);
    const drawing = await chart();
    // Only the busy hour has bars: sent, failed and waiting, one each.
    const bars = drawing.querySelectorAll('.recharts-rectangle');
    expect(bars).toHaveLength(3);

    await user.click(bars[1]);
    await waitFor(() =>
      expect(lastQuery(api)).toEqual({
        limit: 25,
        from: BUSY_START,
        to: BUSY_START + HOUR,
      }),
    );
    expect(api.listMessages.mock.calls.at(-1)![0]!.from).toMatch(OFFSET);
    await waitFor(async () => expect(await messageRows()).toHaveLength(1));
    expect(messageRow('in-busy-hour')).toBeVisible();
    const filter = screen.getByRole('button', {
      name: /^Remove the time filter: Created from .+ to .+/,
    });
    expect(filter).toBeVisible();
    expect(
      Date.parse((screen.getByLabelText('From') as HTMLInputElement).value),
    ).toBe(BUSY_START);

    await user.click(filter);
    await waitFor(() =>
      expect(api.listMessages).toHaveBeenLastCalledWith({ limit: 25 }),
    );
    await waitFor(async () => expect(await messageRows()).toHaveLength(2));
    expect(
      screen.queryByRole('button', { name: /Remove the time filter/ }),
    ).not.toBeInTheDocument();
    expect(screen.getByLabelText('From')).toHaveValue('');
  });

  it("shows a bucket's messages from its row of the table, with the keyboard", async () => {
    const api = apiWithStats();
    const user = renderDeliveriesCard(api);
    await chart();
    await user.click(screen.getByRole('checkbox', { name: 'Show as table' }));
    const [, ...buckets] = within(
      screen.getByRole('table', { name: 'Messages per hour, last 24 hours' }),
    ).getAllByRole('row');
    act(() =>
      within(buckets[BUSY])
        .getByRole('button', { name: 'Show messages' })
        .focus(),
    );
    await user.keyboard('{Enter}');
    await waitFor(() =>
      expect(lastQuery(api)).toEqual({
        limit: 25,
        from: BUSY_START,
        to: BUSY_START + HOUR,
      }),
    );
  });

  it('is read again with the log', async () => {
    const api = apiWithStats();
    const user = renderDeliveriesCard(api);
    await chart();
    const reads = api.getStats.mock.calls.length;
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() =>
      expect(api.getStats.mock.calls.length).toBeGreaterThan(reads),
    );
  });

  it('says when it cannot be loaded, and the log still shows', async () => {
    const api = apiWithStats();
    api.getStats.mockRejectedValue(new Error('stats are down'));
    renderDeliveriesCard(api);
    expect(await messageRows()).toHaveLength(2);
    expect(
      await screen.findByText('The chart could not be loaded: stats are down'),
    ).toBeVisible();
  });
});
