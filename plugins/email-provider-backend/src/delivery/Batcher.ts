export type BatcherOptions<T> = {
  /**
   * Handles one batch, and its failures too: a batch's items settle when it ends either way,
   * and a serial batcher goes on with the next.
   */
  flush: (items: T[]) => Promise<void> | void;
  /**
   * How long a batch gathers after its first item: 0 for the rest of this turn of the event loop
   * (`setImmediate`), so that work started together goes together at no added delay.
   */
  delayMs: number;
  /** A batch closes at once when it holds this many items. */
  maxItems: number | (() => number);
  /**
   * Weighs an item; a batch closes before the item that would take it over `maxWeight`, and
   * always takes its first item whatever it weighs.
   */
  weigh?: (item: T) => number;
  maxWeight?: number;
  /**
   * One flush at a time: items that arrive meanwhile wait, and once it ends they gather for
   * `busyDelayMs` more unless they fill a batch already. Under load the batches grow, which is
   * the point when each flush is a database round trip that costs more than its rows.
   */
  serial?: { busyDelayMs: number };
};

type Batch<T> = {
  items: T[];
  weight: number;
  /** Settles once the batch was flushed. */
  done: Promise<void>;
  resolve: () => void;
};

/**
 * Coalesces work that arrives close together into batches, each handed to `flush` once: the
 * messages accepted in one turn, the sent records of one moment, the wake-ups of one instant.
 */
export class Batcher<T> {
  private open?: Batch<T>;
  /** Closed batches that wait for the flush under way (serial only). */
  private readonly closed: Batch<T>[] = [];
  private flushing = false;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;

  constructor(private readonly options: BatcherOptions<T>) {}

  /** Adds an item to the open batch; settles once that batch was flushed. */
  add(item: T): Promise<void> {
    const { weigh, maxWeight, maxItems } = this.options;
    const weight = weigh ? weigh(item) : 0;
    let batch = this.open;
    if (batch && maxWeight !== undefined && batch.weight + weight > maxWeight) {
      this.close();
      batch = undefined;
    }
    if (!batch) {
      let resolve!: () => void;
      const done = new Promise<void>(r => {
        resolve = r;
      });
      batch = { items: [], weight: 0, done, resolve };
      this.open = batch;
      if (!this.options.serial || !this.flushing) {
        this.startTimer(this.options.delayMs);
      }
    }
    batch.items.push(item);
    batch.weight += weight;
    const max = typeof maxItems === 'number' ? maxItems : maxItems();
    if (batch.items.length >= max) {
      this.close();
    }
    return batch.done;
  }

  private startTimer(delayMs: number) {
    this.clearTimer();
    const fire = () => {
      this.timer = undefined;
      this.immediate = undefined;
      this.close();
    };
    if (delayMs > 0) {
      this.timer = setTimeout(fire, delayMs);
    } else {
      this.immediate = setImmediate(fire);
    }
  }

  private clearTimer() {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Closes the open batch: flushed now, or after the flush under way (serial). */
  private close() {
    const batch = this.open;
    if (!batch) {
      return;
    }
    this.open = undefined;
    this.clearTimer();
    if (this.options.serial && this.flushing) {
      this.closed.push(batch);
      return;
    }
    this.run(batch);
  }

  private run(batch: Batch<T>) {
    const { serial } = this.options;
    const ended = () => {
      batch.resolve();
      if (serial) {
        this.flushed(serial);
      }
    };
    if (serial) {
      this.flushing = true;
    }
    new Promise<void>(resolve => resolve(this.options.flush(batch.items))).then(
      ended,
      ended,
    );
  }

  /** A serial flush ended: the next full batch goes now, a partial one gathers a little more. */
  private flushed(serial: { busyDelayMs: number }) {
    this.flushing = false;
    const next = this.closed.shift();
    if (next) {
      this.run(next);
    } else if (this.open) {
      this.startTimer(serial.busyDelayMs);
    }
  }
}
