import path from 'node:path';

import type { Client, FileInfo } from 'basic-ftp';

import { ftpStep, isRefusal, withFtpClient, type FtpCredentials } from './ftp';
import { downloadTogether, passiveCommandOf, sendTogether, type Downloaded, type FtpReply, type PassiveCommand } from './ftpPipeline';
import { looksInProgress, nameMatches, numberedNames, safeFileName } from './fileNames';
import type { Fingerprint, FingerprintStore } from './fingerprints';
import type {
	AfterImport,
	CommitOutcome,
	DateSubdirectories,
	FailOutcome,
	FileListing,
	FileRead,
	FilesRead,
	FileSource,
	FileSourceOptions,
	SourceFile,
	WithFileSource,
} from './fileSource';
import { absoluteDirectory, archiveDirectoryOf, errorDirectoryOf, sourceConnectionLost, sourceDirectoryMissing } from './fileSource';
import { TransportError } from './transportError';

export type { AfterImport, CommitOutcome, DateSubdirectories, FailOutcome, OnFailure } from './fileSource';
export { absoluteDirectory } from './fileSource';

/**
 * An FTP directory as a source of documents, with the consumer contract of Apache Camel's file component
 * over ONE session: `list` what waits (skipping what is still being uploaded), `read` a file into memory,
 * then `commit` it (delete · move to an archive directory · keep and remember) or `fail` it (keep · move
 * to an error directory).
 *
 * Never twice: a file that was imported but could not be deleted or moved (no write right, connection
 * lost while deleting), or that is kept on purpose, is remembered by a fingerprint (path, size,
 * modification time, SHA-256 of the content) in a `FingerprintStore`, and `read` reports it as
 * remembered instead of handing it out again. Never lost: nothing is deleted or moved before the caller
 * commits, and the caller commits only after it holds every payment of the file.
 *
 * Memory: the files read together (a window of the consumer, bounded by its bytes), each bounded by
 * `maxFileBytes`; the directory listing is the only thing that grows with the directory.
 */

/** DELEs sent in one write by `commitEach`: one round trip per chunk; a chunk's replies (~40 bytes each) fit any buffer. */
const PIPELINED_DELES = 64;

/** A file as the FTP listing showed it. */
export type RemoteFile = SourceFile;
export type FtpListing = FileListing<RemoteFile>;
export type FtpSourceOptions = FileSourceOptions;

// ------------------------------------------------------------------------------------------------
// Names and directories (pure)

/** Days before a date, as ISO dates, oldest first: `isoDatesBack('2025-03-01', 2)` → 02-27, 02-28, 03-01. */
export function isoDatesBack(runDate: string, daysBack: number): string[] {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(runDate);
	if (!m) throw new Error(`the run date "${runDate}" is not YYYY-MM-DD`);
	const base = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
	const out: string[] = [];
	for (let k = Math.max(0, Math.floor(daysBack)); k >= 0; k--) {
		out.push(new Date(base - k * 86_400_000).toISOString().slice(0, 10));
	}
	return out;
}

/** The subdirectory of one date: `YYYY/MM/DD` of 2025-03-14 is `2025/03/14`. */
export function dateSubdirectory(isoDate: string, layout: Exclude<DateSubdirectories, 'none'>): string {
	const [y, mo, d] = isoDate.split('-');
	switch (layout) {
		case 'YYYY':
			return y;
		case 'YYYY/MM':
			return `${y}/${mo}`;
		case 'YYYY/MM/DD':
			return `${y}/${mo}/${d}`;
		case 'YYYY-MM-DD':
			return isoDate;
	}
}

/**
 * The absolute directories to list: the base directory itself, or its date subdirectories for the run
 * date and the days before, oldest first and each once (the ten days before a date share one `YYYY`).
 */
export function directoriesToList(
	base: string,
	layout: DateSubdirectories,
	runDate: string,
	daysBack: number,
): string[] {
	if (layout === 'none') return [base];
	const dirs = isoDatesBack(runDate, daysBack).map((d) => path.posix.join(base, dateSubdirectory(d, layout)));
	return [...new Set(dirs)];
}

/** A directory as typed (relative to `relativeTo`, or absolute) as an absolute, normalised path. */

// ------------------------------------------------------------------------------------------------
// The consumer

/** A refused command (an FTP error reply) leaves the session usable; anything else broke it. */
function listedTime(info: FileInfo): string {
	return info.modifiedAt ? info.modifiedAt.toISOString() : info.rawModifiedAt;
}

export class FtpSource implements FileSource<RemoteFile> {
	/** the login directory, the base of relative paths */
	private home = '/';
	private base = '/';
	private hasMdtm = false;
	private readonly created = new Set<string>();
	/** set when the session broke; nothing more is done on it */
	lost: TransportError | undefined = undefined;

	constructor(
		private readonly client: Client,
		private readonly options: FtpSourceOptions,
		private readonly store: FingerprintStore,
	) {}

	/** The base directory (absolute), known after `open`. */
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

	/** Learns the login directory and the server's features; checks that the base directory exists. */
	async open(): Promise<void> {
		await this.guard('opening the session', async () => {
			this.home = await this.ftp((c) => c.pwd());
			this.base = absoluteDirectory(this.options.directory, this.home);
			this.hasMdtm = (await this.ftp((c) => c.features())).has('MDTM');
		});
		if (!(await this.exists(this.base, 'directory'))) throw sourceDirectoryMissing('FTP', this.base, 'no such directory');
	}

	/**
	 * Lists the directories, keeps the files whose name matches, and tells finished files from files still
	 * being uploaded: a partial-upload name, or (with a wait) a size or time that changed between two listings.
	 * The second listing only happens when there is something to compare.
	 */
	async list(): Promise<FtpListing> {
		const dirs = directoriesToList(this.base, this.options.dateSubdirectories, this.options.runDate ?? '', this.options.daysBack);
		const listing: FtpListing = { ready: [], inProgress: [], unsafe: [], deferred: 0, directories: [] };
		const candidates: RemoteFile[] = [];
		for (const dir of dirs) {
			// the base directory must exist (checked by open); a date subdirectory not made yet is simply empty
			const infos = await this.listDirectory(dir, this.options.dateSubdirectories === 'none');
			if (!infos) continue;
			listing.directories.push(dir);
			const files = infos.filter((f) => f.isFile).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
			for (const info of files) {
				if (!nameMatches(info.name, this.options.nameFilter)) continue;
				const name = safeFileName(info.name);
				if (!name) {
					listing.unsafe.push({ directory: dir, name: info.name });
					continue;
				}
				const file: RemoteFile = { path: path.posix.join(dir, name), directory: dir, name, size: info.size, modifiedAt: listedTime(info) };
				if (looksInProgress(name)) listing.inProgress.push(file);
				else candidates.push(file);
			}
		}
		let ready = candidates;
		if (candidates.length > 0 && this.options.stableWaitMs > 0) {
			await (this.options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(this.options.stableWaitMs);
			const again = new Map<string, { size: number; modifiedAt: string }>();
			for (const dir of new Set(candidates.map((c) => c.directory))) {
				for (const info of (await this.listDirectory(dir, false)) ?? []) {
					if (info.isFile) again.set(path.posix.join(dir, info.name), { size: info.size, modifiedAt: listedTime(info) });
				}
			}
			ready = [];
			for (const c of candidates) {
				const later = again.get(c.path);
				if (later && later.size === c.size && later.modifiedAt === c.modifiedAt) ready.push(c);
				else if (later) listing.inProgress.push(c);
				// a file gone between the listings was taken by someone else: nothing to do
			}
		}
		if (this.options.maxFiles > 0 && ready.length > this.options.maxFiles) {
			listing.deferred = ready.length - this.options.maxFiles;
			ready = ready.slice(0, this.options.maxFiles);
		}
		listing.ready = ready;
		return listing;
	}

	/**
	 * Reads files into memory, in their order, unless imported before: a remembered file with the same path, size
	 * and exact modification time is not even downloaded; with the same path and size it is downloaded and compared
	 * by content. A file that is not what the listing said (size differs, vanished) is left for the next run, as an
	 * upload still in progress. The downloads go out together (`downloadTogether`: one write of EPSV + RETR per
	 * file); a file that needs its time looked up first ends the group before it.
	 */
	async readEach(files: readonly RemoteFile[]): Promise<FilesRead> {
		const reads: FileRead[] = [];
		let group: Array<{ file: RemoteFile; exactTime?: string }> = [];
		try {
			for (const file of files) {
				const known = this.hasMdtm ? this.store.candidates(file.path, file.size) : [];
				if (!known.length) {
					group.push({ file });
					continue;
				}
				await this.readGroup(group, reads);
				group = [];
				const exactTime = await this.modificationTime(file);
				const same = exactTime ? known.find((e) => e.x === 1 && e.m === exactTime) : undefined;
				if (same) {
					this.store.seen(same);
					reads.push({ kind: 'remembered', fingerprint: same });
				} else {
					group.push({ file, exactTime });
				}
			}
			await this.readGroup(group, reads);
			return { reads };
		} catch (error) {
			return { reads, error };
		}
	}

	/** The files of `group` read, in order, onto `reads`: the downloads of those not too large sent together. */
	private async readGroup(group: ReadonlyArray<{ file: RemoteFile; exactTime?: string }>, reads: FileRead[]): Promise<void> {
		const wanted = group.filter(({ file }) => file.size <= this.options.maxFileBytes);
		const downloaded: Downloaded[] = [];
		let broken: TransportError | undefined;
		try {
			if (wanted.length) {
				const passive = await this.passiveCommand();
				const downloads = wanted.map(({ file }) => ({ path: file.path, limit: this.options.maxFileBytes }));
				await this.ftp(async (c, progressed) => await downloadTogether(c.ftp, passive, downloads, downloaded, progressed));
			}
		} catch (error) {
			broken = this.broke(`downloading ${wanted[downloaded.length]?.file.path ?? 'a file'}`, error);
		}
		let next = 0;
		for (const { file, exactTime } of group) {
			if (file.size > this.options.maxFileBytes) {
				reads.push({ kind: 'tooLarge', limit: this.options.maxFileBytes });
				continue;
			}
			const download = downloaded[next++];
			if (!download) throw broken ?? new Error(`${file.path} was not downloaded`);
			reads.push(this.readOf(file, download, exactTime));
		}
	}

	/** What a download gave for the file: its content, or why it is left (refused, changed), or remembered by content. */
	private readOf(file: RemoteFile, download: Downloaded, exactTime: string | undefined): FileRead {
		if (download.kind === 'refused') return { kind: 'changed', reason: `the server refused the download: ${download.message}` };
		if (download.overflow || download.received !== file.size) {
			return { kind: 'changed', reason: `its size changed from ${file.size} to ${download.received} bytes since the listing` };
		}
		const before = this.store.findContent(file.path, file.size, download.sha256);
		if (before) {
			this.store.seen(before, exactTime ? { value: exactTime, exact: true } : undefined);
			return { kind: 'remembered', fingerprint: before };
		}
		return { kind: 'content', bytes: download.bytes, sha256: download.sha256 };
	}

	/**
	 * How this session opens data connections: what basic-ftp settled on in the listing (EPSV, else PASV); a
	 * session that has made no transfer yet makes one to find out (basic-ftp's own trial), and drops its connection.
	 */
	private async passiveCommand(): Promise<PassiveCommand> {
		const known = passiveCommandOf(this.client);
		if (known) return known;
		await this.ftp(async (c) => await c.prepareTransfer(c.ftp));
		this.client.ftp.dataSocket = undefined;
		return passiveCommandOf(this.client) ?? 'PASV';
	}

	/**
	 * Commits a file whose every payment the caller now holds: deletes it, moves it to the archive directory
	 * or keeps and remembers it (`mustStay` keeps it whatever the mode: it also holds other clients' data).
	 * A refused delete or move, or a connection lost while deleting, remembers the file, so the payments the
	 * caller holds are emitted once and the file is not imported again. A file that vanished before the delete
	 * was taken by a concurrent run: the caller must drop its payments.
	 */
	async commit(file: RemoteFile, sha256: string, options: { mustStay?: boolean } = {}): Promise<CommitOutcome> {
		const mode = options.mustStay ? 'keep' : this.options.afterImport;
		if (mode === 'keep') {
			const time = await this.timeToRemember(file);
			this.store.remember(file, sha256, time, options.mustStay ? 'shared' : 'kept');
			return { kind: 'kept' };
		}
		if (this.lost) return this.rememberStuck(file, sha256, `the connection was lost before the file could be ${mode === 'delete' ? 'deleted' : 'archived'}`);
		try {
			if (mode === 'delete') {
				await this.ftp((c) => c.remove(file.path));
				return { kind: 'deleted' };
			}
			const to = await this.moveInto(file, this.archiveTarget);
			return { kind: 'moved', to };
		} catch (error) {
			if (!isRefusal(error, this.client)) {
				this.broke(`${mode === 'delete' ? 'deleting' : 'archiving'} ${file.path}`, error);
				return this.rememberStuck(file, sha256, `the connection was lost while the file was being ${mode === 'delete' ? 'deleted' : 'archived'}, so it may still be there`);
			}
			const still = await this.exists(file.path, 'file').catch(() => true);
			if (!still) return { kind: 'gone' };
			return this.rememberStuck(file, sha256, `the server refused to ${mode === 'delete' ? 'delete' : 'move'} it (${error.message}); check the write right`);
		}
	}

	/**
	 * Commits files as `commit` does, in their order. In delete mode the DELEs go out in chunks of
	 * `PIPELINED_DELES`, each chunk in one write, the replies read in order (RFC 959 servers read the control
	 * connection one command after the other): one round trip per chunk instead of one per file. A refusal is
	 * looked at after its chunk (gone, or remembered as stuck); when the session breaks, every file of the chunk
	 * without a reply may or may not be deleted and is remembered as stuck, as `commit` remembers the one in
	 * flight; the files of later chunks get no outcome. Other modes: one file after the other.
	 */
	async commitEach(files: ReadonlyArray<{ file: RemoteFile; sha256: string }>): Promise<Array<CommitOutcome | undefined>> {
		const outcomes: Array<CommitOutcome | undefined> = [];
		const pipelined = this.options.afterImport === 'delete' && files.every(({ file }) => !/[\r\n\0]/.test(file.path));
		for (let start = 0; start < files.length && !this.lost; start += pipelined ? PIPELINED_DELES : 1) {
			const chunk = files.slice(start, start + (pipelined ? PIPELINED_DELES : 1));
			if (!pipelined) {
				outcomes.push(await this.commit(chunk[0].file, chunk[0].sha256));
				continue;
			}
			const replies = await this.pipelined(chunk.map(({ file }) => `DELE ${file.path}`), (n) => `deleting ${chunk[n].file.path}`);
			for (const [index, { file, sha256 }] of chunk.entries()) outcomes.push(await this.deleteOutcome(file, sha256, replies[index]));
		}
		return outcomes;
	}

	/** `commands` in one write (`sendTogether`); per command its reply, shorter when the session broke first (`doing(n)` names the n-th). */
	private async pipelined(commands: string[], doing: (n: number) => string): Promise<FtpReply[]> {
		const replies: FtpReply[] = [];
		try {
			await this.ftp(async (c) => await sendTogether(c.ftp, commands, replies));
		} catch (error) {
			this.broke(doing(replies.length), error);
		}
		return replies;
	}

	/**
	 * Whether each file is still there with its listed size: the SIZEs in one write. A file whose SIZE is refused
	 * (550) is gone; one whose SIZE the server does not answer with a size (not implemented) counts as there.
	 */
	async present(files: readonly RemoteFile[]): Promise<boolean[]> {
		if (files.some((f) => /[\r\n\0]/.test(f.path))) {
			const one: boolean[] = [];
			for (const file of files) one.push(await this.exists(file.path, 'file'));
			return one;
		}
		const replies = files.length ? await this.pipelined(files.map((f) => `SIZE ${f.path}`), (n) => `looking for ${files[n].path}`) : [];
		if (replies.length < files.length) throw this.lost ?? new TransportError('connectionLost', `the connection was lost while looking for ${files[replies.length].path}`);
		return replies.map(({ code, message }, i) => (code === 213 ? Number(message.slice(4).trim()) === files[i].size : code !== 550));
	}

	private async deleteOutcome(file: RemoteFile, sha256: string, reply: FtpReply | undefined): Promise<CommitOutcome> {
		if (reply !== undefined && reply.code < 400) return { kind: 'deleted' };
		if (reply === undefined || this.lost) return this.rememberStuck(file, sha256, 'the connection was lost while the file was being deleted, so it may still be there');
		const still = await this.exists(file.path, 'file').catch(() => true);
		if (!still) return { kind: 'gone' };
		return this.rememberStuck(file, sha256, `the server refused to delete it (${reply.message}); check the write right`);
	}

	/**
	 * A remembered file found again. In delete and archive mode a file remembered because its delete or move
	 * failed is deleted or moved now; a refusal again is quiet (it was reported when it was imported).
	 */
	async retryCommit(file: RemoteFile, fingerprint: Fingerprint): Promise<CommitOutcome | undefined> {
		if (fingerprint.r !== 'stuck' || this.options.afterImport === 'keep' || this.lost) return undefined;
		try {
			if (this.options.afterImport === 'delete') {
				await this.ftp((c) => c.remove(file.path));
				return { kind: 'deleted' };
			}
			return { kind: 'moved', to: await this.moveInto(file, this.archiveTarget) };
		} catch (error) {
			if (!isRefusal(error, this.client)) this.broke(`retrying the delete of ${file.path}`, error);
			return undefined;
		}
	}

	/** A file that could not be imported: stays (default) or moves to the error directory. */
	async fail(file: RemoteFile): Promise<FailOutcome> {
		if (this.options.onFailure === 'keep') return { kind: 'kept' };
		if (this.lost) return { kind: 'moveFailed', reason: 'the connection was lost' };
		try {
			return { kind: 'moved', to: await this.moveInto(file, this.errorTarget) };
		} catch (error) {
			if (!isRefusal(error, this.client)) {
				this.broke(`moving ${file.path} to the error directory`, error);
				return { kind: 'moveFailed', reason: 'the connection was lost' };
			}
			return { kind: 'moveFailed', reason: `the server refused the move (${error.message})` };
		}
	}

	async answers(): Promise<boolean> {
		if (this.lost) return false;
		try {
			await this.ftp((c) => c.send('NOOP'));
		} catch (error) {
			if (isRefusal(error, this.client)) return true;
			this.broke('checking that the session still answers', error);
			return false;
		}
		return true;
	}

	// ---- helpers

	/** LIST of one directory after changing into it, so that a missing directory is told apart from an empty one. */
	private async listDirectory(dir: string, mustExist: boolean): Promise<FileInfo[] | undefined> {
		try {
			await this.ftp((c) => c.cd(dir));
		} catch (error) {
			if (!isRefusal(error, this.client)) throw this.broke(`opening ${dir}`, error);
			if (mustExist) throw sourceDirectoryMissing('FTP', dir, error.message);
			return undefined;
		}
		try {
			return await this.ftp((c) => c.list());
		} catch (error) {
			throw this.broke(`listing ${dir}`, error);
		}
	}

	private async exists(remotePath: string, what: 'file' | 'directory'): Promise<boolean> {
		try {
			if (what === 'directory') await this.ftp((c) => c.cd(remotePath));
			else await this.ftp((c) => c.size(remotePath));
			return true;
		} catch (error) {
			if (isRefusal(error, this.client)) return false;
			throw this.broke(`looking for ${remotePath}`, error);
		}
	}

	private async modificationTime(file: RemoteFile): Promise<string | undefined> {
		try {
			return (await this.ftp((c) => c.lastMod(file.path))).toISOString();
		} catch (error) {
			if (isRefusal(error, this.client)) return undefined;
			throw this.broke(`asking the time of ${file.path}`, error);
		}
	}

	private async timeToRemember(file: RemoteFile): Promise<{ value: string; exact: boolean }> {
		if (this.hasMdtm && !this.lost) {
			try {
				const exact = await this.modificationTime(file);
				if (exact) return { value: exact, exact: true };
			} catch {
				// the connection broke; the listing's time will do, the content hash identifies the file anyway
			}
		}
		return { value: file.modifiedAt, exact: false };
	}

	private rememberStuck(file: RemoteFile, sha256: string, reason: string): CommitOutcome {
		this.store.remember(file, sha256, { value: file.modifiedAt, exact: false }, 'stuck');
		return { kind: 'remembered', reason };
	}

	/**
	 * Moves a file into a directory (created when missing) under its own name, or under `name_2.ext`,
	 * `name_3.ext` … when that is taken: RNTO overwrites silently on most servers, and an archive must not
	 * lose the older file of the same name.
	 */
	private async moveInto(file: RemoteFile, dir: string): Promise<string> {
		if (!this.created.has(dir)) {
			await this.ftp((c) => c.ensureDir(dir));
			this.created.add(dir);
		}
		for (const name of numberedNames(file.name)) {
			const target = path.posix.join(dir, name);
			if (await this.exists(target, 'file')) continue;
			await this.ftp((c) => c.rename(file.path, target));
			return target;
		}
		throw new TransportError('refusedByServer', `no free name for ${file.name} in ${dir}`);
	}

	/** One command (or several sent together), bounded: see `ftpStep`. */
	private async ftp<T>(command: (client: Client, progressed: () => void) => Promise<T>): Promise<T> {
		return await ftpStep(this.client, async (progressed) => await command(this.client, progressed));
	}

	/** Records that the session broke (the first break is the one reported) and returns the error to throw. */
	private broke(step: string, error: unknown): TransportError {
		// an error made here already (it names its step) passes; anything else is described with this step
		const lost = error instanceof TransportError && error.kind === 'connectionLost' && error.step !== undefined ? error : sourceConnectionLost('FTP', step, error);
		this.lost ??= lost;
		return lost;
	}

	/** Runs a step whose commands may not be refused: a refusal fails the step, anything else means the session broke. */
	private async guard<T>(step: string, work: () => Promise<T>): Promise<T> {
		try {
			return await work();
		} catch (error) {
			if (isRefusal(error, this.client)) {
				// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the transport layer knows no n8n; nodes/shared/nodeErrors.ts maps it
				throw new TransportError('refusedByServer', `the FTP server refused ${step}: ${error.message}`, { step, code: String(error.code) });
			}
			throw this.broke(step, error);
		}
	}
}

/** An FTP directory as a `WithFileSource`: one session per run, always closed. */
export function ftpFileSource(c: FtpCredentials, options: FileSourceOptions, store: FingerprintStore): WithFileSource<RemoteFile> {
	return async (work) => await withFtpClient(c, async (client) => await work(new FtpSource(client, options, store)));
}
