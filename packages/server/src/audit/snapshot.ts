/**
 * The audit log stores API-shaped snapshots: snake_case keys and ISO dates, the same vocabulary the
 * API speaks, whichever row or object a service hands in.
 */
export function auditSnapshot(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(auditSnapshot);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, entry]) => [
        key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
        // Metadata keys belong to the host app and are kept as written.
        key === 'metadata' ? entry : auditSnapshot(entry),
      ]),
    );
  }
  return value;
}
