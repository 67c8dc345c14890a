import { Catalog, demoCatalog } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { createTollgate } from '../packages/server/dist/tollgate.js';
import { scratchDatabase } from './lib/server.mjs';
const database = await scratchDatabase('postgres://postgres@127.0.0.1:5432/postgres');
const t = await createTollgate({ databaseUrl: database.url, catalog: Catalog.from(demoCatalog), adminKey: 'tg_sk_x_0123456789abcdef0123456789' });
const db = t.database.db;
await db.execute(sql`insert into organizations (id, name, created_at, updated_at) select 'org_' || i, 'x', now(), now() from generate_series(1, 5000) i`);
await db.execute(sql`analyze`);
const input = JSON.stringify([{ i: 0, o: 'org_1', f: 'api_calls', t: new Date().toISOString() }]);
const plan = await db.execute(sql.raw(`explain select r.i, o.id, c.used from json_to_recordset('${input}'::json) as r(i integer, o text, f text, t timestamptz)
  cross join lateral (select id, trial_organization from organizations where id = r.o offset 0) o
  left join lateral (select period_start, used from usage_counters where organization_id = o.id and feature = r.f and project_id = '' and period_start <= r.t and period_end > r.t offset 0) c on true`));
console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
await t.close(); await database.drop();
