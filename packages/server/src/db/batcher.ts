/**
 * Coalesces concurrent requests into batches, so many callers share one database round trip.
 *
 * Items submitted during one event-loop turn go out together when that turn ends (setImmediate
 * runs after the turn's I/O callbacks and their promise jobs). While `maxConcurrentBatches` are
 * already running, new items wait and go out with the next batch as soon as one finishes: under
 * load, batches grow with the load instead of the database seeing one query per request.
 *
 * `run` answers every item of its batch in order, with a value or an Error for that item alone; a
 * thrown error fails the whole batch.
 */
export type Batcher<Input, Output> = {
  submit(input: Input): Promise<Output>;
  /** Resolves when every submitted item has been answered. */
  drain(): Promise<void>;
};

export type BatcherOptions<Input, Output> = {
  run: (inputs: Input[]) => Promise<Array<Output | Error>>;
  maxBatchSize: number;
  maxConcurrentBatches: number;
  /**
   * How much of a batch an item takes (default 1) and how much a batch holds at most: a batch of
   * events stops at so many events, whatever the number of requests. An item heavier than the limit
   * goes alone.
   */
  weigh?: (input: Input) => number;
  maxBatchWeight?: number;
  /**
   * Items with the same key never run in two batches at once: while a batch holding a key runs, the
   * key's later items wait (in their order) and the next batch takes other keys' items. Concurrent
   * consumes of one organization would only queue on each other's row locks in the database.
   */
  keyOf?: (input: Input) => string;
};

type Pending<Input, Output> = {
  input: Input;
  resolve: (output: Output) => void;
  reject: (error: unknown) => void;
};

export function createBatcher<Input, Output>(options: BatcherOptions<Input, Output>): Batcher<Input, Output> {
  let queue: Pending<Input, Output>[] = [];
  const heldKeys = new Set<string>();
  let running = 0;
  let scheduled = false;
  let idle: Array<() => void> = [];

  const settleIdle = () => {
    if (queue.length > 0 || running > 0) return;
    const waiting = idle;
    idle = [];
    for (const resolve of waiting) resolve();
  };

  const takeBatch = (): Pending<Input, Output>[] => {
    const { weigh, maxBatchWeight = Number.POSITIVE_INFINITY, keyOf } = options;
    let count = 0;
    let weight = 0;
    if (!keyOf) {
      for (const item of queue) {
        if (count === options.maxBatchSize) break;
        const itemWeight = weigh ? weigh(item.input) : 1;
        if (count > 0 && weight + itemWeight > maxBatchWeight) break;
        count += 1;
        weight += itemWeight;
      }
      return queue.splice(0, count);
    }
    const batch: Pending<Input, Output>[] = [];
    const left: Pending<Input, Output>[] = [];
    let full = false;
    for (const item of queue) {
      const itemWeight = weigh ? weigh(item.input) : 1;
      full ||= count === options.maxBatchSize || (count > 0 && weight + itemWeight > maxBatchWeight);
      if (full || heldKeys.has(keyOf(item.input))) left.push(item);
      else {
        batch.push(item);
        count += 1;
        weight += itemWeight;
      }
    }
    queue = left;
    return batch;
  };

  const holdKeys = (batch: readonly Pending<Input, Output>[], hold: boolean) => {
    const { keyOf } = options;
    if (!keyOf) return;
    for (const item of batch) {
      if (hold) heldKeys.add(keyOf(item.input));
      else heldKeys.delete(keyOf(item.input));
    }
  };

  const dispatch = () => {
    scheduled = false;
    while (queue.length > 0 && running < options.maxConcurrentBatches) {
      const batch = takeBatch();
      if (batch.length === 0) break;
      running += 1;
      holdKeys(batch, true);
      runBatch(batch).finally(() => {
        running -= 1;
        holdKeys(batch, false);
        if (queue.length > 0) dispatch();
        else settleIdle();
      });
    }
  };

  const runBatch = async (batch: Pending<Input, Output>[]) => {
    try {
      const outputs = await options.run(batch.map((item) => item.input));
      if (outputs.length !== batch.length) {
        throw new Error(`batch answered ${outputs.length} of ${batch.length} items`);
      }
      batch.forEach((item, index) => {
        const output = outputs[index] as Output | Error;
        if (output instanceof Error) item.reject(output);
        else item.resolve(output);
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  };

  return {
    submit(input) {
      return new Promise<Output>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        if (!scheduled && running < options.maxConcurrentBatches) {
          scheduled = true;
          setImmediate(dispatch);
        }
      });
    },
    drain() {
      if (queue.length === 0 && running === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
