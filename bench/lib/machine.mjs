// What the machine did during a run, from /proc/stat: on a shared virtual machine the hypervisor may
// take CPU time from it ("steal"), which stalls every process on it alike and shows up as latency no
// server can avoid. Linux only; elsewhere the share is NaN.
import { readFileSync } from 'node:fs';

/** The machine's CPU time so far, in all and stolen (the first eight fields of the `cpu` line). */
function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1, 9)
      .map(Number);
    return { total: fields.reduce((sum, value) => sum + value, 0), steal: fields[7] };
  } catch {
    return undefined;
  }
}

/** Runs `work` and returns its result with `steal`: the share of the machine's CPU time the hypervisor took meanwhile. */
export async function withMachineShares(work) {
  const before = cpuTimes();
  const result = await work();
  const after = cpuTimes();
  if (!before || !after || after.total === before.total) return { ...result, steal: Number.NaN };
  return { ...result, steal: (after.steal - before.steal) / (after.total - before.total) };
}
