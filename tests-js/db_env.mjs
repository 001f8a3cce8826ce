// Where the database tests find their servers: Postgres at FANIO_PG_URL (default the
// local test database), SQLite files in a fresh temp dir. Postgres tests skip with a
// printed reason when it is unreachable, except under CI=true, where they fail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { connect } from '../bindings-node/index.mjs';

export const PG_URL = process.env.FANIO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why Postgres tests skip (a string), or false when Postgres answers. */
export const pgSkip = await (async () => {
  try {
    const db = await connect(PG_URL, { acquireTimeout: 3000, maxConnections: 1 });
    await db.close();
    return false;
  } catch (e) {
    if (process.env.CI === 'true')
      throw new Error(`CI=true and Postgres is unreachable at ${PG_URL}: ${e.code} ${e.message}`);
    const reason = `Postgres unreachable at ${PG_URL} (${e.code}): Postgres tests skipped`;
    console.log(`# ${reason}`);
    return reason;
  }
})();

const dir = mkdtempSync(join(tmpdir(), 'fanio-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A fresh SQLite file URL in the temp dir. */
export const sqliteUrl = () => `sqlite://${join(dir, `t${++files}.db`)}`;

let names = 0;
/** A table name no other run uses. */
export const unique = (base) => `${base}_${process.pid}_${++names}`;
