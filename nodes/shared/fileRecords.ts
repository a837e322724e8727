import type { IExecuteFunctions } from 'n8n-workflow';

import { fileKey, hooksOf } from './executionEnd';
import type { FileClaim, FileClaims } from './fileConsumer';
import { FILE_RECORD, NodeRecords, type RecordBatch } from './nodeRecords';
import { processWide } from './processLock';
import type { CommitOutcome, FailOutcome, SourceFile } from './transports/fileSource';
import type { FingerprintStore } from './transports/fingerprints';
import { releaseLeases, tryLeases } from './transports/n8nDatabaseLock';

/**
 * "Already imported", durable: the files a file import (Accounting FTP Import, Order Exchange over FTP/SFTP or a folder)
 * handed over and that are still at the source — kept on purpose (Keep and Remember), holding other clients'
 * statements too, or whose delete or move failed — in n8n's processed-data store, written at the moment of
 * each import under the node's lock (NodeRecords: a PostgreSQL advisory lock in n8n's database in queue mode).
 *
 * Per file version K (path, size, SHA-256 of the content):
 * - `import K`: recorded when a run takes the file on, before the node parses it. Whoever records it first
 *   imports the file; every other run, in any process, skips it (under the node's lock: the row read without
 *   writing, n8nProcessedData.ts, then the new claims recorded — nothing recorded only to ask).
 * - `pending K`: recorded with it, removed when the execution that carries the file's documents has ended
 *   (n8n's `workflowExecuteAfter` hook, in the process that ran it). A claim still pending whose run is gone
 *   (a worker killed, n8n restarted) never reached the rest of its workflow: the next run takes it over.
 *   Whether its run is alive is told by the file's lease (n8nDatabaseLock.ts), held by the run from the claim to
 *   the end of its execution, which PostgreSQL frees with its holder's connection (a killed worker loses it).
 * - `stuck K`: the delete or move after the import failed; the next run deletes or moves it quietly.
 * A file that was deleted or moved (or failed, or left to another client) is forgotten at the end of the
 * execution: the same content uploaded again later is a new file, as before.
 *
 * The workflow's static data (FingerprintStore) stays the node's cache of file details (it lets a run skip the
 * download of a file it kept, by its exact time); what it held before this version is recorded here once.
 */

/** static data: the FingerprintStore's entries were recorded in the processed-data store */
const CARRIED_OVER = 'importedFilesRecorded';

const importOf = (k: string) => `import\u0000${k}`;
const pendingOf = (k: string) => `pending\u0000${k}`;
const stuckOf = (k: string) => `stuck\u0000${k}`;

/** Claims of runs of this process whose execution has not ended (scope and file key). */
const claimedHere = processWide('filesClaimed', () => new Set<string>());

type Settlement = 'handed' | 'forget';

export class FileRecords<F extends SourceFile> implements FileClaims<F> {
	/** this run's claims: file key → what becomes of them at the end of the execution (undefined: not settled yet) */
	private readonly mine = new Map<string, Settlement | undefined>();

	private constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly records: NodeRecords,
	) {}

	/** The record of the node `ctx` runs; what `cache` (its static data) held before is recorded once. */
	static async open<F extends SourceFile>(ctx: IExecuteFunctions, cache: FingerprintStore, staticData: Record<string, unknown>): Promise<FileRecords<F>> {
		const records = new FileRecords<F>(ctx, NodeRecords.of(ctx, FILE_RECORD));
		if (staticData[CARRIED_OVER] !== true && cache.size > 0) {
			const values = cache.all().flatMap((e) => {
				const k = fileKey(e.p, e.s, e.h);
				return e.r === 'stuck' ? [importOf(k), stuckOf(k)] : [importOf(k)];
			});
			await records.records.locked(async (batch) => {
				for (let start = 0; start < values.length; start += 5_000) await batch.record(values.slice(start, start + 5_000));
			});
		}
		staticData[CARRIED_OVER] = true;
		return records;
	}

	private scoped(k: string): string {
		return `${this.records.key}\u0000${k}`;
	}

	private leaseOf(k: string): string {
		return `${this.records.key}\u0000file\u0000${k}`;
	}

	async claim(files: ReadonlyArray<{ file: F; sha256: string }>): Promise<FileClaim[]> {
		const keys = files.map(({ file, sha256 }) => fileKey(file.path, file.size, sha256));
		// a run of this process works on it
		const open = keys.filter((k) => !claimedHere.has(this.scoped(k)));
		const found = open.length ? await this.records.locked(async (batch) => await this.claimAll(batch, open)) : new Map<string, FileClaim>();
		return keys.map((k) => found.get(k) ?? 'elsewhere');
	}

	/**
	 * The claims of `keys` in one step of the record: one read of the row (nothing written to ask), one lease
	 * query, one store call recording the new claims — nothing recorded that would have to be taken back.
	 */
	private async claimAll(batch: RecordBatch, keys: string[]): Promise<Map<string, FileClaim>> {
		const claims = new Map<string, FileClaim>();
		const known = await batch.recorded(keys.flatMap((k) => [importOf(k), pendingOf(k), stuckOf(k)]));
		// imported by an execution that has ended
		for (const k of keys) if (known.has(importOf(k)) && !known.has(pendingOf(k))) claims.set(k, known.has(stuckOf(k)) ? 'stuck' : 'imported');
		// a new claim, or a pending one whose run may be gone: ours if no live run holds its lease
		const wanted = keys.filter((k) => !claims.has(k));
		const taken = wanted.length ? await tryLeases(wanted.map((k) => this.leaseOf(k))) : new Set<string>();
		const mine = wanted.filter((k) => taken.has(this.leaseOf(k)));
		let recorded = false;
		try {
			await batch.record(mine.filter((k) => !known.has(importOf(k))).flatMap((k) => [importOf(k), pendingOf(k)]));
			recorded = true;
		} finally {
			// not recorded: the leases taken for them are given back with the error
			if (!recorded) await releaseLeases(mine.map((k) => this.leaseOf(k))).catch(() => undefined);
		}
		for (const k of wanted) claims.set(k, 'elsewhere');
		for (const k of mine) {
			claims.set(k, 'mine');
			this.mine.set(k, undefined);
			claimedHere.add(this.scoped(k));
		}
		return claims;
	}

	async settled(file: F, sha256: string, outcome: CommitOutcome | FailOutcome | undefined, committed: boolean): Promise<void> {
		const k = fileKey(file.path, file.size, sha256);
		// not this run's claim, or settled already
		if (!this.mine.has(k) || this.mine.get(k) !== undefined) return;
		if (committed && (outcome?.kind === 'kept' || outcome?.kind === 'remembered')) {
			this.mine.set(k, 'handed');
			if (outcome.kind === 'remembered') await this.records.locked(async (batch) => void (await batch.record([stuckOf(k)])));
		} else if (committed && (outcome?.kind === 'deleted' || outcome?.kind === 'moved')) {
			// the file stays until it is deleted or moved, at once or at the end of the execution (executionEnd.ts)
			this.mine.set(k, 'forget');
		} else {
			// failed, left alone, taken by another run: not imported by this one
			await this.end([k]);
		}
	}

	async forget(path: string, size: number, sha256: string): Promise<void> {
		const k = fileKey(path, size, sha256);
		await this.records.locked(async (batch) => await batch.remove([importOf(k), pendingOf(k), stuckOf(k)]));
	}

	/**
	 * The node's run is over: claims it never settled (the run stopped) are given back now; the others end with
	 * the execution (or now, where this n8n does not tell a node of its end). Call after the commits were deferred.
	 */
	async finish(): Promise<void> {
		const unsettled = [...this.mine].filter(([, s]) => s === undefined).map(([k]) => k);
		if (unsettled.length) await this.end(unsettled);
		if (!this.mine.size) return;
		const hooks = hooksOf(this.ctx);
		const atEnd = async () => await this.end([...this.mine.keys()]);
		if (hooks) hooks.addHandler('workflowExecuteAfter', atEnd);
		else await atEnd();
	}

	/** Ends claims: handed over → no longer pending; anything else → forgotten. Leases are given back in any case. */
	private async end(keys: string[]): Promise<void> {
		const values = keys.flatMap((k) => (this.mine.get(k) === 'handed' ? [pendingOf(k)] : [importOf(k), pendingOf(k), stuckOf(k)]));
		try {
			await this.records.locked(async (batch) => await batch.remove(values));
		} catch (error) {
			this.ctx.logger.error(`${this.ctx.getNode().name}: the record of ${keys.length} imported file(s) could not be completed: ${(error as Error).message}`);
		} finally {
			for (const k of keys) {
				this.mine.delete(k);
				claimedHere.delete(this.scoped(k));
			}
			await releaseLeases(keys.map((k) => this.leaseOf(k))).catch(() => undefined);
		}
	}
}
