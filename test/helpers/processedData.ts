/**
 * n8n's own processed-data store for the engine tests: the n8n server's `DeduplicationHelper` (the manager the
 * n8n server gives n8n-core's `DataDeduplicationService`) over n8n's `processed_data` table in a real database —
 * SQLite in the runner's N8N_USER_FOLDER, migrated by n8n itself (or the database n8n's DB_* variables name).
 * Nothing is imitated: the nodes' `this.helpers.checkProcessedAndRecord` calls run n8n's code and SQL, with its
 * read-modify-write behaviour under concurrency. n8n's part runs in a child process (processedDataServer.js):
 * its database driver cannot be loaded inside jest's sandbox.
 *
 * It comes from the real n8n server installed in scripts/n8n-server (scripts/n8n-server.sh install; `npm test`
 * does it), and is started on first use only (about 10-20 s): test files that never use it pay nothing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { DataDeduplicationService } from 'n8n-core';
import type { ICheckProcessedContextData, IDataDeduplicator } from 'n8n-workflow';

type Method = keyof IDataDeduplicator;

interface Store {
	child: ChildProcess;
	pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
}

let store: Promise<Store> | undefined;
let nextId = 0;

/**
 * The project's test/helpers (processedDataServer.js is plain JavaScript, next to this file in the project), also
 * when this file runs compiled under .cache/<dir>/ as the benchmarks do: the nearest folder up with scripts/n8n-server.sh.
 */
function helpersDir(): string {
	for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
		if (existsSync(path.join(dir, 'scripts', 'n8n-server.sh'))) return path.join(dir, 'test', 'helpers');
	}
	return __dirname;
}

function start(): Promise<Store> {
	return new Promise((resolve, reject) => {
		const child = fork(path.join(helpersDir(), 'processedDataServer.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: process.env });
		const pending: Store['pending'] = new Map();
		child.on('message', (message: { ready?: boolean; error?: string; id?: number; result?: unknown }) => {
			if (message.ready !== undefined) {
				if (message.ready) resolve({ child, pending });
				else reject(new Error(`n8n's processed-data store did not start (is the n8n server installed? bash scripts/n8n-server.sh install): ${message.error}`));
				return;
			}
			const waiting = pending.get(message.id!);
			pending.delete(message.id!);
			if (message.error !== undefined) waiting?.reject(new Error(message.error));
			else waiting?.resolve(message.result);
		});
		// a store process that ends (n8n's code crashed) fails the calls waiting for it, instead of leaving them
		// unanswered; the next call starts a new one
		child.on('exit', (code, signal) => {
			const error = new Error(`n8n's processed-data store stopped (exit code ${code}${signal ? `, ${signal}` : ''})`);
			reject(error);
			for (const waiting of pending.values()) waiting.reject(error);
			pending.clear();
			store = undefined;
		});
		// the tests' end is not held up by it
		child.unref();
		(child.channel as { unref?: () => void } | undefined)?.unref?.();
	});
}

/** What n8n's helper needs of the context: the workflow's id and the node's id (no engine objects cross). */
function plain(contextData: ICheckProcessedContextData): ICheckProcessedContextData {
	return {
		workflow: { id: contextData.workflow.id, active: contextData.workflow.active },
		...(contextData.node ? { node: { id: contextData.node.id } as ICheckProcessedContextData['node'] } : {}),
	};
}

/** How many calls of each kind reached n8n's store from this test process (for tests that count round trips). */
export const processedDataCalls: Partial<Record<Method, number>> = {};

/** How many calls so far wrote n8n's store (record, remove): a test or bench counts the difference. */
export const processedDataWrites = (): number =>
	(processedDataCalls.checkProcessedAndRecord ?? 0) + (processedDataCalls.removeProcessed ?? 0);

async function call<T>(method: Method, args: unknown[]): Promise<T> {
	processedDataCalls[method] = (processedDataCalls[method] ?? 0) + 1;
	store ??= start();
	const { child, pending } = await store;
	const id = ++nextId;
	return await new Promise<T>((resolve, reject) => {
		pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
		child.send({ id, method, args });
	});
}

/** n8n's manager, reached in its own process. */
const manager: IDataDeduplicator = {
	checkProcessedAndRecord: async (items, scope, contextData, options) => await call('checkProcessedAndRecord', [items, scope, plain(contextData), options]),
	removeProcessed: async (items, scope, contextData, options) => await call('removeProcessed', [items, scope, plain(contextData), options]),
	clearAllProcessedItems: async (scope, contextData, options) => await call('clearAllProcessedItems', [scope, plain(contextData), options]),
	getProcessedDataCount: async (scope, contextData, options) => await call('getProcessedDataCount', [scope, plain(contextData), options]),
};

let installed = false;

/** Gives n8n-core's DataDeduplicationService n8n's manager (once per test process). */
export function installN8nProcessedDataStore(): void {
	if (installed) return;
	installed = true;
	void DataDeduplicationService.init(manager);
}
