import path from 'node:path';

import type { CommitOutcome, FailOutcome, FileListing, FileRead, FileSource, SourceFile, WithFileSource } from './transports/fileSource';
import { TransportError } from './transports/transportError';

/**
 * Drives a file source (FTP, SFTP, a folder) for every node that consumes files: open, list, then per file
 * read → the node decides → commit or fail → the node settles its items. The node only decides and turns
 * outcomes into items; what happens to the file, and when, is decided here once:
 * - a file is committed only after the node's `decide` returned (so the node holds everything it gave);
 * - a file the source remembers (imported before, its delete or move failed then) is settled again quietly;
 * - a file that changed since the listing waits for the next run;
 * - once the session broke, or a file failed in an unexpected way, the run stops: what was settled before
 *   stays settled and reaches the output; the report says where and why the run stopped.
 * - one run per directory at a time in this process (`exclusive`): a second run that starts while the first
 *   still works does nothing (`busy`). It could not see what the first one remembers (n8n gives each execution
 *   its own copy of the static data), so a file whose delete the first run lost would be imported twice.
 * - with `atEnd` (delete and archive mode, in an n8n that tells a node when its execution has ended), a file is
 *   not deleted or moved while the execution runs: the delete or move waits for the end of the execution
 *   that carries the file's documents, so a process killed before that end leaves the file for the next run.
 * - with `claims` (nodes/shared/fileRecords.ts), a file read is claimed before the node sees it, in a record every
 *   n8n process shares: a file another run (in any process) imported or works on is skipped. Files are read and
 *   claimed a window at a time (`windowsOf`), one call to the record per window.
 * Errors before the first file (connecting, a missing directory, the node's `check`) are thrown.
 */

/** What the node wants done with a file it was given. */
export type FileDecision<R> =
	/** it holds everything the file gave: delete, archive or keep it (`mustStay`: keep and remember it whatever the mode) */
	| { action: 'commit'; result: R; mustStay?: boolean }
	/** the file could not be imported: keep it or move it to the error directory */
	| { action: 'fail'; result: R }
	/** not this run's to handle (e.g. another client's file): neither committed nor failed nor reported */
	| { action: 'leave' };

export type ReadFile = { kind: 'content'; bytes: Buffer; sha256: string } | { kind: 'tooLarge'; limit: number };

export type Settled<F, R> =
	| { file: F; action: 'commit'; result: R; outcome: CommitOutcome }
	| { file: F; action: 'fail'; result: R; outcome: FailOutcome };

/**
 * Commits that wait for the end of the execution (nodes/shared/executionEnd.ts). The items say what will be
 * done (deleted, moved to the archive under the file's name); it is done once n8n ended the execution.
 */
export interface CommitAtEnd<F extends SourceFile> {
	/**
	 * For each file (its content read): whether it was handed over before by an execution that has ended (`ended`:
	 * it is committed now, quietly) or by one of this process that still runs (`running`: left to that execution);
	 * else undefined. One look-up for all of them.
	 */
	earlier(files: ReadonlyArray<{ file: F; sha256: string }>): Promise<Array<'ended' | 'running' | undefined>>;
	/** takes over the commit of a file whose documents this execution holds now */
	defer(file: F, sha256: string): void;
	/** a file `earlier` found `ended` was committed now: its record is no longer needed */
	forget(file: F, sha256: string): Promise<void>;
	/**
	 * Offered the run's session once the run is over: the commits at the end use it instead of logging in again
	 * (an FTP login alone can take longer than deleting hundreds of files). Resolves when the session is no longer
	 * needed — the commits are done, nothing was deferred, or the execution ran on too long — and is then closed.
	 */
	keep?(source: FileSource<F>): Promise<void>;
}

/**
 * What a claim found (nodes/shared/fileRecords.ts): `mine` — this run imports the file; `imported` — an ended
 * execution imported it (it stays on purpose); `stuck` — imported, but its delete or move failed (done now,
 * quietly); `elsewhere` — another live run, in this process or another, works on it.
 */
export type FileClaim = 'mine' | 'imported' | 'stuck' | 'elsewhere';

/** The durable "already imported" record, looked up and written in one step before the node sees a file. */
export interface FileClaims<F> {
	/** claims each of `files` (their content read), all in one step of the record; the claims in the same order */
	claim(files: ReadonlyArray<{ file: F; sha256: string }>): Promise<FileClaim[]>;
	/** what became of a file this run claimed: committed (the outcome says how), failed or left (`outcome` undefined) */
	settled(file: F, sha256: string, outcome: CommitOutcome | FailOutcome | undefined, committed: boolean): Promise<void>;
	/** a remembered file was deleted or moved now: its record is no longer needed */
	forget(path: string, size: number, sha256: string): Promise<void>;
}

export interface FileConsumer<F extends SourceFile, R> {
	/** see `CommitAtEnd`; without it a file is committed as soon as the node holds its documents */
	atEnd?: CommitAtEnd<F>;
	/** see `FileClaims`; without it only the source's own memory (the workflow's static data) tells what was imported */
	claims?: FileClaims<F>;
	/** the server and login (e.g. "ftp.example.com|buchhaltung"; any port): with the directory, the lock of `busy` */
	exclusive?: string;
	/** after `open`: checks of the configuration against the resolved directories; throw to stop before anything is read */
	check?(source: FileSource<F>): void;
	/** after `list`, before the first file */
	listed?(listing: FileListing<F>): void;
	/**
	 * Optional: each file of a window as soon as the window is read, before it is claimed — the node may start its
	 * work on them (parse on a thread) while the window is claimed and the next one read. `decide` follows, in the
	 * order of the files, for those this run imports (not for a file another run has, or once the run stopped).
	 */
	prepare?(file: F, read: ReadFile): void;
	/** Reads and judges one file; must not commit anything itself. A file that is too large can only fail. */
	decide(file: F, read: ReadFile): Promise<FileDecision<R>> | FileDecision<R>;
	/** The file's commit or fail is done: the node turns the outcome into items (in the order of the files). */
	settle(settled: Settled<F, R>): Promise<void> | void;
}

export interface FileRunStop<F> {
	/** the session broke (`error` is the source's `lost`), or `file` failed in an unexpected way */
	reason: 'connectionLost' | 'unexpected';
	error: Error;
	/** the file the run stopped at, when an unexpected error happened on it */
	file?: F;
	/** ready files not handled because of the stop */
	left: number;
}

export interface FileRunReport<F extends SourceFile> {
	baseDirectory: string;
	listing: FileListing<F>;
	counts: {
		/** files taken from the listing (read or skipped as remembered) */
		files: number;
		remembered: number;
		/** changed or vanished since the listing: next run */
		changed: number;
		/** left alone by the node's decision */
		left: number;
		/** settled, commit or fail, except files another run took meanwhile */
		settled: number;
		/** committed or failed by another run meanwhile: not emitted by this one */
		gone: number;
		/** claimed by another live run (this process or another): left to it */
		elsewhere: number;
	};
	stop?: FileRunStop<F>;
	/** another run of this process works the same directory: this one listed and read nothing */
	busy?: boolean;
}

/** Directories a run of this process works right now (a lock, not state: losing it loses nothing). */
const busyDirectories = new Set<string>();

/**
 * The run's report is given back as soon as the files are consumed; with `atEnd`, the session stays open after
 * that for the commits at the end of the execution (`CommitAtEnd.keep`), in the same scope that closes it.
 */
export async function consumeFiles<F extends SourceFile, R>(withSource: WithFileSource<F>, consumer: FileConsumer<F, R>): Promise<FileRunReport<F>> {
	return await new Promise<FileRunReport<F>>((resolve, reject) => {
		let reported = false;
		withSource(async (source) => {
			const report = await consumeOpened(source, consumer);
			reported = true;
			resolve(report);
			if (!report.busy && !source.lost) await consumer.atEnd?.keep?.(source);
		}).catch((error: unknown) => {
			// after the report only the session's close can fail: the commits at the end open their own
			if (!reported) reject(error);
		});
	});
}

async function consumeOpened<F extends SourceFile, R>(source: FileSource<F>, consumer: FileConsumer<F, R>): Promise<FileRunReport<F>> {
	await source.open();
	consumer.check?.(source);
	const key = consumer.exclusive === undefined ? undefined : `${consumer.exclusive}|${source.baseDirectory}`;
	if (key !== undefined && busyDirectories.has(key)) return busyReport<F>(source.baseDirectory);
	if (key !== undefined) busyDirectories.add(key);
	try {
		return await consumeListed(source, consumer);
	} finally {
		if (key !== undefined) busyDirectories.delete(key);
	}
}

function busyReport<F extends SourceFile>(baseDirectory: string): FileRunReport<F> {
	return {
		baseDirectory,
		listing: { ready: [], inProgress: [], unsafe: [], deferred: 0, directories: [] },
		counts: { files: 0, remembered: 0, changed: 0, left: 0, settled: 0, gone: 0, elsewhere: 0 },
		busy: true,
	};
}

async function consumeListed<F extends SourceFile, R>(source: FileSource<F>, consumer: FileConsumer<F, R>): Promise<FileRunReport<F>> {
	const listing = await source.list();
	consumer.listed?.(listing);
	const report: FileRunReport<F> = {
		baseDirectory: source.baseDirectory,
		listing,
		counts: { files: 0, remembered: 0, changed: 0, left: 0, settled: 0, gone: 0, elsewhere: 0 },
	};
	const files = listing.ready;
	const windows = windowsOf(files);
	// the next window is read while the node judges the current one (see `ReadAhead`)
	const ahead = new ReadAhead(source, windows);
	for (let w = 0, first = 0; w < windows.length && !report.stop; first += windows[w].length, w++) {
		await consumeWindow(source, files, first, w, ahead, consumer, report);
	}
	// a read ahead must not outlive the session (the run stopped, or the node threw)
	await ahead.idle();
	// the session may also break while the last file is committed: nothing is left, but the report says so
	if (!report.stop && source.lost) report.stop = { reason: 'connectionLost', error: source.lost, left: 0 };
	return report;
}

/**
 * A window: the files read, looked up and claimed together — one look-up in the record of ended executions and
 * one claim for all of them (each is a call to n8n's processed-data store, which reads and writes the node's
 * whole row, so one call per file made the claims a third of an import's time). The first window holds up to
 * `FIRST_WINDOW_FILES` files, so that the first documents are judged soon; each window after it up to twice as
 * many as the one before, up to `WINDOW_FILES` (16, 32, 64, 64 …: 300 files are 6 calls, not 19). Up to
 * `WINDOW_BYTES` bytes as listed in any window (one file at least, however large): with two windows read
 * ahead (`ReadAhead`), at most three windows are in memory at once — 15 MB of small files, as two of 8 MB were.
 */
const FIRST_WINDOW_FILES = 16;
const WINDOW_FILES = 64;
const WINDOW_BYTES = 5 * 1024 * 1024;

/** `files` in windows, in their order: the first of up to `firstFiles` files, each next one up to twice the one before. */
export function windowsOf<F extends SourceFile>(files: readonly F[], firstFiles = FIRST_WINDOW_FILES, maxFiles = WINDOW_FILES, maxBytes = WINDOW_BYTES): F[][] {
	const windows: F[][] = [];
	let bytes = 0;
	let limit = 0;
	for (const file of files) {
		const current = windows.at(-1);
		if (current && current.length < limit && bytes + file.size <= maxBytes) {
			current.push(file);
			bytes += file.size;
		} else {
			limit = current ? Math.min(maxFiles, limit * 2) : firstFiles;
			windows.push([file]);
			bytes = file.size;
		}
	}
	return windows;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** What the look-ups of a window found for one file read: handed over earlier, this run's claim, gone since. */
interface Verdict {
	earlier?: 'ended' | 'running';
	claim?: FileClaim;
	/** claimed, but no longer at the source as listed: another run imported it after this one read it */
	gone?: boolean;
}

/**
 * Reads windows ahead of the node, one after the other on the session: window n + 1 as soon as window n is read,
 * window n + 2 as soon as window n is looked up (claimed and checked). So the session keeps downloading while the
 * record of window n is written and the node parses it, and the server's work and the round trips overlap the
 * node's; at most three windows are in memory (the one judged, the one read, the one being read). Reading does
 * not change anything at the source, so reading early is safe; a commit in window n still comes after the node's
 * decision on its file, and after the reads under way finished (`idle`), as a session carries one command at a
 * time. The reads of a window stop at the first error (`FileSource.readEach`), and no window is read after it.
 */
class ReadAhead<F extends SourceFile> {
	private readonly started = new Map<number, Promise<Array<Outcome<FileRead>>>>();
	/** the reads started last: the next window's start after them */
	private last: Promise<unknown> = Promise.resolve();
	/** a window's reads broke off: nothing more is read */
	private broken = false;
	/** the first window whose reads have not been started */
	private next = 0;

	constructor(
		private readonly source: FileSource<F>,
		private readonly windows: F[][],
	) {}

	/** The reads of window `index`: the ones started ahead, or new ones. */
	async take(index: number): Promise<Array<Outcome<FileRead>>> {
		this.readUpTo(index);
		const reads = await this.started.get(index)!;
		this.started.delete(index);
		return reads;
	}

	/** Starts the reads of every window up to `index` not started yet, each after the one before. */
	readUpTo(index: number): void {
		for (; this.next <= Math.min(index, this.windows.length - 1); this.next++) {
			const w = this.next;
			const reads = this.last.then(async () => await this.start(w));
			this.started.set(w, reads);
			this.last = reads;
		}
	}

	/** Waits for the reads under way (the session is free afterwards). */
	async idle(): Promise<void> {
		await this.last;
	}

	private async start(index: number): Promise<Array<Outcome<FileRead>>> {
		// the window before broke off, or the session is gone: this window is not read (taken, it stops the run)
		if (this.broken || this.source.lost) return [{ ok: false, error: this.source.lost ?? new Error('the reads stopped at an earlier file') }];
		const { reads, error } = await this.source.readEach(this.windows[index]);
		const outcomes: Array<Outcome<FileRead>> = reads.map((value) => ({ ok: true, value }));
		if (error !== undefined) {
			outcomes.push({ ok: false, error });
			this.broken = true;
		}
		return outcomes;
	}
}

function unwrap<T>(outcome: Outcome<T> | undefined): T {
	if (outcome === undefined) throw new Error('the file was not read');
	if (outcome.ok) return outcome.value;
	throw outcome.error;
}

function stopAt<F extends SourceFile>(source: FileSource<F>, files: F[], index: number, error: unknown): FileRunStop<F> {
	const lost = source.lost ?? (error instanceof TransportError && error.sessionLost ? error : undefined);
	if (lost) return { reason: 'connectionLost', error: lost, left: files.length - index };
	// files may have been committed already: their items must reach the output, so the run ends instead of failing
	return { reason: 'unexpected', error: error instanceof Error ? error : new Error(String(error)), file: files[index], left: files.length - index - 1 };
}

/**
 * Window `w` (the files from `files[first]`): read, looked up and claimed together, then one by one. The next
 * window is read while this one is claimed; the claimed files are checked (`present`) once those reads are done,
 * and the window after it is read while this one is judged. A run stopped during a download gives back the
 * claims of the windows it did not judge (FileRecords.finish); a process killed leaves them to the next run.
 */
async function consumeWindow<F extends SourceFile, R>(
	source: FileSource<F>,
	files: F[],
	first: number,
	w: number,
	ahead: ReadAhead<F>,
	consumer: FileConsumer<F, R>,
	report: FileRunReport<F>,
): Promise<void> {
	const reads = await ahead.take(w);
	// the session goes on with the next window while this one is claimed and judged
	ahead.readUpTo(w + 1);
	const window = files.slice(first, first + reads.length);
	if (consumer.prepare) prepareWindow(window, reads, consumer.prepare);
	let verdicts: Verdict[];
	try {
		verdicts = await lookUp(source, window, reads, ahead, consumer);
	} catch (error) {
		report.stop = stopAt(source, files, first, error);
		return;
	}
	ahead.readUpTo(w + 2);
	for (let i = 0; i < window.length; i++) {
		if (source.lost) {
			report.stop = { reason: 'connectionLost', error: source.lost, left: files.length - first - i };
			return;
		}
		try {
			await consumeOne(source, window[i], reads[i], verdicts[i], ahead, consumer, report);
		} catch (error) {
			report.stop = stopAt(source, files, first + i, error);
			return;
		}
	}
}

/** Offers `prepare` the files of a window read with their content. */
function prepareWindow<F extends SourceFile, R>(window: F[], reads: Array<Outcome<FileRead>>, prepare: NonNullable<FileConsumer<F, R>['prepare']>): void {
	reads.forEach((read, i) => {
		if (read.ok && read.value.kind === 'content') prepare(window[i], read.value);
	});
}

/** For the files of a window whose content was read: handed over earlier (one look-up), else claimed (one claim). */
async function lookUp<F extends SourceFile, R>(
	source: FileSource<F>,
	window: F[],
	reads: Array<Outcome<FileRead>>,
	ahead: ReadAhead<F>,
	consumer: FileConsumer<F, R>,
): Promise<Verdict[]> {
	const verdicts: Verdict[] = window.map(() => ({}));
	const contents: Array<{ index: number; file: F; sha256: string }> = [];
	reads.forEach((read, index) => {
		if (read.ok && read.value.kind === 'content') contents.push({ index, file: window[index], sha256: read.value.sha256 });
	});
	if (consumer.atEnd && contents.length) {
		const earlier = await consumer.atEnd.earlier(contents);
		contents.forEach(({ index }, n) => (verdicts[index].earlier = earlier[n]));
	}
	const unclaimed = contents.filter(({ index }) => verdicts[index].earlier === undefined);
	if (consumer.claims && unclaimed.length) {
		const claims = await consumer.claims.claim(unclaimed);
		unclaimed.forEach(({ index }, n) => (verdicts[index].claim = claims[n]));
		// the session is asked once the next window's reads are done
		await ahead.idle();
		await dropGone(source, unclaimed.filter(({ index }) => verdicts[index].claim === 'mine'), verdicts);
	}
	return verdicts;
}

/**
 * The files this run just claimed must still be at the source: another run may have imported one, deleted or
 * moved it and ended (forgetting its claim) between this run's read and its claim — the content read is then
 * that run's, already handed over. Such a file is counted as changed; its claim, never settled, is given back
 * with the run's other unsettled claims when the node's run ends (FileRecords.finish: one call for all of them).
 */
async function dropGone<F extends SourceFile>(source: FileSource<F>, mine: Array<{ index: number; file: F }>, verdicts: Verdict[]): Promise<void> {
	if (!mine.length) return;
	const present = await source.present(mine.map(({ file }) => file));
	mine.forEach(({ index }, n) => {
		if (!present[n]) verdicts[index].gone = true;
	});
}

async function consumeOne<F extends SourceFile, R>(
	source: FileSource<F>,
	file: F,
	outcome: Outcome<FileRead> | undefined,
	verdict: Verdict,
	ahead: ReadAhead<F>,
	consumer: FileConsumer<F, R>,
	report: FileRunReport<F>,
): Promise<void> {
	report.counts.files++;
	const read = unwrap(outcome);
	if (read.kind === 'remembered') {
		report.counts.remembered++;
		await ahead.idle();
		const retried = await source.retryCommit(file, read.fingerprint);
		const { p, s, h } = read.fingerprint;
		if (retried && (retried.kind === 'deleted' || retried.kind === 'moved')) await consumer.claims?.forget(p, s, h);
		return;
	}
	if (read.kind === 'changed' || verdict.gone) {
		report.counts.changed++;
		return;
	}
	if (read.kind === 'content' && verdict.earlier && consumer.atEnd) {
		report.counts.remembered++;
		await ahead.idle();
		if (verdict.earlier === 'ended' && (await source.commit(file, read.sha256)).kind !== 'remembered') await consumer.atEnd.forget(file, read.sha256);
		return;
	}
	if (read.kind === 'content' && consumer.claims && !(await claimed(source, file, read.sha256, verdict.claim, consumer.claims, ahead, report))) return;
	try {
		await decideAndSettle(source, file, read, consumer, ahead, report);
	} finally {
		// a claim the node's decision did not settle (it threw) is given back; a settled one stays as settled
		if (read.kind === 'content') await consumer.claims?.settled(file, read.sha256, undefined, false);
	}
}

/** Whether this run has the file (its claim is `mine`); otherwise counts it, and commits a stuck one now. */
async function claimed<F extends SourceFile>(
	source: FileSource<F>,
	file: F,
	sha256: string,
	claim: FileClaim | undefined,
	claims: FileClaims<F>,
	ahead: ReadAhead<F>,
	report: FileRunReport<F>,
): Promise<boolean> {
	if (claim === 'mine') return true;
	if (claim === 'elsewhere' || claim === undefined) {
		report.counts.elsewhere++;
		return false;
	}
	report.counts.remembered++;
	if (claim === 'stuck' && source.afterImport !== 'keep') {
		await ahead.idle();
		const outcome = await source.commit(file, sha256);
		if (outcome.kind === 'deleted' || outcome.kind === 'moved' || outcome.kind === 'gone') await claims.forget(file.path, file.size, sha256);
	}
	return false;
}

async function decideAndSettle<F extends SourceFile, R>(
	source: FileSource<F>,
	file: F,
	read: ReadFile,
	consumer: FileConsumer<F, R>,
	ahead: ReadAhead<F>,
	report: FileRunReport<F>,
): Promise<void> {
	const decision = await consumer.decide(file, read);
	if (decision.action === 'leave') {
		report.counts.left++;
		return;
	}
	const atEnd = decision.action === 'commit' ? deferringTo(source, decision.mustStay, consumer.atEnd) : undefined;
	// one command at a time on the session: a commit or fail made now waits for the read ahead; one handed over to
	// the end of the execution does not touch the session, so the next window's downloads go on meanwhile
	if (!atEnd) await ahead.idle();
	let settled: Settled<F, R>;
	if (decision.action === 'commit') {
		if (read.kind !== 'content') throw new Error(`${file.name} was not read, so it cannot be committed`);
		settled = { file, ...decision, outcome: atEnd ? defer(source, file, read.sha256, atEnd) : await source.commit(file, read.sha256, { mustStay: decision.mustStay }) };
	} else {
		settled = { file, ...decision, outcome: await source.fail(file) };
	}
	if (settled.outcome.kind === 'gone') report.counts.gone++;
	else report.counts.settled++;
	if (read.kind === 'content') await consumer.claims?.settled(file, read.sha256, settled.outcome, settled.action === 'commit');
	await consumer.settle(settled);
}

/** Where a committed file's delete or move is handed over to (the end of the execution, see `CommitAtEnd`); undefined: now. */
function deferringTo<F extends SourceFile>(source: FileSource<F>, mustStay: boolean | undefined, atEnd: CommitAtEnd<F> | undefined): CommitAtEnd<F> | undefined {
	return mustStay || source.afterImport === 'keep' ? undefined : atEnd;
}

/** Hands a file's commit over to the end of the execution; what it will do. */
function defer<F extends SourceFile>(source: FileSource<F>, file: F, sha256: string, atEnd: CommitAtEnd<F>): CommitOutcome {
	atEnd.defer(file, sha256);
	if (source.afterImport === 'delete' || source.archiveDirectory === undefined) return { kind: 'deleted' };
	// the name it gets unless the archive holds a file of that name by then (then name_2.ext …)
	return { kind: 'moved', to: path.posix.join(source.archiveDirectory, file.name) };
}
