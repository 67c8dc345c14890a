import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const mainScript = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export type ServerProcess = {
  child: ChildProcess;
  url: string;
  adminKey: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/**
 * Spawns the built server with only the given environment (and node flags before the script),
 * collecting stdout and stderr together.
 */
function spawnServer(environment: Record<string, string>, nodeFlags: readonly string[] = []) {
  if (!existsSync(mainScript)) throw new Error(`${mainScript} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, [...nodeFlags, mainScript], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      PORT: '0',
      STRIPE_SANDBOX_PORT: '0',
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collected = { output: '' };
  child.stdout?.on('data', (chunk) => {
    collected.output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    collected.output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, collected, exited };
}

/**
 * The admin key as an operator finds it: the variable they set, or the file the banner names (the
 * banner says where the key is kept, never the key).
 */
function adminKeyOf(environment: Record<string, string>): string {
  if (environment.TOLLGATE_ADMIN_KEY) return environment.TOLLGATE_ADMIN_KEY;
  return readFileSync(path.resolve(environment.DATA_DIR ?? './data', 'admin-key'), 'utf8').trim();
}

/** Runs the built server (`npm run build` first) as a person would, and reads the URL it prints. */
export async function startServerProcess(
  environment: Record<string, string>,
  nodeFlags: readonly string[] = [],
): Promise<ServerProcess> {
  const { child, collected, exited } = spawnServer(environment, nodeFlags);
  const started = await new Promise<{ url: string; adminKey: string } | null>((resolve) => {
    const deadline = setTimeout(() => resolve(null), 60_000);
    const look = () => {
      const url = /Tollgate is running at (\S+)/.exec(collected.output)?.[1];
      if (url) {
        clearTimeout(deadline);
        resolve({ url, adminKey: adminKeyOf(environment) });
      }
    };
    child.stdout?.on('data', look);
    void exited.then(() => {
      clearTimeout(deadline);
      resolve(null);
    });
  });
  if (!started) {
    child.kill('SIGKILL');
    throw new Error(`the server did not start:\n${collected.output}`);
  }
  return {
    child,
    ...started,
    output: () => collected.output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the server expecting it to refuse to start; resolves with its exit code and output. */
export async function runFailingServer(environment: Record<string, string>) {
  const { collected, exited } = spawnServer(environment);
  const code = await exited;
  return { code, output: collected.output };
}
