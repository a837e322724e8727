import path from 'node:path';

import type { FileEntryWithStats } from 'ssh2';

import { looksInProgress, nameMatches, numberedNames, safeFileName } from './fileNames';
import type {
	AfterImport,
	CommitOutcome,
	FailOutcome,
	FileListing,
	FileRead,
	FilesRead,
	FileSource,
	FileSourceOptions,
	SourceFile,
	WithFileSource,
} from './fileSource';
import { absoluteDirectory, archiveDirectoryOf, errorDirectoryOf, readOneByOne, sourceConnectionLost, sourceDirectoryMissing } from './fileSource';
import type { Fingerprint, FingerprintStore } from './fingerprints';
import { directoriesToList } from './ftpSource';
import { isSftpRefusal, withSftpSession, type SftpCredentials, type SftpSession } from './sftp';
import { TransportError } from './transportError';

/**
 * An SFTP directory as a source of documents: the same consumer contract, options and guarantees as the FTP
 * source (list what waits, read, then commit or fail; nothing deleted before the caller holds the file's
 * content; a file whose delete or move failed is remembered by its fingerprint and never imported twice).
 * SFTP knows every file's exact modification time (in seconds) from the listing itself, so a remembered file
 * with an unchanged size and time is recognised without downloading it.
 */

type RemoteFile = SourceFile;
type SftpListing = FileListing<RemoteFile>;

const isoTime = (mtimeSeconds: number): string => new Date(mtimeSeconds * 1000).toISOString();
const isFile = (e: FileEntryWithStats): boolean => e.attrs.isFile();
const byName = (a: FileEntryWithStats, b: FileEntryWithStats) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0);

export class SftpSource implements FileSource<RemoteFile> {
	private base = '/';
	private readonly created = new Set<string>();
	lost: TransportError | undefined = undefined;

	constructor(
		private readonly session: SftpSession,
		private readonly options: FileSourceOptions,
		private readonly store: FingerprintStore,
	) {}

	get baseDirectory(): string {
		return this.base;
	}

	get afterImport(): AfterImport {
		return this.options.afterImport;
	}

	get archiveDirectory(): string | undefined {
		return archiveDirectoryOf(this.options, this.base);
	}

	get errorDirectory(): string | undefined {
		return errorDirectoryOf(this.options, this.base);
	}

	private get archiveTarget(): string {
		return absoluteDirectory(this.options.archiveDirectory, this.base);
	}

	private get errorTarget(): string {
		return absoluteDirectory(this.options.errorDirectory, this.base);
	}

	/** Learns the login directory (the base of relative paths) and checks that the base directory exists. */
	async open(): Promise<void> {
		let home: string;
		try {
			home = await this.session.realpath('.');
		} catch (error) {
			throw this.broke('opening the session', error);
		}
		this.base = absoluteDirectory(this.options.directory, home);
		if ((await this.kindOf(this.base)) !== 'directory') throw sourceDirectoryMissing('SFTP', this.base, 'no such directory');
	}

	/** The listing, the name filter and the upload checks of the FTP source, over SFTP's exact times. */
	async list(): Promise<SftpListing> {
		const o = this.options;
		const listing: SftpListing = { ready: [], inProgress: [], unsafe: [], deferred: 0, directories: [] };
		const candidates: RemoteFile[] = [];
		for (const dir of directoriesToList(this.base, o.dateSubdirectories, o.runDate ?? '', o.daysBack)) {
			const entries = await this.listDirectory(dir, o.dateSubdirectories === 'none');
			if (!entries) continue;
			listing.directories.push(dir);
			for (const entry of entries.filter(isFile).sort(byName)) {
				if (!nameMatches(entry.filename, o.nameFilter)) continue;
				const name = safeFileName(entry.filename);
				if (!name) {
					listing.unsafe.push({ directory: dir, name: entry.filename });
					continue;
				}
				const file: RemoteFile = { path: path.posix.join(dir, name), directory: dir, name, size: entry.attrs.size, modifiedAt: isoTime(entry.attrs.mtime) };
				(looksInProgress(name) ? listing.inProgress : candidates).push(file);
			}
		}
		let ready = candidates.length > 0 && o.stableWaitMs > 0 ? await this.stableOnly(candidates, listing) : candidates;
		if (o.maxFiles > 0 && ready.length > o.maxFiles) {
			listing.deferred = ready.length - o.maxFiles;
			ready = ready.slice(0, o.maxFiles);
		}
		listing.ready = ready;
		return listing;
	}

	/** After the upload wait: the candidates whose size and time did not change; the others are still being written. */
	private async stableOnly(candidates: RemoteFile[], listing: SftpListing): Promise<RemoteFile[]> {
		await (this.options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(this.options.stableWaitMs);
		const again = new Map<string, RemoteFile['size'] | string>();
		for (const dir of new Set(candidates.map((c) => c.directory))) {
			for (const e of (await this.listDirectory(dir, false)) ?? []) {
				if (isFile(e)) again.set(path.posix.join(dir, e.filename), `${e.attrs.size}|${isoTime(e.attrs.mtime)}`);
			}
		}
		const ready: RemoteFile[] = [];
		for (const c of candidates) {
			const later = again.get(c.path);
			if (later === `${c.size}|${c.modifiedAt}`) ready.push(c);
			else if (later !== undefined) listing.inProgress.push(c);
		}
		return ready;
	}

	/** Reads a file unless it was imported before (same path, size and settled time; else same content). */
	async readEach(files: readonly RemoteFile[]): Promise<FilesRead> {
		return await readOneByOne(files, async (file) => await this.read(file));
	}

	private async read(file: RemoteFile): Promise<FileRead> {
		const known = this.store.candidates(file.path, file.size);
		const same = known.find((e) => e.x === 1 && e.m === file.modifiedAt);
		if (same) {
			this.store.seen(same);
			return { kind: 'remembered', fingerprint: same };
		}
		if (file.size > this.options.maxFileBytes) return { kind: 'tooLarge', limit: this.options.maxFileBytes };
		let content: { bytes: Buffer; sha256: string; overflow: boolean };
		try {
			content = await this.session.readFile(file.path, this.options.maxFileBytes, file.size);
		} catch (error) {
			if (isSftpRefusal(error)) return { kind: 'changed', reason: `the server refused the download: ${error.message}` };
			throw this.broke(`downloading ${file.path}`, error);
		}
		if (content.overflow || content.bytes.length !== file.size) {
			return { kind: 'changed', reason: `its size changed from ${file.size} bytes since the listing` };
		}
		const before = this.store.findContent(file.path, file.size, content.sha256);
		if (before) {
			this.store.seen(before, { value: file.modifiedAt, exact: true });
			return { kind: 'remembered', fingerprint: before };
		}
		return { kind: 'content', bytes: content.bytes, sha256: content.sha256 };
	}

	/** Whether each file is still there with its listed size (see FileSource.present): the stats sent at once. */
	async present(files: readonly RemoteFile[]): Promise<boolean[]> {
		return await Promise.all(
			files.map(async (file) => {
				try {
					return (await this.session.stat(file.path)).size === file.size;
				} catch (error) {
					if (isSftpRefusal(error)) return false;
					throw this.broke(`looking for ${file.path}`, error);
				}
			}),
		);
	}

	/** Deletes, archives or keeps-and-remembers a file whose content the caller holds (see FtpSource.commit). */
	async commit(file: RemoteFile, sha256: string, options: { mustStay?: boolean } = {}): Promise<CommitOutcome> {
		const mode = options.mustStay ? 'keep' : this.options.afterImport;
		if (mode === 'keep') {
			this.store.remember(file, sha256, { value: file.modifiedAt, exact: true }, options.mustStay ? 'shared' : 'kept');
			return { kind: 'kept' };
		}
		const doing = mode === 'delete' ? 'deleted' : 'archived';
		if (this.lost) return this.rememberStuck(file, sha256, `the connection was lost before the file could be ${doing}`);
		try {
			if (mode === 'delete') {
				await this.session.unlink(file.path);
				return { kind: 'deleted' };
			}
			return { kind: 'moved', to: await this.moveInto(file, this.archiveTarget) };
		} catch (error) {
			if (!isSftpRefusal(error) || this.session.closed) {
				this.broke(`${mode === 'delete' ? 'deleting' : 'archiving'} ${file.path}`, error);
				return this.rememberStuck(file, sha256, `the connection was lost while the file was being ${doing}, so it may still be there`);
			}
			if ((await this.kindOf(file.path).catch(() => 'file')) === undefined) return { kind: 'gone' };
			return this.rememberStuck(file, sha256, `the server refused to ${mode === 'delete' ? 'delete' : 'move'} it (${error.message}); check the write right`);
		}
	}

	/** A remembered file whose delete or move failed before: deleted or moved now, quietly. */
	async retryCommit(file: RemoteFile, fingerprint: Fingerprint): Promise<CommitOutcome | undefined> {
		if (fingerprint.r !== 'stuck' || this.options.afterImport === 'keep' || this.lost) return undefined;
		try {
			if (this.options.afterImport === 'delete') {
				await this.session.unlink(file.path);
				return { kind: 'deleted' };
			}
			return { kind: 'moved', to: await this.moveInto(file, this.archiveTarget) };
		} catch (error) {
			if (!isSftpRefusal(error)) this.broke(`retrying the delete of ${file.path}`, error);
			return undefined;
		}
	}

	/** A file that could not be imported: stays, or moves to the error directory. */
	async fail(file: RemoteFile): Promise<FailOutcome> {
		if (this.options.onFailure === 'keep') return { kind: 'kept' };
		if (this.lost) return { kind: 'moveFailed', reason: 'the connection was lost' };
		try {
			return { kind: 'moved', to: await this.moveInto(file, this.errorTarget) };
		} catch (error) {
			if (!isSftpRefusal(error)) {
				this.broke(`moving ${file.path} to the error directory`, error);
				return { kind: 'moveFailed', reason: 'the connection was lost' };
			}
			return { kind: 'moveFailed', reason: `the server refused the move (${error.message})` };
		}
	}

	async answers(): Promise<boolean> {
		if (this.lost) return false;
		try {
			await this.session.stat(this.base);
		} catch (error) {
			if (isSftpRefusal(error)) return true;
			this.broke('checking that the session still answers', error);
			return false;
		}
		return true;
	}

	// ---- helpers

	private async listDirectory(dir: string, mustExist: boolean): Promise<FileEntryWithStats[] | undefined> {
		try {
			return await this.session.readdir(dir);
		} catch (error) {
			if (!isSftpRefusal(error)) throw this.broke(`listing ${dir}`, error);
			if (mustExist) throw sourceDirectoryMissing('SFTP', dir, error.message);
			return undefined;
		}
	}

	/** 'file', 'directory', 'other', or undefined when nothing is there (or it cannot be seen). */
	private async kindOf(remotePath: string): Promise<'file' | 'directory' | 'other' | undefined> {
		try {
			const s = await this.session.stat(remotePath);
			return s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
		} catch (error) {
			if (isSftpRefusal(error)) return undefined;
			throw this.broke(`looking for ${remotePath}`, error);
		}
	}

	private rememberStuck(file: RemoteFile, sha256: string, reason: string): CommitOutcome {
		this.store.remember(file, sha256, { value: file.modifiedAt, exact: true }, 'stuck');
		return { kind: 'remembered', reason };
	}

	/**
	 * Moves a file into a directory (created when missing) under its own name, or `name_2.ext` … when taken.
	 * SFTP's plain rename does not replace an existing file on OpenSSH, so an older archived file is never lost.
	 */
	private async moveInto(file: RemoteFile, dir: string): Promise<string> {
		if (!this.created.has(dir)) {
			await this.session.mkdirs(dir);
			this.created.add(dir);
		}
		for (const name of numberedNames(file.name)) {
			const target = path.posix.join(dir, name);
			if ((await this.kindOf(target)) !== undefined) continue;
			await this.session.rename(file.path, target);
			return target;
		}
		throw new TransportError('refusedByServer', `no free name for ${file.name} in ${dir}`);
	}

	private broke(step: string, error: unknown): TransportError {
		// an error made here already (it names its step) passes; anything else is described with this step
		const lost = error instanceof TransportError && error.kind === 'connectionLost' && error.step !== undefined ? error : sourceConnectionLost('SFTP', step, error);
		this.lost ??= lost;
		return lost;
	}
}

/** An SFTP directory as a source: one session per run, always closed (the shape of `ftpFileSource`). */
export function sftpFileSource(c: SftpCredentials, options: FileSourceOptions, store: FingerprintStore): WithFileSource<RemoteFile> {
	return async (work) =>
		await withSftpSession(c, async (session) => await work(new SftpSource(session, options, store)));
}
