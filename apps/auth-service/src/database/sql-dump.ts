import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { DataSource } from 'typeorm';

/**
 * Writes the data of every table (not the schema: the target gets that from the same migrations)
 * as a SQL script that `psql` loads into an empty PostgreSQL 14+ database. Values are written as
 * PostgreSQL itself prints them (`::text`, UTC, ISO dates) inside COPY blocks, so nothing passes
 * through JavaScript types: microseconds of timestamps, jsonb and bytea (the log chain's MACs) come
 * out exactly as stored, and COPY's text format reads the same in every version since 8.x.
 */
export async function writeSqlDump(dataSource: DataSource, out: Writable): Promise<Record<string, number>> {
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction('REPEATABLE READ');
    await runner.query(`SET LOCAL TimeZone = 'UTC'`);
    await runner.query(`SET LOCAL DateStyle = 'ISO, YMD'`);
    await runner.query(`SET LOCAL extra_float_digits = 3`);
    const migrations: { name: string }[] = await runner.query(`SELECT name FROM migrations ORDER BY name COLLATE "C"`);
    const tables = await tablesInLoadOrder(runner.query.bind(runner));
    await write(header(migrations.map((m) => m.name), tables.map((t) => t.name)));
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const columns = table.columns.map(quoteIdent).join(', ');
      await write(`COPY ${quoteIdent(table.name)} (${columns}) FROM stdin;\n`);
      await runner.query(`DECLARE dump_rows NO SCROLL CURSOR FOR SELECT ${table.columns.map((c) => `${quoteIdent(c)}::text`).join(', ')} FROM ${quoteIdent(table.name)}`);
      let count = 0;
      for (;;) {
        const rows: Record<string, string | null>[] = await runner.query(`FETCH 500 FROM dump_rows`);
        if (rows.length === 0) break;
        await write(rows.map((row) => table.columns.map((c) => copyText(row[c])).join('\t') + '\n').join(''));
        count += rows.length;
      }
      await runner.query(`CLOSE dump_rows`);
      await write('\\.\n\n');
      counts[table.name] = count;
    }
    for (const table of tables) for (const column of table.identity) await write(resetSequence(table.name, column));
    await write('COMMIT;\n');
    await runner.commitTransaction();
    return counts;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}

interface TableInfo {
  name: string;
  columns: string[];
  /** Columns fed by a sequence (identity or serial): set past the loaded rows. */
  identity: string[];
}

type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Every table of the schema but `migrations`, referenced tables before the tables that reference them. */
async function tablesInLoadOrder(query: Query): Promise<TableInfo[]> {
  const columns = (await query(`
    SELECT c.relname AS table, a.attname AS column, a.attidentity <> '' OR pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL AS sequenced
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
    WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> 'migrations'
      AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
    ORDER BY c.relname, a.attnum`)) as { table: string; column: string; sequenced: boolean }[];
  const references = (await query(`
    SELECT c.relname AS table, r.relname AS referenced
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE k.contype = 'f' AND n.nspname = current_schema() AND c.relname <> r.relname`)) as { table: string; referenced: string }[];
  const tables = new Map<string, TableInfo>();
  for (const row of columns) {
    const table = tables.get(row.table) ?? { name: row.table, columns: [], identity: [] };
    table.columns.push(row.column);
    if (row.sequenced) table.identity.push(row.column);
    tables.set(row.table, table);
  }
  const ordered: TableInfo[] = [];
  const placed = new Set<string>();
  const place = (name: string, path: string[]) => {
    if (placed.has(name)) return;
    if (path.includes(name)) throw new Error(`Foreign keys form a cycle: ${[...path, name].join(' → ')}`);
    for (const ref of references.filter((r) => r.table === name)) place(ref.referenced, [...path, name]);
    placed.add(name);
    const table = tables.get(name);
    if (table) ordered.push(table);
  };
  for (const name of [...tables.keys()].sort()) place(name, []);
  return ordered;
}

function header(migrations: string[], tables: string[]): string {
  const list = migrations.map((m) => `'${m.replace(/'/g, "''")}'`).join(', ');
  const empty = tables.map((t) => `(SELECT count(*) FROM ${quoteIdent(t)})`).join(' + ');
  return `-- Tessera data, written by \`npm run db:dump\` at ${new Date().toISOString()}.
-- Load it into an empty PostgreSQL (14 or newer) database whose schema was created by the same
-- version's migrations (\`DATABASE_URL=… npm run migration:run\`), with:
--   psql -v ON_ERROR_STOP=1 -f THIS_FILE "$DATABASE_URL"
-- It runs in one transaction: on any error, nothing is loaded.
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
BEGIN;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';
DO $check$
BEGIN
  IF (SELECT coalesce(array_agg(name::text ORDER BY name COLLATE "C"), '{}') FROM migrations) IS DISTINCT FROM ARRAY[${list}]::text[] THEN
    RAISE EXCEPTION 'The target schema is not at the dumped version: run the migrations of the same Tessera version first (npm run migration:run)';
  END IF;
  IF ${empty || '0'} > 0 THEN
    RAISE EXCEPTION 'The target database is not empty: load a Tessera dump only into a database that has the schema and no rows (do not start the service on it first)';
  END IF;
END
$check$;

`;
}

function resetSequence(table: string, column: string): string {
  const t = quoteIdent(table);
  const c = quoteIdent(column);
  const literal = `'${t.replace(/'/g, "''")}'`;
  return `SELECT setval(pg_get_serial_sequence(${literal}, '${column.replace(/'/g, "''")}'), coalesce((SELECT max(${c}) FROM ${t}), 1), (SELECT max(${c}) FROM ${t}) IS NOT NULL);\n`;
}

/** COPY's text format: \N for null; backslash, tab, newline and carriage return escaped. */
function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
