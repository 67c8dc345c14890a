import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { loggerOptions } from '../../src/logger.js';
import { describeEachDatabase } from '../support/harness.js';

/** A Fastify logger configured as the server's, writing its lines into an array. */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const app = Fastify({ logger: { ...loggerOptions('info'), stream } });
  return { log: app.log, lines };
}

describeEachDatabase('failed queries in the log', (harness) => {
  it('logs a failed query without its SQL parameters or the personal data in them', async () => {
    const email = 'alice.personal@example.com';
    const error = await harness()
      .tollgate.database.db.execute(sql`select ${email}::int as not_a_number`)
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    // The error as thrown carries the parameter (the reason it must not be logged as is).
    expect(String((error as Error).message)).toContain(email);
    const { log, lines } = capturedLogger();
    log.error({ err: error }, 'unhandled error');
    const line = lines.join('\n');
    expect(line).toContain('Failed query: select $1::int as not_a_number');
    expect(line).toContain('params: [redacted]');
    expect(line).not.toContain(email);
  });

  it('leaves out the detail of a database error, which quotes the values of a conflicting row', async () => {
    const db = harness().tollgate.database.db;
    await db.execute(sql`create table logged_errors_people (email text primary key)`);
    const email = 'bob.personal@example.com';
    await db.execute(sql`insert into logged_errors_people values (${email})`);
    const error = await db.execute(sql`insert into logged_errors_people values (${email})`).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(Error);
    const { log, lines } = capturedLogger();
    log.error({ err: error }, 'unhandled error');
    expect(lines.join('\n')).toContain('logged_errors_people_pkey');
    expect(lines.join('\n')).not.toContain(email);
    await db.execute(sql`drop table logged_errors_people`);
  });
});
