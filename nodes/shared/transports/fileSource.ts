import path from 'node:path';

import type { Fingerprint } from './fingerprints';
import { remoteDirectory } from './ftpPaths';
import { TransportError } from './transportError';

/**
 * The consumer contract of every file transport (FTP, SFTP, a local or cloud-synced folder), after Apache
 * Camel's file component, over ONE session: `list` what waits (leaving out what is still being written),
 * `read` a file into memory, then `commit` it (delete · move to the archive · keep and remember) or `fail`
 * it (keep · move to the error directory). Nothing is deleted or moved before the caller commits, and the
 * caller commits only after it holds everything the file gave (never lost); a file that was imported but
 * could not be deleted or moved is remembered by a fingerprint, so it is never imported twice.
 *
 * A source throws only `TransportError`s: kind `notFound` from `open` when the directory of the configuration
 * does not exist; `connectionLost`/`timeout` when the session broke — it then also sets `lost`, and `commit`
 * and `fail` no longer throw but report what they could not do. A command the server refused for one file
 * is an outcome (`changed`, `remembered`, `moveFailed`), not an error.
 *
 * The node side drives a source with `consumeFiles` (nodes/shared/fileConsumer.ts); a transport offers it as
 * a `WithFileSource` (opens the session, runs the work, always closes the session).
 */

/** A file as the source's listing showed it. */
export interface SourceFile {
	/** absolute path at the source */
	path: string;
	/** the absolute directory it was listed in */
	directory: string;
	/** a plain name (no separator, no `..`, no control character): safe in a command or another path */
	name: string;
	size: number;
	/** ISO 8601 when the source knows the time, else the server's own text */
	modifiedAt: string;
}

export interface FileListing<F extends SourceFile = SourceFile> {
	/** the files to read, in order: oldest date directory first, then by name */
	ready: F[];
	/** left for a later run: a temporary name, or a size or time that changed during the wait */
	inProgress: F[];
	/** names that are never used in a command or path (control characters, backslash); left alone */
	unsafe: Array<{ directory: string; name: string }>;
	/** ready files beyond `maxFiles`, left for the next run */
	deferred: number;
	/** the directories that were listed (date subdirectories that do not exist are left out) */
	directories: string[];
}

export type FileRead =
	| { kind: 'content'; bytes: Buffer; sha256: string }
	/** imported before (a fingerprint matched): not handed out again; see `FileSource.retryCommit` */
	| { kind: 'remembered'; fingerprint: Fingerprint }
	/** the file changed or vanished since the listing (still being written, another consumer): next run */
	| { kind: 'changed'; reason: string }
	| { kind: 'tooLarge'; limit: number };

/** What `FileSource.readEach` read: one read per file from the first, up to the one that failed (`error`). */
export interface FilesRead {
	reads: FileRead[];
	error?: unknown;
}

/** `readEach` for a source that reads one file after the other. */
export async function readOneByOne<F extends SourceFile>(files: readonly F[], read: (file: F) => Promise<FileRead>): Promise<FilesRead> {
	const reads: FileRead[] = [];
	try {
		for (const file of files) reads.push(await read(file));
		return { reads };
	} catch (error) {
		return { reads, error };
	}
}

export type CommitOutcome =
	| { kind: 'deleted' }
	/** moved into the archive directory (possibly under `name_2.ext` when the name was taken) */
	| { kind: 'moved'; to: string }
	/** keep mode, or a file that must stay (it also holds other clients' data): remembered */
	| { kind: 'kept' }
	/** the delete or move was refused or its outcome is unknown (connection lost): remembered, never imported twice */
	| { kind: 'remembered'; reason: string }
	/** a source without memory (a folder) could not move the file: it stays and is read again, so do not emit it */
	| { kind: 'moveFailed'; reason: string }
	/** the file vanished before it could be deleted or moved: another run took it, so this run must not emit it */
	| { kind: 'gone' };

export type FailOutcome =
	| { kind: 'kept' }
	| { kind: 'moved'; to: string }
	/** the move to the error directory was refused: the file stays where it is */
	| { kind: 'moveFailed'; reason: string }
	/** the file vanished before it could be moved: another run took it */
	| { kind: 'gone' };

export type AfterImport = 'delete' | 'archive' | 'keep';
export type OnFailure = 'keep' | 'errorDirectory';
export type DateSubdirectories = 'none' | 'YYYY' | 'YYYY/MM' | 'YYYY/MM/DD' | 'YYYY-MM-DD';

/** What a remote directory source (FTP, SFTP) is told; a folder source takes the subset it supports. */
export interface FileSourceOptions {
	/** as the user typed it: empty for the login directory, with or without the trailing slash */
	directory: string;
	dateSubdirectories: DateSubdirectories;
	/** the run date (YYYY-MM-DD, in the workflow's time zone) the date subdirectories are built for; needed with them only */
	runDate?: string;
	/** also list the date subdirectories of this many days before the run date */
	daysBack: number;
	/** a part of the file name (case ignored), or a glob with `*` and `?` for the whole name; empty: every file */
	nameFilter: string;
	/** wait between the two listings that tell a finished file from one still being written; 0: one listing */
	stableWaitMs: number;
	maxFileBytes: number;
	/** files handed out per run at most (Camel's maxMessagesPerPoll); 0: no limit */
	maxFiles: number;
	afterImport: AfterImport;
	/** relative paths are relative to `directory` */
	archiveDirectory: string;
	onFailure: OnFailure;
	/** relative paths are relative to `directory` */
	errorDirectory: string;
	/** waits without holding the event loop; n8n's `sleep` in the node */
	sleep?: (ms: number) => Promise<void>;
}

export interface FileSource<F extends SourceFile = SourceFile> {
	/** the directory that is read, absolute; known after `open` */
	readonly baseDirectory: string;
	/** what `commit` does with a file (unless it must stay) */
	readonly afterImport: AfterImport;
	/** where `commit` moves files, absolute; undefined when it does not move */
	readonly archiveDirectory: string | undefined;
	/** where `fail` moves files, absolute; undefined when it does not move */
	readonly errorDirectory: string | undefined;
	/** set when the session broke; nothing more is done on it */
	readonly lost: TransportError | undefined;
	/** Checks the directory (TransportError `notFound`) and learns what the session needs. */
	open(): Promise<void>;
	list(): Promise<FileListing<F>>;
	/**
	 * Reads `files` (a window of the listing) into memory, in their order, and may overlap their round trips (FTP:
	 * the downloads' commands sent together). Stops at the first file that fails unexpectedly or breaks the session:
	 * `reads` then holds the files before it, `error` what happened (a read that merely finds a file changed or
	 * too large is a read, not an error).
	 */
	readEach(files: readonly F[]): Promise<FilesRead>;
	/**
	 * Whether each of `files` is still at the source as listed (same size); asked right after this run claimed
	 * them. A file another run imported and deleted or moved between this run's read and its claim is gone, and
	 * the content read before must not be handed over again. One round trip for all of them where the protocol
	 * allows (FTP: the SIZEs in one write; SFTP: the stats sent at once).
	 */
	present(files: readonly F[]): Promise<boolean[]>;
	/** Only once the caller holds everything the file gave. `mustStay`: keep and remember whatever the mode. */
	commit(file: F, sha256: string, options?: { mustStay?: boolean }): Promise<CommitOutcome>;
	fail(file: F): Promise<FailOutcome>;
	/**
	 * A remembered file found again: one whose delete or move failed is deleted or moved now (quietly; the
	 * failure was reported when it was imported). Undefined when there was nothing to do or it failed again.
	 */
	retryCommit(file: F, fingerprint: Fingerprint): Promise<CommitOutcome | undefined>;
	/**
	 * Optional: commits several files, each as `commit` would (never `mustStay`), in their order, and may overlap
	 * their round trips (FTP: the DELEs of a chunk sent at once). The outcomes in the order of `files`; undefined
	 * for a file it did not get to because the session broke first.
	 */
	commitEach?(files: ReadonlyArray<{ file: F; sha256: string }>): Promise<Array<CommitOutcome | undefined>>;
	/**
	 * Optional: whether a session held open a while still answers (FTP: a NOOP; SFTP: a stat of the base
	 * directory). False when it broke: then `lost` is set. Without it a source counts as answering while not lost.
	 */
	answers?(): Promise<boolean>;
}

/** Opens a session, runs `work` with a source on it, and always closes the session, also on error. */
export type WithFileSource<F extends SourceFile = SourceFile> = <T>(work: (source: FileSource<F>) => Promise<T>) => Promise<T>;

// ------------------------------------------------------------------------------------------------
// What the remote sources (FTP, SFTP) share: their directories and their two errors

/** The remote protocols, as a message names them. */
export type RemoteProtocol = 'FTP' | 'SFTP';

/** A directory as the user typed it (relative to `relativeTo`, the login directory or the base), made absolute. */
export function absoluteDirectory(typed: string, relativeTo: string): string {
	const d = remoteDirectory(typed);
	return path.posix.resolve(relativeTo || '/', d);
}

/** Where `commit` moves files, absolute; undefined when it does not move. */
export function archiveDirectoryOf(options: Pick<FileSourceOptions, 'afterImport' | 'archiveDirectory'>, base: string): string | undefined {
	return options.afterImport === 'archive' ? absoluteDirectory(options.archiveDirectory, base) : undefined;
}

/** Where `fail` moves files, absolute; undefined when it does not move. */
export function errorDirectoryOf(options: Pick<FileSourceOptions, 'onFailure' | 'errorDirectory'>, base: string): string | undefined {
	return options.onFailure === 'errorDirectory' ? absoluteDirectory(options.errorDirectory, base) : undefined;
}

/** The session broke (socket closed, time-out, TLS error); what was not committed stays for the next run. */
export function sourceConnectionLost(protocol: RemoteProtocol, step: string, original: unknown): TransportError {
	return new TransportError(
		'connectionLost',
		`the connection to the ${protocol} server was lost while ${step}: ${(original as Error)?.message ?? String(original)}`,
		{ step },
	);
}

/** A directory of the configuration that does not exist on the server. */
export function sourceDirectoryMissing(protocol: RemoteProtocol, directory: string, serverMessage: string): TransportError {
	return new TransportError(
		'notFound',
		`The directory "${directory}" does not exist on the ${protocol} server or cannot be opened (${serverMessage}).`,
		{ hint: 'Create it, or correct the path.' },
	);
}
