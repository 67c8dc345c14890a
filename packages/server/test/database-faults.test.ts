import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { databaseFaultOf } from '../src/db/database-faults.js';

/** An error as node-postgres raises it for a SQLSTATE, wrapped as drizzle wraps it. */
const wrapped = (code: string) =>
  Object.assign(new Error('Failed query: …'), { cause: Object.assign(new Error('db'), { code }) });

describe('database faults', () => {
  it('maps a statement timeout to database_timeout, a full disk to database_disk_full and an unavailable database to database_unavailable', () => {
    expect(databaseFaultOf(wrapped('57014'))?.code).toBe('database_timeout');
    expect(databaseFaultOf(wrapped('53100'))).toMatchObject({ code: 'database_disk_full', statusCode: 503 });
    for (const code of ['57P01', '57P03', '08006', '53200', '53300']) {
      expect(databaseFaultOf(wrapped(code)), code).toMatchObject({
        code: 'database_unavailable',
        statusCode: 503,
      });
    }
    expect(
      databaseFaultOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))?.code,
    ).toBe('database_unavailable');
    expect(databaseFaultOf(new Error('Connection terminated unexpectedly'))?.code).toBe(
      'database_unavailable',
    );
  });

  it('leaves the request’s own faults and our bugs alone', () => {
    for (const code of ['23505', '22P02', '40001', '42601'])
      expect(databaseFaultOf(wrapped(code)), code).toBeUndefined();
    expect(databaseFaultOf(new TypeError('x is undefined'))).toBeUndefined();
  });

  it('reads the timeouts from the environment, with defaults', () => {
    expect(loadConfig({})).toMatchObject({
      databaseConnectTimeoutMs: 5_000,
      databaseStatementTimeoutMs: 15_000,
    });
    expect(
      loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '1500', DATABASE_STATEMENT_TIMEOUT_MS: '2500' }),
    ).toMatchObject({ databaseConnectTimeoutMs: 1_500, databaseStatementTimeoutMs: 2_500 });
    expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '10' })).toThrow(
      /DATABASE_STATEMENT_TIMEOUT_MS/,
    );
  });
});
