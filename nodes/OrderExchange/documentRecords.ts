import type { ICheckProcessedOptions, IExecuteFunctions } from 'n8n-workflow';

import { hooksOf } from '../shared/executionEnd';
import { NodeRecords } from '../shared/nodeRecords';
import { processWide } from '../shared/processLock';
import type { DocumentLedger } from './importRules';

/**
 * Order Exchange's "already received", durable: the ledger of `ImportMemory` in n8n's processed-data store (the
 * workflow's row of n8n's `processed_data` table, shared by every main, worker and manual run), under the
 * workflow's lock (NodeRecords: a PostgreSQL advisory lock in n8n's database in queue mode). Each memory — a
 * node's own, or a Shared Memory of several Receive nodes — prefixes its values with its name.
 *
 * A run's documents are recorded when its execution has ended (n8n's `workflowExecuteAfter` hook, in the process
 * that ran it): when every node after this one has run and n8n has saved the execution, which is also when a
 * version-2 node deletes or moves its files. A process killed before records nothing, and the mails or files it
 * left behind are received again as new. Until then the values count in this process (`RUNNING`), so that a
 * second run here meanwhile sees them. Where an n8n gives nodes no hooks, they are recorded when the node ends.
 *
 * n8n's store keeps hashes of the values only, so the memory asks it yes/no questions (importRules.ts); the
 * content hash of an earlier version (`previousContentHash`) comes from the node's static data, where it is.
 */

/** the options of every user of the workflow's row: about 10,000 documents (three values each) per workflow */
export const DOCUMENT_RECORD: ICheckProcessedOptions = { mode: 'entries', maxEntries: 30_000 };

/** Values recorded by runs of this process whose execution has not ended (scoped value → how many runs). */
const RUNNING = processWide('documentsAwaitingEnd', () => new Map<string, number>());

function count(values: string[], by: 1 | -1): void {
	for (const value of values) {
		const n = (RUNNING.get(value) ?? 0) + by;
		if (n > 0) RUNNING.set(value, n);
		else RUNNING.delete(value);
	}
}

/** The ledger of the memory `sharedMemory` (a Shared Memory's name), or of the node's own memory. */
export function documentLedger(ctx: IExecuteFunctions, sharedMemory: string | undefined): DocumentLedger {
	const records = NodeRecords.ofWorkflow(ctx, DOCUMENT_RECORD);
	const memory = sharedMemory ? `shared\u0000${sharedMemory}` : `node\u0000${ctx.getNode().id}`;
	const scoped = (values: string[]) => values.map((v) => `${memory}\u0000${v}`);
	const local = (value: string) => `${records.key}\u0000${value}`;
	let empty: Promise<boolean> | undefined;

	const write = async (values: string[], superseded: string[] = []) => {
		await records.locked(async (batch) => {
			for (let start = 0; start < values.length; start += 5_000) await batch.record(values.slice(start, start + 5_000));
			await batch.remove(superseded);
		});
		empty = Promise.resolve(false);
	};

	return {
		async recorded(values) {
			const inStore = scoped(values);
			const found = new Set(values.filter((_, i) => RUNNING.has(local(inStore[i]))));
			// a workflow whose row is empty (its first runs) is not asked value by value
			empty ??= records.count().then((n) => n === 0);
			if (await empty) return found;
			const recorded = await records.locked(async (batch) => await batch.recorded(inStore));
			values.forEach((v, i) => recorded.has(inStore[i]) && found.add(v));
			return found;
		},
		async record(values, superseded) {
			const inStore = scoped(values);
			const running = inStore.map(local);
			count(running, 1);
			const atEnd = async () => {
				try {
					await write(inStore, scoped(superseded));
				} catch (error) {
					// the documents were handed over; the node's static data still knows them
					ctx.logger.error(`${ctx.getNode().name}: the documents received by this run could not be recorded in n8n's database: ${(error as Error).message}`);
				} finally {
					count(running, -1);
				}
			};
			const hooks = hooksOf(ctx);
			if (hooks) hooks.addHandler('workflowExecuteAfter', atEnd);
			else await atEnd();
		},
		async carryOver(values) {
			await write(scoped(values));
		},
	};
}
