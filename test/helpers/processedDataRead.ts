/**
 * The read of n8n's processed-data store (nodes/shared/transports/n8nProcessedData.ts) against n8n's own answers:
 * values recorded and removed with n8n's DeduplicationHelper (the real one, processedData.ts), then read back
 * without n8n. Shared by the SQLite and the PostgreSQL test file (n8n's store serves one database per process).
 */
import { randomUUID } from 'node:crypto';

import { DataDeduplicationService } from 'n8n-core';
import type { ICheckProcessedContextData, ICheckProcessedOptions, INode } from 'n8n-workflow';

import { nodeRow, processedIn, workflowRow } from '../../nodes/shared/transports/n8nProcessedData';

const ENTRIES: ICheckProcessedOptions = { mode: 'entries', maxEntries: 1_000 };

export function itReadsWhatN8nRecorded(database: string): void {
	it(`reads the values n8n's store holds, as n8n itself answers (${database})`, async () => {
		const store = DataDeduplicationService.getInstance();
		const workflowId = randomUUID();
		const node: ICheckProcessedContextData = { workflow: { id: workflowId, active: false }, node: { id: 'node-a' } as INode };
		const other: ICheckProcessedContextData = { ...node, node: { id: 'node-b' } as INode };
		const workflow: ICheckProcessedContextData = { workflow: node.workflow };
		const values = ['claim\u0000RE-2026-0001', 'pending\u0000RE-2026-0001', 'import\u0000/in/kontoauszug-äöü.xml\u00006312\u0000ab12', 'x'.repeat(5_000), '42'];

		// no row yet (n8n's database may not be open yet either: asked once through n8n's store, as a node does)
		const wake = async () => await store.getProcessedDataCount('node', node, ENTRIES);
		expect(await processedIn(nodeRow(workflowId, 'node-a'), values, wake)).toEqual(new Set());

		await store.checkProcessedAndRecord(values.slice(0, 3), 'node', node, ENTRIES);
		await store.checkProcessedAndRecord([values[3]], 'node', other, ENTRIES);
		await store.checkProcessedAndRecord([values[4]], 'workflow', workflow, ENTRIES);
		expect(await processedIn(nodeRow(workflowId, 'node-a'), values)).toEqual(new Set(values.slice(0, 3)));
		expect(await processedIn(nodeRow(workflowId, 'node-b'), values)).toEqual(new Set([values[3]]));
		expect(await processedIn(workflowRow(workflowId), values)).toEqual(new Set([values[4]]));

		await store.removeProcessed([values[1]], 'node', node, ENTRIES);
		const read = await processedIn(nodeRow(workflowId, 'node-a'), values);
		expect(read).toEqual(new Set([values[0], values[2]]));
		// n8n's own answer for the same values (which records the rest: asked last)
		const { processed } = await store.checkProcessedAndRecord(values, 'node', node, ENTRIES);
		expect(new Set(processed.map(String))).toEqual(read);
	});

	it(`refuses a row n8n keeps in another form instead of guessing (${database})`, async () => {
		const workflowId = randomUUID();
		const node: ICheckProcessedContextData = { workflow: { id: workflowId, active: false }, node: { id: 'latest' } as INode };
		await DataDeduplicationService.getInstance().checkProcessedAndRecord([7], 'node', node, { mode: 'latestIncrementalKey' });
		await expect(processedIn(nodeRow(workflowId, 'latest'), ['7'])).rejects.toThrow(/has a form this node does not know/);
	});
}
