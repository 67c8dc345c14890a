import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The ingest worker's niceness unless INGEST_WORKER_NICE says otherwise: under CFS a thread at nice 10
 * weighs about a tenth of one at 0, so a check that becomes runnable while ingestion holds the core
 * gets it at the next scheduling point instead of after a full time slice (decision 22).
 */
export const DEFAULT_INGEST_WORKER_NICE = 10;

/** What became of a thread's scheduling priority, in words for the start banner. */
export type ThreadPriority = { lowered: true; nice: number } | { lowered: false; reason: string };

/**
 * Lowers the calling thread's CPU priority to `nice` (0–19), leaving the process's other threads as
 * they are. Linux keeps a niceness per thread, and `setpriority` given a thread id changes that
 * thread alone; the id is read from /proc/thread-self, as Node does not expose it. Elsewhere a
 * process id would be taken for the whole process, so nothing is changed. Raising a niceness needs no
 * privilege; a refusal (a sandbox forbidding the call) leaves the thread as it was and says why.
 */
export function lowerThreadPriority(
  nice: number,
  platform: NodeJS.Platform = process.platform,
): ThreadPriority {
  if (nice === 0) return { lowered: false, reason: 'niceness 0 asked' };
  if (platform !== 'linux')
    return { lowered: false, reason: `per-thread priority is Linux only, not ${platform}` };
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(threadId) || threadId <= 0) {
      return { lowered: false, reason: 'no thread id in /proc/thread-self' };
    }
    setPriority(threadId, nice);
    return { lowered: true, nice };
  } catch (error) {
    return { lowered: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

export const describeThreadPriority = (priority: ThreadPriority) =>
  priority.lowered ? `nice ${priority.nice}` : `priority unchanged (${priority.reason})`;
