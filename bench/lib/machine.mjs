// What the machine did during a run, from /proc/stat: on a shared virtual machine the hypervisor may
// take CPU time from it ("steal"), which stalls every process on it alike and shows up as latency no
// server can avoid. Linux only; elsewhere the share is NaN.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

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

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * Two CPU times from /proc/<pid>/stat, in seconds, counted among the fields after the command name
 * (which may itself hold spaces); 0 once the process is gone.
 */
function statSeconds(pid, first, second) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[first]) + Number(fields[second])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A process's CPU time so far (utime + stime), in seconds; 0 once it is gone. */
const processCpuSeconds = (pid) => statSeconds(pid, 11, 12);

/**
 * The CPU time of this process's children that have ended (cutime + cstime), in seconds: the C load
 * generator's, once each run of it has exited. The servers under test are children too, but alive.
 */
const endedChildrenCpuSeconds = () => statSeconds('self', 13, 14);

/** The CPU time so far of each PostgreSQL process on this machine (backends, WAL writer, autovacuum …), by pid. */
function postgresCpuByProcess() {
  const seconds = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('postgres')) {
        seconds.set(entry, processCpuSeconds(entry));
      }
    } catch {
      // The process ended while the list was read.
    }
  }
  return seconds;
}

/**
 * PostgreSQL's CPU time between two readings: processes that started meanwhile count whole; one that
 * ended meanwhile (an autovacuum worker, a closed connection) is not counted, as its time is gone with it.
 */
function postgresCpuSecondsBetween(before, after) {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/**
 * Runs `work` (a benchmark run that returns `{perSecond, …}` in requests) and adds where its CPU went,
 * in µs per operation (`operationsPerRequest` of them a request, e.g. the events of a batch): the
 * Tollgate server (`serverPid`), every PostgreSQL process, and the load generator (this process and
 * the C generator it ran); and `capacity`, the operations per second those costs would fill the
 * machine's cores with. That is a ceiling only roughly: the server's JavaScript runs on one thread (its GC partly on others), so it can saturate
 * before the cores do. On a shared VM throughput moves with the host's load, CPU per operation much
 * less, so these say what a change did when the throughput is noise. PostgreSQL's share includes
 * whatever else the database server does meanwhile (autovacuum, checkpoints), but not processes that
 * ended during the run. Linux only; NaN elsewhere.
 */
export async function withCpuPerOperation(serverPid, work, operationsPerRequest = 1) {
  const before = {
    server: processCpuSeconds(serverPid),
    postgres: postgresCpuByProcess(),
    self: process.cpuUsage(),
    children: endedChildrenCpuSeconds(),
  };
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const self = process.cpuUsage(before.self);
  const operations = result.perSecond * seconds * operationsPerRequest;
  const perOperation = (cpuSeconds) => (operations > 0 ? (cpuSeconds * 1e6) / operations : Number.NaN);
  const cpu = {
    server: perOperation(processCpuSeconds(serverPid) - before.server),
    postgres: perOperation(postgresCpuSecondsBetween(before.postgres, postgresCpuByProcess())),
    generator: perOperation((self.user + self.system) / 1e6 + endedChildrenCpuSeconds() - before.children),
  };
  const total = cpu.server + cpu.postgres + cpu.generator;
  const capacity = (availableParallelism() * 1e6) / total;
  return { ...result, cpu: { ...cpu, capacity: Number.isFinite(capacity) ? capacity : Number.NaN } };
}

/** A process's resident memory now, in MB, from /proc/<pid>/status; null where there is no /proc. */
export function residentMegabytes(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
    return line ? Number(line[1]) / 1024 : null;
  } catch {
    return null;
  }
}
