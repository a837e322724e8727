/**
 * n8n's database on PostgreSQL for tests across processes, as queue mode runs it: the PostgreSQL of
 * scripts/queue-servers.sh (started when it is not running; globalTeardown stops it), a fresh database per test
 * file, migrated by n8n itself, and n8n's DB_* variables set in this process — so that n8n's processed-data store
 * (test/helpers/processedData.ts) and the nodes' advisory locks use it, and every process forked afterwards does too.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { DataDeduplicationService } from 'n8n-core';
import type { INode } from 'n8n-workflow';

import { installN8nProcessedDataStore } from './processedData';

const QUEUE_SCRIPT = path.join(__dirname, '../../scripts/queue-servers.sh');
const queueServers = (args: string[]) => execFileSync('bash', [QUEUE_SCRIPT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Sets up the database `name` and n8n's DB_* variables; returns what puts the variables back. */
export async function useN8nPostgres(name: string): Promise<() => void> {
	try {
		queueServers(['status']);
	} catch {
		queueServers(['start']);
	}
	queueServers(['createdb', name]);
	const dir = process.env.BO_QUEUE_DIR ?? `${(process.env.BACKOFFICE_SERVERS_DIR ?? '/tmp/bo-srv').replace(/\/$/, '')}-queue`;
	const { host, postgres } = JSON.parse(readFileSync(path.join(dir, 'env.json'), 'utf8')) as { host: string; postgres: { port: number; user: string; password: string } };
	const env: Record<string, string> = {
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: host,
		DB_POSTGRESDB_PORT: String(postgres.port),
		DB_POSTGRESDB_USER: postgres.user,
		DB_POSTGRESDB_PASSWORD: postgres.password,
		DB_POSTGRESDB_DATABASE: name,
	};
	const saved: NodeJS.ProcessEnv = {};
	for (const [variable, value] of Object.entries(env)) {
		saved[variable] = process.env[variable];
		process.env[variable] = value;
	}
	installN8nProcessedDataStore();
	// n8n migrates the fresh database once, here, before several processes open it
	const context = { workflow: { id: `migrate-${name}`, active: false }, node: { id: 'n1' } as INode };
	await DataDeduplicationService.getInstance().getProcessedDataCount('node', context, { mode: 'entries' });
	return () => {
		for (const [variable, value] of Object.entries(saved)) {
			if (value === undefined) delete process.env[variable];
			else process.env[variable] = value;
		}
	};
}
