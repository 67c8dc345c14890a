// What the machine did during a run, from /proc/stat: on a shared virtual machine the hypervisor may
// take CPU time from it ("steal"), which stalls every process on it alike and shows up as latency no
// server can avoid. Linux only; elsewhere the share is NaN.
import { readFileSync } from 'node:fs';

function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
    return {
      total: fields.slice(0, 8).reduce((sum, value) => sum + value, 0),
      idle: idle + iowait,
      steal,
      user,
      nice,
      system,
      irq,
      softirq,
    };
  } catch {
    return undefined;
  }
}

/** Runs `work` and returns its result with `steal` and `idle`: the shares of the machine's CPU time taken by the hypervisor and left idle. */
export async function withMachineShares(work) {
  const before = cpuTimes();
  const result = await work();
  const after = cpuTimes();
  if (!before || !after || after.total === before.total)
    return { ...result, steal: Number.NaN, idle: Number.NaN };
  const total = after.total - before.total;
  return { ...result, steal: (after.steal - before.steal) / total, idle: (after.idle - before.idle) / total };
}
