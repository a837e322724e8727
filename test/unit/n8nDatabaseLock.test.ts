/**
 * The connection settings of the cross-process lock (nodes/shared/transports/n8nDatabaseLock.ts): n8n's own
 * DB_* variables, read the way n8n reads them (`*_FILE` first), and no PostgreSQL at all when n8n runs on SQLite.
 * The lock itself is tested against PostgreSQL in test/integration/invoiceBulkMailerQueue.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { n8nPostgresConfig, section, tryLease, releaseLease, holdsLease } from '../../nodes/shared/transports/n8nDatabaseLock';

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
