import { describe, expect, it } from 'vitest';
import { createBatcher } from '../src/db/batcher.js';

/** A batch runner that records each batch and finishes when the test says so. */
function recordingRunner() {
  const batches: number[][] = [];
  const finishers: Array<() => void> = [];
  let running = 0;
  let maxRunning = 0;
  const run = async (inputs: number[]) => {
    batches.push(inputs);
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    await new Promise<void>((resolve) => finishers.push(resolve));
    running -= 1;
    return inputs.map((input) => (input < 0 ? new Error(`negative ${input}`) : input * 10));
  };
  return { run, batches, finishers, maxRunning: () => maxRunning };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('createBatcher', () => {
  it('sends the items of one event-loop turn together and answers each with its own result', async () => {
    const runner = recordingRunner();
    const batcher = createBatcher({ run: runner.run, maxBatchSize: 100, maxConcurrentBatches: 1 });
    const answers = Promise.allSettled([1, 2, -3, 4].map((input) => batcher.submit(input)));
    await turn();
    expect(runner.batches).toEqual([[1, 2, -3, 4]]);
    runner.finishers.shift()?.();
    const settled = await answers;
    expect(settled.map((result) => (result.status === 'fulfilled' ? result.value : 'rejected'))).toEqual([
      10,
      20,
      'rejected',
      40,
    ]);
  });

  it('holds new items while the concurrency limit is reached, then sends them as the next batch', async () => {
    const runner = recordingRunner();
    const batcher = createBatcher({ run: runner.run, maxBatchSize: 2, maxConcurrentBatches: 1 });
    const first = [batcher.submit(1), batcher.submit(2), batcher.submit(3)];
    await turn();
    expect(runner.batches).toEqual([[1, 2]]);
    const later = [batcher.submit(4), batcher.submit(5)];
    await turn();
    expect(runner.batches).toEqual([[1, 2]]);
    runner.finishers.shift()?.();
    await Promise.all(first.slice(0, 2));
    await turn();
    expect(runner.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    runner.finishers.shift()?.();
    await turn();
    await turn();
    runner.finishers.shift()?.();
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50]);
    expect(runner.batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(runner.maxRunning()).toBe(1);
    await batcher.drain();
  });

  it('fails every item of a batch whose run throws, and keeps serving later batches', async () => {
    let fail = true;
    const batcher = createBatcher<number, number>({
      run: async (inputs) => {
        if (fail) throw new Error('database went away');
        return inputs;
      },
      maxBatchSize: 10,
      maxConcurrentBatches: 2,
    });
    const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batcher.submit(7)).toBe(7);
  });

  it('closes a batch at its weight limit, and sends an item heavier than the limit alone', async () => {
    const runner = recordingRunner();
    const batcher = createBatcher({
      run: runner.run,
      maxBatchSize: 100,
      maxConcurrentBatches: 3,
      weigh: (input: number) => input,
      maxBatchWeight: 10,
    });
    const answers = [4, 5, 2, 30, 1].map((input) => batcher.submit(input));
    await turn();
    expect(runner.batches).toEqual([[4, 5], [2], [30]]);
    for (const finish of runner.finishers.splice(0)) finish();
    await turn();
    for (const finish of runner.finishers.splice(0)) finish();
    expect(await Promise.all(answers)).toEqual([40, 50, 20, 300, 10]);
    expect(runner.batches.at(-1)).toEqual([1]);
  });

  it('drain waits for the items in flight', async () => {
    const runner = recordingRunner();
    const batcher = createBatcher({ run: runner.run, maxBatchSize: 10, maxConcurrentBatches: 1 });
    const answer = batcher.submit(1);
    let drained = false;
    const draining = batcher.drain().then(() => {
      drained = true;
    });
    await turn();
    expect(drained).toBe(false);
    runner.finishers.shift()?.();
    await answer;
    await draining;
    expect(drained).toBe(true);
  });
  it('never runs one key in two batches at once; other keys go ahead in the next batch', async () => {
    const runner = recordingRunner();
    // Key: the tens digit (an organization, say).
    const batcher = createBatcher({
      run: runner.run,
      maxBatchSize: 100,
      maxConcurrentBatches: 2,
      keyOf: (input: number) => String(Math.floor(input / 10)),
    });
    const first = [batcher.submit(11), batcher.submit(21)];
    await turn();
    expect(runner.batches).toEqual([[11, 21]]);
    // 12 and 22 share keys with the running batch and wait; 31 and 41 go ahead, in order.
    const second = [batcher.submit(12), batcher.submit(31), batcher.submit(22), batcher.submit(41)];
    await turn();
    expect(runner.batches).toEqual([
      [11, 21],
      [31, 41],
    ]);
    runner.finishers.shift()?.();
    await Promise.all(first);
    await turn();
    expect(runner.batches[2]).toEqual([12, 22]);
    runner.finishers.shift()?.();
    runner.finishers.shift()?.();
    expect(await Promise.all(second)).toEqual([120, 310, 220, 410]);
    expect(runner.maxRunning()).toBe(2);
  });
});
