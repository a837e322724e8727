/**
 * Which values a row of n8n's processed-data store holds, read without writing. n8n's helpers for nodes
 * (`checkProcessedAndRecord` and family) have no look-up alone: asking by recording the values and removing the
 * new ones again leaves them recorded when the process dies between the two calls — a false "already imported"
 * or "still pending". This module reads the row itself, read-only, from n8n's own database:
 *
 * - PostgreSQL (queue mode): a `SELECT` over n8nDatabaseLock.ts's connections (n8n's `DB_POSTGRESDB_*`), inside
 *   a section on the section's own;
 * - SQLite (n8n's default, one process): Node's built-in `node:sqlite`, a read-only connection to n8n's
 *   database file (`<N8N_USER_FOLDER or HOME>/.n8n/<DB_SQLITE_DATABASE>`; n8n writes it in WAL mode, so reading
 *   never blocks n8n and sees every committed write).
 *
 * The row, as n8n 2.x keeps it (n8n's DeduplicationHelper): table `processed_data` (with `DB_TABLE_PREFIX`,
 * in `DB_POSTGRESDB_SCHEMA`), key `workflowId` + `context` (`n:<node id>` for a node's row, '' for the
 * workflow's), `value` the JSON text `{"mode":"entries","data":[...]}` whose entries are each value's MD5 in
 * base64. A row of another shape is refused with an error, never guessed at; test/integration/processedDataRead
 * checks the read against n8n's own answers, so an n8n that changes the layout fails there first.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { n8nPostgresConfig, n8nQuery, setting } from './n8nDatabaseLock';

/** One row of n8n's processed-data store: a workflow's, or one node's of it. */
export interface ProcessedRow {
	workflowId: string;
	/** n8n's context: `n:<node id>` for a node's row, '' for the workflow's */
	context: string;
}

export const nodeRow = (workflowId: string, nodeId: string): ProcessedRow => ({ workflowId, context: `n:${nodeId}` });
export const workflowRow = (workflowId: string): ProcessedRow => ({ workflowId, context: '' });

const valueHash = (value: string) => createHash('md5').update(value).digest('base64');

/** An SQL identifier, quoted. */
const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

function tableName(env: NodeJS.ProcessEnv): string {
	return `${setting(env, 'DB_TABLE_PREFIX') ?? ''}processed_data`;
}

/** The entries of a row's value (each a value's MD5 in base64); a value of another form than n8n's `entries` mode is an error. */
function entriesOf(row: ProcessedRow, value: unknown): unknown[] {
	const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
	const data = (parsed as { mode?: unknown; data?: unknown } | null)?.data;
	if ((parsed as { mode?: unknown } | null)?.mode !== 'entries' || !Array.isArray(data)) {
		throw new Error(`n8n's processed-data record of workflow ${row.workflowId} (${row.context || 'workflow'}) has a form this node does not know; it was not read`);
	}
	return data;
}

/** Which of `values` a row's value holds. */
function heldIn(row: ProcessedRow, value: unknown, values: string[]): Set<string> {
	// one pass over the row (up to n8n's maxEntries), no set of the whole row
	const asked = new Map<string, string[]>();
	for (const v of values) {
		const hash = valueHash(v);
		asked.set(hash, [...(asked.get(hash) ?? []), v]);
	}
	const held = new Set<string>();
	for (const entry of entriesOf(row, value)) for (const v of asked.get(String(entry)) ?? []) held.add(v);
	return held;
}

/** The error of a read, naming what failed; keeps the database's error code (`code`). */
function readError(what: string, error: unknown): Error {
	const code = (error as { code?: unknown } | undefined)?.code;
	return Object.assign(new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`), typeof code === 'string' ? { code } : {});
}

interface SqliteDatabase {
	prepare(sql: string): { get(...params: string[]): { value?: unknown } | undefined };
}
interface SqliteModule {
	DatabaseSync: new (file: string, options: { readOnly: boolean; timeout: number }) => SqliteDatabase;
}

/** n8n's SQLite database file, as n8n finds it. */
export function n8nSqliteFile(env: NodeJS.ProcessEnv = process.env): string {
	const folder = path.join(env.N8N_USER_FOLDER ?? env.HOME ?? process.cwd(), '.n8n');
	return path.resolve(folder, setting(env, 'DB_SQLITE_DATABASE') || 'database.sqlite');
}

/** read-only connections to SQLite files, one per file for the life of the process */
const sqliteFiles = new Map<string, SqliteDatabase>();

function openSqlite(file: string): SqliteDatabase | undefined {
	// process.getBuiltinModule: also where a bundler or test sandbox does not know `node:sqlite`
	const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as SqliteModule;
	if (!existsSync(file)) return undefined;
	const db = new DatabaseSync(file, { readOnly: true, timeout: 10_000 });
	sqliteFiles.set(file, db);
	return db;
}

/**
 * The row's value from n8n's SQLite file. A file not there yet is asked for once through n8n's store (`wake`, a
 * read: n8n opens and migrates its database on first use — in n8n itself it is there before any node runs).
 */
async function sqliteValue(row: ProcessedRow, wake?: () => Promise<unknown>): Promise<unknown> {
	const file = n8nSqliteFile();
	let db = sqliteFiles.get(file);
	try {
		db ??= openSqlite(file) ?? (await wake?.(), openSqlite(file));
	} catch (error) {
		throw readError(`n8n's database ${file} could not be opened for reading`, error);
	}
	if (!db) throw new Error(`n8n's database was not found at ${file} (N8N_USER_FOLDER, DB_SQLITE_DATABASE); nothing was read`);
	const sql = `SELECT value FROM ${quoted(tableName(process.env))} WHERE "workflowId" = ? AND "context" = ?`;
	return db.prepare(sql).get(row.workflowId, row.context)?.value;
}

async function postgresValue(row: ProcessedRow): Promise<unknown> {
	const schema = setting(process.env, 'DB_POSTGRESDB_SCHEMA') || 'public';
	const sql = `SELECT value FROM ${quoted(schema)}.${quoted(tableName(process.env))} WHERE "workflowId" = $1 AND "context" = $2`;
	return (await n8nQuery<{ value: unknown }>(sql, [row.workflowId, row.context]))[0]?.value;
}

/**
 * Which of `values` the row holds (n8n's store, read only: nothing is written, whatever happens). `wake`: a call
 * of n8n's store for the row (`getProcessedDataCount`), made only when n8n's SQLite file is not there yet.
 */
export async function processedIn(row: ProcessedRow, values: string[], wake?: () => Promise<unknown>): Promise<Set<string>> {
	if (!values.length) return new Set();
	const value = await rowValue(row, wake);
	if (value === undefined || value === null) return new Set();
	return heldIn(row, value, values);
}

async function rowValue(row: ProcessedRow, wake?: () => Promise<unknown>): Promise<unknown> {
	return n8nPostgresConfig() ? await postgresValue(row) : await sqliteValue(row, wake);
}

/**
 * The row as read once, for many look-ups in a row without a read each (memory: one entry per value the row
 * holds — what n8n's own store parses on every call): whether it holds `value`.
 */
export async function processedSnapshot(row: ProcessedRow, wake?: () => Promise<unknown>): Promise<(value: string) => boolean> {
	const value = await rowValue(row, wake);
	const entries = new Set(value === undefined || value === null ? [] : entriesOf(row, value).map(String));
	return (v) => entries.has(valueHash(v));
}
