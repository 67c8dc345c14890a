import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Catalog, demoCatalog } from '@tollgate/core';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config.js';

const DEFAULT_FILES = [
  'tollgate.config.json',
  'tollgate.config.yaml',
  'tollgate.config.yml',
  'tollgate.config.mjs',
  'tollgate.config.js',
];

export type LoadedCatalog = { catalog: Catalog; source: string };

/**
 * Loads the plan catalog from `catalogPath`, else from a tollgate.config.* file in `directory`,
 * else the built-in demo catalog. Throws CatalogError naming each bad field, and ConfigError (one line,
 * no stack: the operator's mistake, not a bug) for a file that is missing or cannot be read.
 */
export async function loadCatalog(
  catalogPath: string | undefined,
  directory: string,
): Promise<LoadedCatalog> {
  const file = catalogPath
    ? path.resolve(directory, catalogPath)
    : DEFAULT_FILES.map((name) => path.join(directory, name)).find((candidate) => existsSync(candidate));
  if (!file) return { catalog: Catalog.from(demoCatalog), source: 'built-in demo catalog' };
  if (!existsSync(file)) throw new ConfigError(`catalog file not found: ${file} (TOLLGATE_CATALOG)`);
  return { catalog: Catalog.parse(await readCatalogFile(file)), source: file };
}

async function readCatalogFile(file: string): Promise<unknown> {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.js' || extension === '.mjs') {
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    return module.default;
  }
  if (extension !== '.json' && extension !== '.yaml' && extension !== '.yml')
    throw new ConfigError(
      `unsupported catalog file type "${extension}": use .json, .yaml, .yml, .js or .mjs`,
    );
  try {
    const text = readFileSync(file, 'utf8');
    return extension === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0];
    throw new ConfigError(`catalog file ${file} cannot be read: ${reason}`);
  }
}
