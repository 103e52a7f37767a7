import { Batcher, BatcherOptions } from './Batcher';

const tick = () => new Promise(resolve => setImmediate(resolve));

/** A batcher that keeps every batch it flushes, in `batches`. */
function recordingBatcher<T>(options: Omit<BatcherOptions<T>, 'flush'>) {
  const batches: T[][] = [];
  const batcher = new Batcher<T>({
    flush: items => {
      batches.push(items);
    },
    ...options,
  });
  return { batches, batcher };
}

describe('Batcher', () => {
  it('gathers what arrives in one turn into one batch, at no delay', async () => {
    const { batches, batcher } = recordingBatcher<number>({
      delayMs: 0,
      maxItems: 100,
    });
    const done = [1, 2, 3].map(i => batcher.add(i));
    expect(batches).toEqual([]);
    await Promise.all(done);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('closes a batch after its delay, or at once when full', async () => {
    jest.useFakeTimers();
    try {
      const { batches, batcher } = recordingBatcher<string>({
        delayMs: 20,
        maxItems: () => 3,
      });
      ['a', 'b', 'c', 'd'].forEach(item => batcher.add(item));
      await jest.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([['a', 'b', 'c']]);
      await jest.advanceTimersByTimeAsync(19);
      expect(batches).toEqual([['a', 'b', 'c']]);
      await jest.advanceTimersByTimeAsync(1);
      expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('starts a new batch before an item that would take it over its weight', async () => {
    const { batches, batcher } = recordingBatcher<number>({
      delayMs: 0,
      maxItems: 100,
      weigh: n => n,
      maxWeight: 10,
    });
    await Promise.all([4, 5, 2, 30, 1].map(n => batcher.add(n)));
    expect(batches).toEqual([[4, 5], [2], [30], [1]]);
  });

  it('flushes one batch at a time when serial, and gathers what waited meanwhile', async () => {
    jest.useFakeTimers();
    try {
      const batches: number[][] = [];
      let finish!: () => void;
      const batcher = new Batcher<number>({
        flush: items => {
          batches.push(items);
          return new Promise<void>(resolve => {
            finish = resolve;
          });
        },
        delayMs: 0,
        maxItems: 2,
        serial: { busyDelayMs: 5 },
      });
      batcher.add(1);
      await jest.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([[1]]);
      // While the first flush is under way: one full batch, and one still open.
      [2, 3, 4].forEach(n => batcher.add(n));
      await jest.advanceTimersByTimeAsync(10);
      expect(batches).toEqual([[1]]);
      finish();
      await jest.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([[1], [2, 3]]);
      finish();
      await jest.advanceTimersByTimeAsync(4);
      expect(batches).toEqual([[1], [2, 3]]);
      batcher.add(5);
      await jest.advanceTimersByTimeAsync(1);
      expect(batches).toEqual([[1], [2, 3], [4, 5]]);
      finish();
    } finally {
      jest.useRealTimers();
    }
  });

  it('settles a batch and goes on when its flush fails', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>({
      flush: async items => {
        batches.push(items);
        throw new Error('database away');
      },
      delayMs: 0,
      maxItems: 1,
      serial: { busyDelayMs: 0 },
    });
    await Promise.all([batcher.add(1), batcher.add(2)]);
    await tick();
    expect(batches).toEqual([[1], [2]]);
  });
});
