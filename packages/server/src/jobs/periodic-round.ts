/**
 * Runs `round` every `intervalMs` until stopped, never two rounds of one process at a time (a slow
 * round is not overlapped by the next tick). A round that throws is handed to `onError`; the next
 * one tries again. `stop` waits for the round in progress.
 */
export function startPeriodicRound(
  round: () => Promise<void>,
  options: { intervalMs: number; runAtStart: boolean; onError: (error: unknown) => void },
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = round()
      .catch(options.onError)
      .finally(() => {
        running = null;
      });
  };
  if (options.runAtStart) tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      if (running) await running;
    },
  };
}
