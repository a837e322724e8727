import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

import { looksInProgress, nameMatches, numberedNames } from './fileNames';
import type { WithFileSink } from './fileSink';
import { readOneByOne, type CommitOutcome, type FailOutcome, type FileListing, type FileRead, type FileSource, type FilesRead, type SourceFile, type WithFileSource } from './fileSource';
import { TransportError } from './transportError';

/**
 * A local directory — or one a cloud client (Nextcloud, OneDrive, Dropbox) keeps in sync — as a source and a
 * sink of documents, with the same contract as the FTP source (Apache Camel's file component):
 * - the source `list`s what waits (leaving out what is still being written: a temporary name such as
 *   `.tmp`/`.part`/`.crdownload` or a dot-name, or a size or time that changes while it is watched),
 *   `read`s a file, and then `commit`s it (moves it into `processed/`) or `fail`s it (moves it into `failed/`);
 * - the sink writes a file under a temporary name, flushes it to disk and renames it, so that a reader on
 *   the other side (or the sync client) never sees half a file.
 *
 * Nothing is deleted; moves stay inside the directory's own file system, so a rename is atomic. No state
 * between runs is needed: whatever still lies in the directory has not been handed over.
 */

export interface FolderSourceOptions {
	/** the directory to read, absolute */
	directory: string;
	/** where imported files go; relative paths are relative to `directory` */
	processedDirectory: string;
	/** where files that could not be imported go; relative paths are relative to `directory` */
	failedDirectory: string;
	/** a part of the file name (case ignored), or a glob with `*` and `?` for the whole name; empty: every file */
	nameFilter: string;
	/** wait between the two looks that tell a finished file from one still being written; 0: one look */
	stableWaitMs: number;
	maxFileBytes: number;
	/** files handed out per run at most; 0: no limit */
	maxFiles: number;
	/** waits without holding the event loop; n8n's `sleep` in the node */
	sleep: (ms: number) => Promise<void>;
}

export interface LocalFile extends SourceFile {
	/** for the stability check: the time to the millisecond */
	modifiedMs: number;
}

/** The directory of the configuration does not exist (or is no directory). */
function folderMissing(directory: string, reason: string): TransportError {
	return new TransportError('notFound', `The folder "${directory}" ${reason}.`, { hint: 'Create it, or correct the path.' });
}

/** An absolute directory from what the user typed; a relative one counts from `base`. */
export function resolveDirectory(typed: string, base: string): string {
	const d = typed.trim();
	return path.resolve(base, d === '' ? '.' : d);
}

/** Runs a file system call; ENOENT (the path does not exist) gives undefined, other errors are thrown. */
async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
	const result = await call.then(
		(value) => ({ value }),
		(error: unknown) => ({ error }),
	);
	if ('value' in result) return result.value;
	if (errnoOf(result.error) === 'ENOENT') return undefined;
	throw result.error;
}

async function ensureDirectory(directory: string): Promise<void> {
	// the outcome as data, not `instanceof Error`: errors of Node's fs may come from another realm (jest, vm)
	const looked = await stat(directory).then(
		(info) => ({ info }),
		(error: NodeJS.ErrnoException) => ({ error }),
	);
	// a missing sync folder means the cloud client is not running or the path is wrong; creating it here
	// would write documents nobody ever receives
	if ('error' in looked) {
		const { error } = looked;
		throw folderMissing(directory, error.code === 'ENOENT' ? 'does not exist' : `cannot be opened (${error.message})`);
	}
	if (!looked.info.isDirectory()) throw folderMissing(directory, 'is a file, not a folder');
}

function errnoOf(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

export class FolderSource implements FileSource<LocalFile> {
	/** a local directory has no session that could break */
	readonly lost = undefined;
	private readonly created = new Set<string>();

	constructor(private readonly options: FolderSourceOptions) {}

	get directory(): string {
		return path.resolve(this.options.directory);
	}

	get baseDirectory(): string {
		return this.directory;
	}

	get processedDirectory(): string {
		return resolveDirectory(this.options.processedDirectory, this.directory);
	}

	get failedDirectory(): string {
		return resolveDirectory(this.options.failedDirectory, this.directory);
	}

	/** an imported file always moves to the processed folder */
	readonly afterImport = 'archive' as const;

	get archiveDirectory(): string {
		return this.processedDirectory;
	}

	get errorDirectory(): string {
		return this.failedDirectory;
	}

	/** Checks that the directory exists and that processed/failed are not the directory itself. */
	async open(): Promise<void> {
		await ensureDirectory(this.directory);
		for (const [label, dir] of [
			['processed', this.processedDirectory],
			['failed', this.failedDirectory],
		] as const) {
			if (dir === this.directory) {
				throw new Error(`The ${label} folder must differ from the folder that is read; use a subfolder such as "${label}"`);
			}
		}
	}

	/**
	 * The files of the directory (subdirectories are not entered: `processed/` and `failed/` live there),
	 * whose name matches, without those still being written. With a wait, a file whose size or time changes
	 * between the two looks is left for the next run — a writer that does not use a temporary name.
	 */
	async list(): Promise<FileListing<LocalFile>> {
		const listing: FileListing<LocalFile> = { ready: [], inProgress: [], unsafe: [], deferred: 0, directories: [this.directory] };
		const candidates: LocalFile[] = [];
		const entries = await readdir(this.directory, { withFileTypes: true });
		entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
		for (const entry of entries) {
			if (!entry.isFile() || !nameMatches(entry.name, this.options.nameFilter)) continue;
			const file = await this.look(entry.name);
			if (!file) continue;
			if (looksInProgress(entry.name)) listing.inProgress.push(file);
			else candidates.push(file);
		}
		let ready = candidates;
		if (candidates.length > 0 && this.options.stableWaitMs > 0) {
			await this.options.sleep(this.options.stableWaitMs);
			ready = [];
			for (const before of candidates) {
				const after = await this.look(before.name);
				if (!after) continue;
				if (after.size === before.size && after.modifiedMs === before.modifiedMs) ready.push(before);
				else listing.inProgress.push(after);
			}
		}
		if (this.options.maxFiles > 0 && ready.length > this.options.maxFiles) {
			listing.deferred = ready.length - this.options.maxFiles;
			ready = ready.slice(0, this.options.maxFiles);
		}
		listing.ready = ready;
		return listing;
	}

	/** One file's size and time, or undefined when it vanished meanwhile. */
	private async look(name: string): Promise<LocalFile | undefined> {
		const filePath = path.join(this.directory, name);
		const info = await unlessMissing(stat(filePath));
		if (!info?.isFile()) return undefined;
		return { path: filePath, directory: this.directory, name, size: info.size, modifiedAt: info.mtime.toISOString(), modifiedMs: info.mtimeMs };
	}

	/** Reads a file into memory; a file that is not what the listing said is left for the next run. */
	async readEach(files: readonly LocalFile[]): Promise<FilesRead> {
		return await readOneByOne(files, async (file) => await this.read(file));
	}

	private async read(file: LocalFile): Promise<FileRead> {
		if (file.size > this.options.maxFileBytes) return { kind: 'tooLarge', limit: this.options.maxFileBytes };
		const handle = await unlessMissing(open(file.path, 'r'));
		if (!handle) return { kind: 'changed', reason: 'the file vanished since the listing' };
		try {
			const info = await handle.stat();
			if (info.size !== file.size || info.mtimeMs !== file.modifiedMs) {
				return { kind: 'changed', reason: `it changed since the listing (${file.size} → ${info.size} bytes)` };
			}
			const bytes = await handle.readFile();
			if (bytes.length !== file.size) {
				return { kind: 'changed', reason: `its size changed from ${file.size} to ${bytes.length} bytes while it was read` };
			}
			return { kind: 'content', bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
		} finally {
			await handle.close();
		}
	}

	/** Whether each file is still in the folder as listed (same size and time; see FileSource.present). */
	async present(files: readonly LocalFile[]): Promise<boolean[]> {
		return await Promise.all(
			files.map(async (file) => {
				const info = await unlessMissing(stat(file.path));
				return info !== undefined && info.size === file.size && info.mtimeMs === file.modifiedMs;
			}),
		);
	}

	/** Moves an imported file into the processed directory (whatever lies in the folder has not been handed over: no memory needed). */
	async commit(file: LocalFile): Promise<CommitOutcome> {
		return await this.moveInto(file, this.processedDirectory);
	}

	/** Moves a file that could not be imported into the failed directory. */
	async fail(file: LocalFile): Promise<FailOutcome> {
		return await this.moveInto(file, this.failedDirectory);
	}

	/** A folder source remembers nothing: there is never a remembered file to settle. */
	async retryCommit(): Promise<undefined> {
		return undefined;
	}

	/**
	 * Moves a file under its own name, or `name_2.ext`, `name_3.ext` … when that is taken: rename() replaces
	 * silently, and the processed folder must not lose the older file of the same name.
	 */
	private async moveInto(file: LocalFile, directory: string): Promise<{ kind: 'moved'; to: string } | { kind: 'gone' } | { kind: 'moveFailed'; reason: string }> {
		try {
			if (!this.created.has(directory)) {
				await mkdir(directory, { recursive: true });
				this.created.add(directory);
			}
			for (const name of numberedNames(file.name)) {
				const target = path.join(directory, name);
				if (await exists(target)) continue;
				await rename(file.path, target);
				return { kind: 'moved', to: target };
			}
			return { kind: 'moveFailed', reason: `no free name for ${file.name} in ${directory}` };
		} catch (error) {
			if (errnoOf(error) === 'ENOENT' && !(await exists(file.path))) return { kind: 'gone' };
			return { kind: 'moveFailed', reason: (error as Error).message };
		}
	}
}

/** The folder as a `WithFileSource`: there is no session to open or close. */
export function folderFileSource(options: FolderSourceOptions): WithFileSource<LocalFile> {
	return async (work) => await work(new FolderSource(options));
}

async function exists(filePath: string): Promise<boolean> {
	try {
		await access(filePath, fsConstants.F_OK);
		return true;
	} catch {
		return false;
	}
}

/**
 * Writes `bytes` as `directory/name`: first under a hidden temporary name in the same directory (which
 * readers and the FTP/folder sources leave alone), flushed to disk, then renamed — a rename within one file
 * system is atomic, so a reader sees the whole file or none. An existing file of that name is replaced:
 * the newer version of a document supersedes one not yet picked up. The directory must exist.
 */
export async function writeFileAtomically(directory: string, name: string, bytes: Buffer): Promise<string> {
	const dir = path.resolve(directory);
	await ensureDirectory(dir);
	if (name !== path.basename(name) || name === '' || name.startsWith('.')) {
		throw new Error(`"${name}" is not a plain file name`);
	}
	const target = path.join(dir, name);
	const temporary = path.join(dir, `.${name}.${randomBytes(4).toString('hex')}.part`);
	const handle = await open(temporary, 'wx', 0o644);
	let renamed = false;
	try {
		try {
			await handle.writeFile(bytes);
			await handle.sync();
		} finally {
			await handle.close();
		}
		await rename(temporary, target);
		renamed = true;
	} finally {
		// a failed write leaves no temporary file behind
		if (!renamed) await unlink(temporary).catch(() => undefined);
	}
	return target;
}

/** A folder as a `FileSink`; it must exist (a missing sync folder is not created: nobody would receive what lands there). */
export function folderFileSink(directory: string): WithFileSink {
	const dir = path.resolve(directory);
	return async (work) => {
		await ensureDirectory(dir);
		return await work({
			directory: dir,
			where: dir,
			async deliver(name: string, bytes: Buffer): Promise<string> {
				try {
					return await writeFileAtomically(dir, name, bytes);
				} catch (error) {
					throw refusedFile(error);
				}
			},
		});
	};
}

/** A local folder has no session to lose: every failure of a write (rights, a full disk, a bad name) is this file's alone. */
function refusedFile(error: unknown): TransportError {
	return new TransportError('refusedByServer', (error as Error).message, { code: errnoOf(error) });
}
