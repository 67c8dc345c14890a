import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { chown, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

/**
 * Whether this process may mount a tmpfs (root, and a kernel and container that allow it): tried once
 * with a 1 MB one, at load, because `skipUnless` decides when the suite is declared.
 */
function probeTmpfs(): boolean {
  if (userInfo().uid !== 0) return false;
  const directory = mkdtempSync(path.join(tmpdir(), 'tollgate-tmpfs-probe-'));
  try {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', directory]).status !== 0) return false;
    return spawnSync('umount', [directory]).status === 0;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

export const tmpfsMountable = probeTmpfs();

export const NEEDS_TMPFS =
  'needs to mount a small tmpfs (as root, where the container permits `mount -t tmpfs`): a full disk is made on a file system of the test’s own';

export type SmallDisk = {
  /** The mounted directory, owned by the postgres user. */
  path: string;
  /** Writes a file of zeros until the file system has no byte left. */
  fill(): Promise<void>;
  /** Deletes that file. */
  free(): Promise<void>;
  /** Unmounts and deletes the mount point; lazily if something still holds it open. */
  remove(): Promise<void>;
};

const FILLER = '.filler';

/** A tmpfs of `megabytes`, owned by the postgres user so PostgreSQL may keep files on it. */
export async function mountSmallDisk(megabytes: number): Promise<SmallDisk> {
  const directory = await mkdtemp(path.join(tmpdir(), 'tollgate-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}M,mode=0700`, 'tmpfs', directory]);
  const postgresUser = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const postgresGroup = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  await chown(directory, postgresUser, postgresGroup);
  const filler = path.join(directory, FILLER);
  let removed = false;
  return {
    path: directory,
    async fill() {
      const file = await open(filler, 'a');
      try {
        // Large writes first, then ever smaller ones, so that not even a page is left.
        for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9]) {
          const zeros = Buffer.alloc(size);
          for (;;) {
            try {
              const { bytesWritten } = await file.write(zeros);
              if (bytesWritten < size) break;
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        await file.close();
      }
    },
    free: () => rm(filler, { force: true }),
    async remove() {
      if (removed) return;
      removed = true;
      if (spawnSync('umount', [directory]).status !== 0) spawnSync('umount', ['-l', directory]);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
