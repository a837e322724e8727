/**
 * Locks every process of one n8n installation sees: PostgreSQL advisory locks in n8n's own database, reached
 * with the connection settings n8n itself reads (its `DB_*` variables, also as `*_FILE`). Queue mode needs
 * PostgreSQL, so every main and worker has them; nothing is written to n8n's tables. With SQLite (n8n's default,
 * one process) the locks are this process's own, which is all there is.
 *
 * - `section(key, work)`: `work` runs while no other process (and no other call in this process) runs a
 *   section of the same key — a session advisory lock on a connection of its own, given back when `work` ends.
 * - `lease(key)`: held until released, by this process's lease connection; `tryLease` fails while any other
 *   process holds it. A holder that dies (SIGKILL, lost machine) loses its leases with its connection: PostgreSQL
 *   ends the session and frees them. `holdsLease` says whether the lease connection that took it still lives,
 *   `confirmLease` asks PostgreSQL. `tryLeases`, `confirmLeases`, `releaseLeases`: many keys in one round trip.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Client, Pool, type ClientConfig, type PoolClient, type QueryResultRow } from 'pg';

/** how long a section waits for another process's section of the same key before it fails */
const LOCK_WAIT_MS = 120_000;

/** One of n8n's settings: the variable `name`, or the file `name_FILE` names (n8n reads both). */
export function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
	const file = env[`${name}_FILE`];
	if (file) return readFileSync(file, 'utf8').trim();
	return env[name];
}

/** n8n's PostgreSQL as its `DB_POSTGRESDB_*` variables name it (n8n's defaults); undefined when n8n runs on SQLite. */
export function n8nPostgresConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig | undefined {
	if (setting(env, 'DB_TYPE') !== 'postgresdb') return undefined;
	const ssl = setting(env, 'DB_POSTGRESDB_SSL_ENABLED') === 'true' || !!setting(env, 'DB_POSTGRESDB_SSL_CA');
	return {
		host: setting(env, 'DB_POSTGRESDB_HOST') || 'localhost',
		port: Number(setting(env, 'DB_POSTGRESDB_PORT') || 5432),
		database: setting(env, 'DB_POSTGRESDB_DATABASE') || 'n8n',
		user: setting(env, 'DB_POSTGRESDB_USER') || 'postgres',
		password: setting(env, 'DB_POSTGRESDB_PASSWORD') ?? '',
		keepAlive: true,
		connectionTimeoutMillis: 20_000,
		application_name: 'n8n-nodes-backoffice lock',
		...(ssl
			? {
					ssl: {
						ca: setting(env, 'DB_POSTGRESDB_SSL_CA') || undefined,
						cert: setting(env, 'DB_POSTGRESDB_SSL_CERT') || undefined,
						key: setting(env, 'DB_POSTGRESDB_SSL_KEY') || undefined,
						rejectUnauthorized: setting(env, 'DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED') !== 'false',
					},
				}
			: {}),
	};
}

/** The two 32-bit keys of a PostgreSQL advisory lock: the first 8 bytes of the SHA-256 of `key`. */
function lockKeys(key: string): [number, number] {
	const hash = createHash('sha256').update(`n8n-nodes-backoffice\u0000${key}`).digest();
	return [hash.readInt32BE(0), hash.readInt32BE(4)];
}

/** The error of a lock call, naming what failed; keeps PostgreSQL's or the socket's error code (`code`). */
function lockError(what: string, error: unknown): Error {
	const reason = error instanceof Error ? error.message : String(error);
	const code = (error as { code?: unknown } | undefined)?.code;
	return Object.assign(new Error(`${what} in n8n's PostgreSQL database failed: ${reason}`), typeof code === 'string' ? { code } : {});
}

/**
 * A connection to PostgreSQL that broke, was refused, or reached a server that is starting or recovering; or n8n
 * rebuilding its own connections after such a fault (its store answers "Driver not Connected" meanwhile, ~15 s).
 */
export function databaseUnreachable(error: unknown): boolean {
	const cause = (error as { driverError?: unknown })?.driverError ?? error;
	const code = String((cause as { code?: unknown })?.code ?? '');
	const message = error instanceof Error ? error.message : String(error);
	return (
		/^(57P0[1-3]|08\d\d\d|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)$/.test(code) ||
		/Connection terminated|connection (was )?(closed|ended|lost|refused)|ECONNREFUSED|ECONNRESET|not queryable|starting up|not yet accepting connections|recovery mode|shutting down|Driver not Connected/i.test(message)
	);
}

/** This process's calls per key, one after another. */
const local = new Map<string, Promise<unknown>>();

async function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
	const mine = (local.get(key) ?? Promise.resolve()).then(work, work);
	const settled = mine.catch(() => undefined);
	local.set(key, settled);
	try {
		return await mine;
	} finally {
		if (local.get(key) === settled) local.delete(key);
	}
}

let pool: Pool | undefined;
/** the lease connection and its generation (a new one after a lost connection) */
let leaseClient: Promise<Client> | undefined;
let generation = 0;
/** leases this process holds: key → generation of the connection that took it */
const leases = new Map<string, number>();

/** This process's connections to n8n's PostgreSQL (n8n runs on PostgreSQL: `n8nPostgresConfig()` is set). */
function n8nPool(): Pool {
	if (!pool) {
		pool = new Pool({ ...n8nPostgresConfig(), max: 4, idleTimeoutMillis: 10_000, allowExitOnIdle: true, options: `-c lock_timeout=${LOCK_WAIT_MS}` });
		// an idle pooled connection that breaks (the server restarted) is dropped by the pool, not thrown here
		pool.on('error', () => undefined);
		pool.on('connect', (client) => client.on('error', () => undefined));
	}
	return pool;
}

/** the connection of the section the current call runs in (`open` until the section ends: a continuation that outlives it uses the pool) */
const inSection = new AsyncLocalStorage<{ client: PoolClient; open: boolean }>();

/**
 * A query in n8n's PostgreSQL: on the connection of the section it is made in (a section waits for nothing
 * else of the pool), else on one of the pool's.
 */
export async function n8nQuery<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
	const current = inSection.getStore();
	return (current?.open ? await current.client.query<R>(text, values) : await n8nPool().query<R>(text, values)).rows;
}

/** Runs `work` while no other process or call holds the section `key`. */
export async function section<T>(key: string, work: () => Promise<T>): Promise<T> {
	return await inTurn(key, async () => {
		if (!n8nPostgresConfig()) return await work();
		const [a, b] = lockKeys(`section\u0000${key}`);
		const client = await n8nPool().connect().catch((error: unknown) => {
			throw lockError('Connecting for a lock', error);
		});
		// a connection that may still hold the lock is closed, which frees it
		let holding = false;
		try {
			await client.query('SELECT pg_advisory_lock($1, $2)', [a, b]).catch((error: unknown) => {
				throw lockError(`Waiting up to ${LOCK_WAIT_MS / 1000} s for a lock`, error);
			});
			holding = true;
			const current = { client, open: true };
			const result = await inSection.run(current, work).finally(() => (current.open = false));
			await client.query('SELECT pg_advisory_unlock($1, $2)', [a, b]);
			holding = false;
			return result;
		} finally {
			client.release(holding);
		}
	});
}

async function leaseConnection(config: ClientConfig): Promise<Client> {
	leaseClient ??= (async () => {
		const client = new Client(config);
		const mine = ++generation;
		client.on('error', () => {
			if (generation === mine) leaseClient = undefined;
		});
		client.on('end', () => {
			if (generation === mine) leaseClient = undefined;
		});
		try {
			await client.connect();
			// the lease connection alone does not keep a process running
			(client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
		} catch (error) {
			leaseClient = undefined;
			throw lockError('Connecting for a lease', error);
		}
		return client;
	})();
	return await leaseClient;
}

/** A query on the lease connection, after the ones before it (the connection runs one at a time). */
let leaseQueue: Promise<unknown> = Promise.resolve();
async function onLeaseConnection<R extends object>(client: Client, text: string, values: unknown[]): Promise<R[]> {
	const mine = leaseQueue.then(async () => (await client.query<R>(text, values)).rows);
	leaseQueue = mine.catch(() => undefined);
	return await mine;
}

/** Takes the lease `key` unless another process (or another call here) holds it. */
export async function tryLease(key: string): Promise<boolean> {
	return (await tryLeases([key])).has(key);
}

/**
 * Takes each of the leases `keys` that no other process (or other call here) holds, all in one round trip to
 * PostgreSQL; returns the keys taken.
 */
export async function tryLeases(keys: string[]): Promise<Set<string>> {
	// a lease this process lost with its lease connection is nobody's here: it may be taken again
	const wanted = [...new Set(keys)].filter((key) => !holdsLease(key));
	const taken = new Set<string>();
	if (!wanted.length) return taken;
	const config = n8nPostgresConfig();
	if (!config) {
		for (const key of wanted) leases.set(key, 0);
		return new Set(wanted);
	}
	const client = await leaseConnection(config);
	const [as, bs] = leaseKeyArrays(wanted, false);
	const rows = await onLeaseConnection<{ i: string; taken: boolean }>(
		client,
		'SELECT k.i, pg_try_advisory_lock(k.a, k.b) AS taken FROM unnest($1::int[], $2::int[]) WITH ORDINALITY AS k(a, b, i)',
		[as, bs],
	);
	for (const row of rows) {
		if (!row.taken) continue;
		const key = wanted[Number(row.i) - 1];
		leases.set(key, generation);
		taken.add(key);
	}
	return taken;
}

/** The two key arrays of the leases `keys` (as PostgreSQL's pg_locks shows them: unsigned, when `unsigned`). */
function leaseKeyArrays(keys: string[], unsigned: boolean): [number[], number[]] {
	const pairs = keys.map((key) => lockKeys(`lease\u0000${key}`));
	const sign = (n: number) => (unsigned ? n >>> 0 : n);
	return [pairs.map(([a]) => sign(a)), pairs.map(([, b]) => sign(b))];
}

/** Whether this process still holds the lease `key` (its lease connection was not lost since it was taken). */
export function holdsLease(key: string): boolean {
	const taken = leases.get(key);
	if (taken === undefined) return false;
	return taken === 0 || (taken === generation && leaseClient !== undefined);
}

/**
 * Whether this process holds the lease `key` right now, asked of PostgreSQL (a lease connection lost without
 * this process noticing yet has lost its leases): the last check before an act only the holder may do.
 */
export async function confirmLease(key: string): Promise<boolean> {
	return (await confirmLeases([key])).has(key);
}

/** Of the leases `keys`, those this process holds right now, asked of PostgreSQL in one round trip. */
export async function confirmLeases(keys: string[]): Promise<Set<string>> {
	const mine = [...new Set(keys)].filter(holdsLease);
	const local = mine.filter((key) => leases.get(key) === 0);
	const remote = mine.filter((key) => leases.get(key) !== 0);
	const held = new Set(local);
	if (!remote.length) return held;
	const [as, bs] = leaseKeyArrays(remote, true);
	try {
		const rows = await onLeaseConnection<{ i: string }>(
			await leaseClient!,
			"SELECT k.i FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k(a, b, i) WHERE EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted AND l.classid::bigint = k.a AND l.objid::bigint = k.b AND l.objsubid = 2)",
			[as, bs],
		);
		for (const row of rows) held.add(remote[Number(row.i) - 1]);
	} catch {
		// the lease connection is gone: none of them is held
	}
	return held;
}

/** Gives the lease back (nothing when this process does not hold it). */
export async function releaseLease(key: string): Promise<void> {
	await releaseLeases([key]);
}

/** Gives the leases `keys` back in one round trip (those this process does not hold are passed over). */
export async function releaseLeases(keys: string[]): Promise<void> {
	const remote: string[] = [];
	for (const key of new Set(keys)) {
		const taken = leases.get(key);
		if (taken === undefined) continue;
		leases.delete(key);
		if (taken && taken === generation && leaseClient) remote.push(key);
	}
	if (!remote.length || !leaseClient) return;
	const [as, bs] = leaseKeyArrays(remote, false);
	await onLeaseConnection(await leaseClient, 'SELECT pg_advisory_unlock(k.a, k.b) FROM unnest($1::int[], $2::int[]) AS k(a, b)', [as, bs]).catch(
		() => undefined,
	);
}
