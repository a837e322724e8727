import type { IExecuteFunctions } from 'n8n-workflow';

import type { CommitAtEnd } from './fileConsumer';
import { FILE_RECORD, NodeRecords } from './nodeRecords';
import { processWide } from './processLock';
import type { CommitOutcome, FileSource, SourceFile, WithFileSource } from './transports/fileSource';

/**
 * A file import deletes or moves a file only once the execution that carries its documents has ended — not
 * while the node runs. Until then the file stays where it was: an n8n process killed in between (a crash, a
 * deploy, a worker killed mid-run) leaves it for the next run, which hands its documents over (once: the
 * killed execution never ended, so nothing after this node saw them).
 *
 * How the node learns of the end: n8n runs the `workflowExecuteAfter` lifecycle hooks of an execution in the
 * process that ran it, once every node has run (success, error, cancellation, or a pause at a Wait node), after
 * it saved the execution (that hook was registered first); in the default mode, on a queue-mode worker, and for
 * manual runs alike. n8n-core gives every node context the execution's hooks (`additionalData.hooks`, public in
 * n8n-core 2.x but not part of IExecuteFunctions); a node adds its handler there. Where an n8n offers no such
 * hook, nothing is deferred: the file is committed while the node runs, as before. So does version 1 of the
 * nodes (Accounting FTP Import, Order Exchange): its workflows keep the behaviour they were built with, a refused
 * delete reported on the node's Errors output; version 2, the version of every node added now, waits for the end.
 *
 * At the end, before it deletes or moves anything, the handler records each file (path, size, SHA-256) in n8n's
 * processed-data store (n8n's database, shared by every main and worker): "handed over by an execution that
 * ended". It takes the record back for every file it could delete or move. A file still there with a record
 * (the delete was refused, the connection broke, the process died during the delete) is committed quietly by
 * the next run and never handed over again. While an execution of this process still runs, another run of the
 * same node in this process leaves its files alone.
 *
 * The node's row of the store is shared with its "already imported" record (fileRecords.ts): the same options,
 * and every call under the same lock (NodeRecords), so that no process's read-modify-write undoes another's.
 */

/**
 * Files of executions of this process that have not ended yet (`<workflow>|<node>|<file key>` → since when).
 * An entry older than `RUNNING_AT_MOST_MS` no longer counts (an execution whose end n8n never announced must
 * not keep its files from every later run of this process).
 */
const RUNNING = processWide('filesAwaitingEnd', () => new Map<string, number>());
const RUNNING_AT_MOST_MS = 12 * 3_600_000;

/**
 * How long the run's session is kept open for the commits at the end (`CommitAtEnd.keep`): most executions end
 * within it; one that runs on longer gets a new session at its end rather than holding a connection to the server.
 */
const KEEP_SESSION_MS = 30_000;

/** The run's session, kept open until the execution's end: `source` for the commits, `release` to close it. */
interface KeptSession<F extends SourceFile> {
	source: FileSource<F>;
	release(): void;
}

interface LifecycleHooks {
	addHandler(name: 'workflowExecuteAfter', handler: () => Promise<void>): void;
}

/** The lifecycle hooks of the execution `ctx` belongs to, if this n8n gives them to nodes. */
export function hooksOf(ctx: IExecuteFunctions): LifecycleHooks | undefined {
	const hooks = (ctx as unknown as { additionalData?: { hooks?: Partial<LifecycleHooks> } }).additionalData?.hooks;
	return typeof hooks?.addHandler === 'function' ? (hooks as LifecycleHooks) : undefined;
}

/** A file version's key in the node's record: path, size and SHA-256 (fileRecords.ts prefixes its values with it too). */
export const fileKey = (path: string, size: number, sha256: string) => `${path}\u0000${size}\u0000${sha256}`;

/** The value recording that `file` was handed over by an execution that ended. */
function endedKey(file: SourceFile, sha256: string): string {
	return `file ${fileKey(file.path, file.size, sha256)}`;
}

/**
 * The `CommitAtEnd` of a file import node, or undefined when this n8n cannot tell the node that its execution
 * has ended (then files are committed at once). `withSource` opens a new session for the commits at the end.
 */
export function commitsAtExecutionEnd<F extends SourceFile>(ctx: IExecuteFunctions, withSource: WithFileSource<F>): CommitAtEnd<F> | undefined {
	const hooks = ctx.getNode().typeVersion >= 2 ? hooksOf(ctx) : undefined;
	if (!hooks) return undefined;
	const scope = `${ctx.getWorkflow().id ?? ''}|${ctx.getNode().id ?? ctx.getNode().name}`;
	const records = NodeRecords.of(ctx, FILE_RECORD);
	const deferred: Array<{ file: F; sha256: string; key: string }> = [];
	let recordChecked: Promise<boolean> | undefined;
	let kept: KeptSession<F> | undefined;
	const takeKept = () => {
		const session = kept;
		kept = undefined;
		return session;
	};
	return {
		earlier: async (files) => {
			const keys = files.map(({ file, sha256 }) => endedKey(file, sha256));
			const found = keys.map((key) => (Date.now() - (RUNNING.get(`${scope}|${key}`) ?? 0) < RUNNING_AT_MOST_MS ? ('running' as const) : undefined));
			const asked = keys.filter((_, i) => found[i] === undefined);
			if (!asked.length) return found;
			// usually empty (the end of every execution takes its values back): one look per run
			recordChecked ??= records.count().then((n) => n > 0);
			if (!(await recordChecked)) return found;
			const ended = await records.locked(async (batch) => await batch.recorded(asked));
			return keys.map((key, i) => found[i] ?? (ended.has(key) ? 'ended' : undefined));
		},
		forget: async (file, sha256) => {
			const key = endedKey(file, sha256);
			await records.locked(async (batch) => await batch.remove([key])).catch(() => undefined);
		},
		defer: (file, sha256) => {
			const key = endedKey(file, sha256);
			RUNNING.set(`${scope}|${key}`, Date.now());
			if (deferred.length === 0) hooks.addHandler('workflowExecuteAfter', async () => await commitAll(ctx, scope, records, withSource, deferred, takeKept()));
			deferred.push({ file, sha256, key });
		},
		keep: async (source) => {
			if (!deferred.length) return;
			await new Promise<void>((resolve) => {
				// unref'd: a session kept open never keeps the process alive
				const timer = setTimeout(() => takeKept()?.release(), KEEP_SESSION_MS).unref();
				kept = {
					source,
					release: () => {
						clearTimeout(timer);
						resolve();
					},
				};
			});
		},
	};
}

/**
 * The handler at the end of the execution: record, commit, take the record back for what was committed. The
 * commits use the run's session where it was kept and still answers, else a new one, opened while the record
 * is written (opening changes nothing); the first delete or move waits for the record.
 */
async function commitAll<F extends SourceFile>(
	ctx: IExecuteFunctions,
	scope: string,
	records: NodeRecords,
	withSource: WithFileSource<F>,
	deferred: Array<{ file: F; sha256: string; key: string }>,
	kept: KeptSession<F> | undefined,
): Promise<void> {
	const keys = deferred.map((d) => d.key);
	const recording = records.locked(async (batch) => await batch.record(keys)).then(
		() => true,
		(error: unknown) => {
			// the files are still deleted or moved (their execution ended); only one whose commit fails now as well
			// would be imported again by the next run
			ctx.logger.error(`${ctx.getNode().name}: the record of ${keys.length} imported file(s) could not be written: ${(error as Error).message}`);
			return false;
		},
	);
	const done: string[] = [];
	const commitWith = async (source: FileSource<F>) => {
		await recording;
		const outcomes = source.commitEach ? await source.commitEach(deferred) : await commitOneByOne(source, deferred);
		deferred.forEach(({ file, key }, index) => {
			const outcome = outcomes[index];
			if (outcome === undefined) return;
			if (outcome.kind === 'deleted' || outcome.kind === 'moved' || outcome.kind === 'gone') done.push(key);
			// recorded: the next run deletes or moves it, and never imports it again
			else if (outcome.kind !== 'kept') ctx.logger.warn(`${ctx.getNode().name}: ${file.path} was imported but stays: ${outcome.reason}`);
		});
	};
	try {
		if (kept && (await answers(kept.source))) await commitWith(kept.source);
		else
			await withSource(async (source) => {
				await source.open();
				await commitWith(source);
			});
	} catch (error) {
		ctx.logger.warn(`${ctx.getNode().name}: ${keys.length - done.length} imported file(s) stay until the next run deletes or moves them: ${(error as Error).message}`);
	} finally {
		kept?.release();
		for (const key of keys) RUNNING.delete(`${scope}|${key}`);
	}
	if ((await recording) && done.length) {
		await records.locked(async (batch) => await batch.remove(done)).catch(() => undefined);
	}
}

/** Whether a kept session can still be used (a server may have closed an idle session): see `FileSource.answers`. */
async function answers<F extends SourceFile>(source: FileSource<F>): Promise<boolean> {
	return source.answers ? await source.answers().catch(() => false) : !source.lost;
}

/** `commit` file by file, until the session breaks (the files after that get no outcome). */
async function commitOneByOne<F extends SourceFile>(source: FileSource<F>, files: ReadonlyArray<{ file: F; sha256: string }>): Promise<Array<CommitOutcome | undefined>> {
	const outcomes: Array<CommitOutcome | undefined> = [];
	for (const { file, sha256 } of files) {
		if (source.lost) break;
		outcomes.push(await source.commit(file, sha256));
	}
	return outcomes;
}
