import type { ICheckProcessedOptions, IExecuteFunctions } from 'n8n-workflow';

import { section } from './transports/n8nDatabaseLock';
import { nodeRow, processedIn, workflowRow, type ProcessedRow } from './transports/n8nProcessedData';

/**
 * A node's (or a workflow's) record in n8n's processed-data store (`this.helpers.checkProcessedAndRecord` and family: the
 * `processed_data` table of n8n's database, one row per workflow and node, shared by every main and worker),
 * made atomic. n8n's store reads the row, changes it in memory and writes it back, with no transaction or lock
 * (n8n 2.41); `locked` runs a batch of calls inside a `section` of the workflow and node — a PostgreSQL advisory
 * lock in n8n's own database when n8n runs on PostgreSQL (queue mode), this process's own turn on SQLite — so
 * that a look-up and the record that follows it are one step for every process.
 *
 * The section key is the Invoice Bulk Mailer's (`<workflow id>\0<node id>`, nodes/InvoiceBulkMailer/sentRecords.ts):
 * the mailer's records could move onto this module without changing its lock.
 *
 * Every user of one node's row must pass the same options: n8n trims the row to the `maxEntries` of each call.
 */
/** the store options of every user of a file import node's row (fileRecords.ts, executionEnd.ts) */
export const FILE_RECORD: ICheckProcessedOptions = { mode: 'entries', maxEntries: 20_000 };

export type RecordHelpers = Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed' | 'getProcessedDataCount'>;

export interface RecordBatch {
	/** Records `values`; returns those that were not recorded before. */
	record(values: string[]): Promise<Set<string>>;
	/** Which of `values` are recorded: read from n8n's database, nothing written (n8nProcessedData.ts). */
	recorded(values: string[]): Promise<Set<string>>;
	remove(values: string[]): Promise<void>;
}

export class NodeRecords {
	constructor(
		private readonly helpers: RecordHelpers,
		/** the lock of this node's row */
		readonly key: string,
		private readonly options: ICheckProcessedOptions,
		/** n8n's row: the node's own, or the workflow's (one row for all nodes of the workflow) */
		private readonly row: ProcessedRow,
	) {}

	/** n8n's scope of the row */
	private get scope(): 'node' | 'workflow' {
		return this.row.context ? 'node' : 'workflow';
	}

	/** The record of the node `ctx` runs, with the store options every user of its row passes. */
	static of(ctx: IExecuteFunctions, options: ICheckProcessedOptions): NodeRecords {
		const workflowId = ctx.getWorkflow().id ?? '';
		return new NodeRecords(ctx.helpers, `${workflowId}\u0000${ctx.getNode().id}`, options, nodeRow(workflowId, ctx.getNode().id));
	}

	/** The workflow's row (n8n's `workflow` scope), shared by several nodes; its lock is the workflow's. */
	static ofWorkflow(ctx: IExecuteFunctions, options: ICheckProcessedOptions): NodeRecords {
		const workflowId = ctx.getWorkflow().id ?? '';
		return new NodeRecords(ctx.helpers, `${workflowId}\u0000workflow`, options, workflowRow(workflowId));
	}

	/** Runs `work` while no other process or call works on this node's record. */
	async locked<T>(work: (batch: RecordBatch) => Promise<T>): Promise<T> {
		return await section(this.key, async () => await work(this.batch));
	}

	/** How many values the row holds (no lock: an estimate, e.g. "is there anything at all"). */
	async count(): Promise<number> {
		return await this.helpers.getProcessedDataCount(this.scope, this.options);
	}

	private readonly batch: RecordBatch = {
		record: async (values) => {
			if (!values.length) return new Set();
			// the row's first insert by two processes at once (outside a PostgreSQL lock): n8n's insert fails for one, the second try updates
			const result = await this.helpers
				.checkProcessedAndRecord(values, this.scope, this.options)
				.catch(async () => await this.helpers.checkProcessedAndRecord(values, this.scope, this.options));
			return new Set(result.new.map(String));
		},
		recorded: async (values) => await processedIn(this.row, values, async () => await this.count()),
		remove: async (values) => {
			if (values.length) await this.helpers.removeProcessed(values, this.scope, this.options);
		},
	};
}
