import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSecretKey } from './auth/secrets.js';

/**
 * The configured admin key, or one generated on first start and kept in the data directory
 * (mode 0600) so restarts keep working with the key that was printed.
 */
export function resolveAdminKey(
  configured: string | undefined,
  dataDir: string,
): { key: string; source: string; readCommand: string } {
  if (configured)
    return {
      key: configured,
      source: 'the TOLLGATE_ADMIN_KEY variable',
      readCommand: 'echo "$TOLLGATE_ADMIN_KEY"',
    };
  const file = path.join(dataDir, 'admin-key');
  const readCommand = `cat ${JSON.stringify(file)}`;
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), source: `in ${file}`, readCommand };
  mkdirSync(dataDir, { recursive: true });
  const key = generateSecretKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source: `in ${file} (generated now)`, readCommand };
}
