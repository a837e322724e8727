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
 *   n8n process shares: a file another run (in any process) imported or works on is skipped.
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
export interface CommitAtEnd<F> {
	/**
	 * Whether this content was handed over before by an execution that has ended (`ended`: it is committed now,
	 * quietly) or by one of this process that still runs (`running`: left to that execution); else undefined.
	 */
	earlier(file: F, sha256: string): Promise<'ended' | 'running' | undefined>;
	/** takes over the commit of a file whose documents this execution holds now */
	defer(file: F, sha256: string): void;
	/** a file `earlier` found `ended` was committed now: its record is no longer needed */
	forget(file: F, sha256: string): Promise<void>;
}

/**
 * What a claim found (nodes/shared/fileRecords.ts): `mine` — this run imports the file; `imported` — an ended
 * execution imported it (it stays on purpose); `stuck` — imported, but its delete or move failed (done now,
 * quietly); `elsewhere` — another live run, in this process or another, works on it.
 */
export type FileClaim = 'mine' | 'imported' | 'stuck' | 'elsewhere';

/** The durable "already imported" record, looked up and written in one step before the node sees a file. */
export interface FileClaims<F> {
	claim(file: F, sha256: string): Promise<FileClaim>;
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

export async function consumeFiles<F extends SourceFile, R>(withSource: WithFileSource<F>, consumer: FileConsumer<F, R>): Promise<FileRunReport<F>> {
	return await withSource(async (source) => {
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
	});
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
	// the next file is read while the node judges the current one (see `ReadAhead`)
	const ahead = new ReadAhead(source, files);
	for (let index = 0; index < files.length && !report.stop; index++) {
		if (source.lost) {
			report.stop = { reason: 'connectionLost', error: source.lost, left: files.length - index };
			break;
		}
		try {
			await consumeOne(source, files[index], ahead.take(index), consumer, report);
		} catch (error) {
			report.stop = stopAt(source, files, index, error);
		}
	}
	// a read ahead must not outlive the session (the run stopped, or the node threw)
	await ahead.idle();
	// the session may also break while the last file is committed: nothing is left, but the report says so
	if (!report.stop && source.lost) report.stop = { reason: 'connectionLost', error: source.lost, left: 0 };
	return report;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Reads file n + 1 while the node parses file n: the download's round trips and the server's work overlap the
 * parsing instead of following it. Reading does not change anything at the source, so reading early is safe;
 * the commit of file n still comes after the node's decision on it, and after the read ahead finished, as a
 * session carries one command at a time. At most two files are in memory at once (the one judged, the next).
 */
class ReadAhead<F extends SourceFile> {
	private pending: { index: number; outcome: Promise<Outcome<FileRead>> } | undefined;

	constructor(
		private readonly source: FileSource<F>,
		private readonly files: F[],
	) {}

	/** The read of file `index`: the one started ahead, or a new one. */
	take(index: number): { read: () => Promise<FileRead>; startNext: () => void; settledAhead: () => Promise<void> } {
		const mine = this.pending?.index === index ? this.pending.outcome : this.start(index);
		this.pending = undefined;
		return {
			read: async () => unwrap(await mine),
			startNext: () => {
				if (index + 1 < this.files.length && !this.source.lost) this.pending = { index: index + 1, outcome: this.start(index + 1) };
			},
			settledAhead: async () => this.idle(),
		};
	}

	async idle(): Promise<void> {
		await this.pending?.outcome;
	}

	private start(index: number): Promise<Outcome<FileRead>> {
		return this.source.read(this.files[index]).then(
			(value) => ({ ok: true as const, value }),
			(error: unknown) => ({ ok: false as const, error }),
		);
	}
}

function unwrap<T>(outcome: Outcome<T>): T {
	if (outcome.ok) return outcome.value;
	throw outcome.error;
}

function stopAt<F extends SourceFile>(source: FileSource<F>, files: F[], index: number, error: unknown): FileRunStop<F> {
	const lost = source.lost ?? (error instanceof TransportError && error.sessionLost ? error : undefined);
	if (lost) return { reason: 'connectionLost', error: lost, left: files.length - index };
	// files may have been committed already: their items must reach the output, so the run ends instead of failing
	return { reason: 'unexpected', error: error instanceof Error ? error : new Error(String(error)), file: files[index], left: files.length - index - 1 };
}

async function consumeOne<F extends SourceFile, R>(
	source: FileSource<F>,
	file: F,
	reading: ReturnType<ReadAhead<F>['take']>,
	consumer: FileConsumer<F, R>,
	report: FileRunReport<F>,
): Promise<void> {
	report.counts.files++;
	const read = await reading.read();
	reading.startNext();
	if (read.kind === 'remembered') {
		report.counts.remembered++;
		await reading.settledAhead();
		const retried = await source.retryCommit(file, read.fingerprint);
		const { p, s, h } = read.fingerprint;
		if (retried && (retried.kind === 'deleted' || retried.kind === 'moved')) await consumer.claims?.forget(p, s, h);
		return;
	}
	if (read.kind === 'changed') {
		report.counts.changed++;
		return;
	}
	if (read.kind === 'content' && consumer.atEnd) {
		const earlier = await consumer.atEnd.earlier(file, read.sha256);
		if (earlier) {
			report.counts.remembered++;
			await reading.settledAhead();
			if (earlier === 'ended' && (await source.commit(file, read.sha256)).kind !== 'remembered') await consumer.atEnd.forget(file, read.sha256);
			return;
		}
	}
	if (read.kind === 'content' && consumer.claims && !(await claimed(source, file, read.sha256, consumer.claims, reading, report))) return;
	try {
		await decideAndSettle(source, file, read, consumer, reading, report);
	} finally {
		// a claim the node's decision did not settle (it threw) is given back; a settled one stays as settled
		if (read.kind === 'content') await consumer.claims?.settled(file, read.sha256, undefined, false);
	}
}

/** Claims a file for this run; false (counted) when it was imported before or another run works on it. */
async function claimed<F extends SourceFile>(
	source: FileSource<F>,
	file: F,
	sha256: string,
	claims: FileClaims<F>,
	reading: ReturnType<ReadAhead<F>['take']>,
	report: FileRunReport<F>,
): Promise<boolean> {
	const claim = await claims.claim(file, sha256);
	if (claim === 'mine') return true;
	if (claim === 'elsewhere') {
		report.counts.elsewhere++;
		return false;
	}
	report.counts.remembered++;
	if (claim === 'stuck' && source.afterImport !== 'keep') {
		await reading.settledAhead();
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
	reading: ReturnType<ReadAhead<F>['take']>,
	report: FileRunReport<F>,
): Promise<void> {
	const decision = await consumer.decide(file, read);
	if (decision.action === 'leave') {
		report.counts.left++;
		return;
	}
	// one command at a time on the session: the read ahead first, then this file's commit or fail
	await reading.settledAhead();
	let settled: Settled<F, R>;
	if (decision.action === 'commit') {
		if (read.kind !== 'content') throw new Error(`${file.name} was not read, so it cannot be committed`);
		settled = { file, ...decision, outcome: await commitOrDefer(source, file, read.sha256, decision.mustStay, consumer.atEnd) };
	} else {
		settled = { file, ...decision, outcome: await source.fail(file) };
	}
	if (settled.outcome.kind === 'gone') report.counts.gone++;
	else report.counts.settled++;
	if (read.kind === 'content') await consumer.claims?.settled(file, read.sha256, settled.outcome, settled.action === 'commit');
	await consumer.settle(settled);
}

/** Commits a file now, or (see `CommitAtEnd`) hands the commit over and returns what it will do. */
async function commitOrDefer<F extends SourceFile>(
	source: FileSource<F>,
	file: F,
	sha256: string,
	mustStay: boolean | undefined,
	atEnd: CommitAtEnd<F> | undefined,
): Promise<CommitOutcome> {
	if (!atEnd || mustStay || source.afterImport === 'keep') return await source.commit(file, sha256, { mustStay });
	atEnd.defer(file, sha256);
	if (source.afterImport === 'delete' || source.archiveDirectory === undefined) return { kind: 'deleted' };
	// the name it gets unless the archive holds a file of that name by then (then name_2.ext …)
	return { kind: 'moved', to: path.posix.join(source.archiveDirectory, file.name) };
}
