/**
 * The connection settings of the cross-process lock (nodes/shared/transports/n8nDatabaseLock.ts): n8n's own
 * DB_* variables, read the way n8n reads them (`*_FILE` first), and no PostgreSQL at all when n8n runs on SQLite.
 * The lock itself is tested against PostgreSQL in test/integration/invoiceBulkMailerQueue.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { n8nPostgresConfig, section, tryLease, releaseLease, holdsLease } from '../../nodes/shared/transports/n8nDatabaseLock';
import { n8nSqliteFile } from '../../nodes/shared/transports/n8nProcessedData';

describe("n8n's database for the lock", () => {
	it('is none on SQLite, n8n\'s default (no DB_TYPE, or sqlite)', () => {
		expect(n8nPostgresConfig({})).toBeUndefined();
		expect(n8nPostgresConfig({ DB_TYPE: 'sqlite', DB_POSTGRESDB_HOST: 'db' })).toBeUndefined();
	});

	it("takes n8n's PostgreSQL settings, with n8n's defaults and the password from DB_POSTGRESDB_PASSWORD_FILE", () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'bo-lock-'));
		writeFileSync(path.join(dir, 'pw'), 's3cret\n');
		const config = n8nPostgresConfig({ DB_TYPE: 'postgresdb', DB_POSTGRESDB_PORT: '6543', DB_POSTGRESDB_PASSWORD_FILE: path.join(dir, 'pw') });
		expect(config).toMatchObject({ host: 'localhost', port: 6543, database: 'n8n', user: 'postgres', password: 's3cret' });
		expect(config?.ssl).toBeUndefined();
	});

	it('verifies the server certificate when SSL is on, unless n8n is told not to', () => {
		expect(n8nPostgresConfig({ DB_TYPE: 'postgresdb', DB_POSTGRESDB_SSL_ENABLED: 'true' })?.ssl).toMatchObject({ rejectUnauthorized: true });
		expect(
			n8nPostgresConfig({ DB_TYPE: 'postgresdb', DB_POSTGRESDB_SSL_ENABLED: 'true', DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED: 'false' })?.ssl,
		).toMatchObject({ rejectUnauthorized: false });
	});
});

describe("n8n's SQLite file, read by the nodes' look-ups (n8nProcessedData.ts)", () => {
	it('is where n8n keeps it: .n8n/database.sqlite in N8N_USER_FOLDER, else in HOME; DB_SQLITE_DATABASE (or its _FILE) relative to .n8n', () => {
		expect(n8nSqliteFile({ N8N_USER_FOLDER: '/data', HOME: '/root' })).toBe('/data/.n8n/database.sqlite');
		expect(n8nSqliteFile({ HOME: '/home/node' })).toBe('/home/node/.n8n/database.sqlite');
		expect(n8nSqliteFile({ N8N_USER_FOLDER: '/data', DB_SQLITE_DATABASE: 'other.db' })).toBe('/data/.n8n/other.db');
		expect(n8nSqliteFile({ N8N_USER_FOLDER: '/data', DB_SQLITE_DATABASE: '/srv/n8n.sqlite' })).toBe('/srv/n8n.sqlite');
		const dir = mkdtempSync(path.join(tmpdir(), 'bo-sqlite-'));
		writeFileSync(path.join(dir, 'name'), 'from-file.sqlite\n');
		expect(n8nSqliteFile({ N8N_USER_FOLDER: '/data', DB_SQLITE_DATABASE_FILE: path.join(dir, 'name') })).toBe('/data/.n8n/from-file.sqlite');
	});
});

describe('the lock on SQLite (one process)', () => {
	const env = process.env.DB_TYPE;
	beforeAll(() => delete process.env.DB_TYPE);
	afterAll(() => {
		if (env !== undefined) process.env.DB_TYPE = env;
	});

	it('runs the sections of one key one after another, those of other keys meanwhile', async () => {
		const log: string[] = [];
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		const first = section('k', async () => {
			log.push('first in');
			await gate;
			log.push('first out');
		});
		const second = section('k', async () => void log.push('second'));
		await section('other', async () => void log.push('other'));
		release();
		await Promise.all([first, second]);
		expect(log).toEqual(['first in', 'other', 'first out', 'second']);
	});

	it('gives a lease to one holder until it is released', async () => {
		expect(await tryLease('invoice 1')).toBe(true);
		expect(await tryLease('invoice 1')).toBe(false);
		expect(holdsLease('invoice 1')).toBe(true);
		await releaseLease('invoice 1');
		expect(holdsLease('invoice 1')).toBe(false);
		expect(await tryLease('invoice 1')).toBe(true);
		await releaseLease('invoice 1');
	});
});
