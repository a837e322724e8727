/**
 * The idempotent-consumer memory of the file sources (FTP, SFTP): files that were imported but are still at
 * the source — kept on purpose, shared with other clients, or whose delete or move failed — remembered by a
 * fingerprint (path, size, modification time, SHA-256 of the content), so that they are never imported twice.
 * Pure, over a plain object: the node passes n8n's workflow static data. It is the run's cache of the files'
 * details (it lets a run skip the download of a file it kept); what every n8n process relies on is the durable
 * record the nodes keep beside it (nodes/shared/fileRecords.ts).
 */
import { BoundedStore } from '../boundedStore';

/**
 * A remembered file, with short keys because it lives in the workflow's static data (saved with the
 * workflow) and the store holds up to `FINGERPRINT_LIMIT` of them.
 */
export interface Fingerprint {
	/** absolute remote path */
	p: string;
	/** size in bytes */
	s: number;
	/** modification time: from MDTM (ISO 8601, to the second), else the listing's text */
	m: string;
	/** 1: `m` is exact and the file was already older than two minutes when its content was checked, so an equal time means equal content */
	x?: 1;
	/** SHA-256 of the content, hex */
	h: string;
	/** why it is remembered: kept (keep mode) · shared (holds other clients' statements too) · stuck (delete or move refused or unknown) */
	r: 'kept' | 'shared' | 'stuck';
	/** when it was imported, epoch seconds */
	i: number;
	/** when it was last seen on the server, epoch seconds */
	t: number;
}

export const FINGERPRINT_LIMIT = 5000;
export const FINGERPRINT_MAX_AGE_DAYS = 400;
/** see `FingerprintStore.settled`; generous, because the server's clock and n8n's may differ a little */
const SETTLED_SECONDS = 120;
const STORE_KEY = 'importedFiles';

/**
 * The idempotent-consumer memory, a `BoundedStore` in the workflow's static data. An entry is dropped when its
 * file was not seen for 400 days or, beyond 5,000 entries, the least recently seen first, but never an entry
 * whose file was seen in this run: a file still on the server must stay remembered or it would be imported again.
 */
/**
 * What this process remembered, per node of a workflow: n8n gives every execution its own copy of the static
 * data, loaded when it starts, and saves it when it ends. A run that started while another one was still at
 * work would not see the files that one remembered (a delete it lost), import them again, and its save would
 * drop them. So every remembered file is also noted here, and a lookup that misses the run's own copy finds it
 * here (and takes it over, so that the run's save keeps it). Bounded like the store; lost with the process,
 * together with every run that could have missed it.
 */
const rememberedByProcess = new Map<string, Map<string, Fingerprint>>();

export class FingerprintStore {
	private readonly store: BoundedStore<Fingerprint>;
	private readonly rememberedHere?: Map<string, Fingerprint>;

	constructor(
		data: Record<string, unknown>,
		private readonly now: () => number = () => Math.floor(Date.now() / 1000),
		/** workflow and node, for the record of this process; none for manual runs (n8n does not save their static data) */
		processKey?: string,
	) {
		if (processKey !== undefined) {
			this.rememberedHere = rememberedByProcess.get(processKey) ?? new Map<string, Fingerprint>();
			rememberedByProcess.set(processKey, this.rememberedHere);
		}
		this.store = new BoundedStore(data, {
			key: STORE_KEY,
			limit: FINGERPRINT_LIMIT,
			shape: { kind: 'list', keyOf: keyOf },
			isValue: isFingerprint,
			lastUsed: (e) => e.t,
			maxAgeSeconds: FINGERPRINT_MAX_AGE_DAYS * 86_400,
			keepUsedThisRun: true,
			now,
		});
	}

	get size(): number {
		return this.store.size;
	}

	/** more files were seen in this run than the limit allows; the store keeps them all and says so */
	get overLimit(): boolean {
		return this.store.overLimit;
	}

	all(): readonly Fingerprint[] {
		return this.store.values();
	}

	/** Entries with this path and size: the file may be one of them (content decides). */
	candidates(remotePath: string, size: number): Fingerprint[] {
		for (const e of this.rememberedHere?.values() ?? []) if (e.p === remotePath && e.s === size) this.adopt(e);
		return this.store.values().filter((e) => e.p === remotePath && e.s === size);
	}

	findContent(remotePath: string, size: number, sha256: string): Fingerprint | undefined {
		const key = keyOf({ p: remotePath, s: size, h: sha256 });
		const fromProcess = this.rememberedHere?.get(key);
		if (fromProcess) this.adopt(fromProcess);
		return this.store.get(key);
	}

	/** Takes over an entry another run of this process remembered, unless this run's copy has it. */
	private adopt(entry: Fingerprint): void {
		if (!this.store.has(keyOf(entry))) this.store.set(keyOf(entry), { ...entry });
	}

	/** Notes an entry for the other runs of this process; the oldest go first beyond the limit. */
	private share(entry: Fingerprint): void {
		if (!this.rememberedHere) return;
		const key = keyOf(entry);
		this.rememberedHere.delete(key);
		this.rememberedHere.set(key, { ...entry });
		for (const oldest of this.rememberedHere.keys()) {
			if (this.rememberedHere.size <= FINGERPRINT_LIMIT) break;
			this.rememberedHere.delete(oldest);
		}
	}

	/**
	 * Whether an exact modification time may later stand for the content without downloading it: only when
	 * the file was older than `SETTLED_SECONDS` when its content was checked. A file rewritten with the same
	 * size within the second it was first written (and read) would otherwise keep its time and be skipped.
	 */
	private settled(modifiedAt: { value: string; exact: boolean }): boolean {
		const seconds = Date.parse(modifiedAt.value) / 1000;
		return modifiedAt.exact && Number.isFinite(seconds) && seconds <= this.now() - SETTLED_SECONDS;
	}

	/** Marks an entry as seen in this run (and updates its time), so that pruning keeps it. */
	seen(entry: Fingerprint, checkedContent?: { value: string; exact: boolean }): void {
		entry.t = this.now();
		if (checkedContent) {
			entry.m = checkedContent.value;
			if (this.settled(checkedContent)) entry.x = 1;
			else delete entry.x;
		}
		this.store.set(keyOf(entry), entry);
	}

	remember(
		file: { path: string; size: number },
		sha256: string,
		modifiedAt: { value: string; exact: boolean },
		reason: Fingerprint['r'],
	): Fingerprint {
		const existing = this.findContent(file.path, file.size, sha256);
		if (existing) {
			existing.r = reason;
			this.seen(existing, modifiedAt);
			this.share(existing);
			return existing;
		}
		const t = this.now();
		const entry: Fingerprint = { p: file.path, s: file.size, m: modifiedAt.value, h: sha256, r: reason, i: t, t };
		if (this.settled(modifiedAt)) entry.x = 1;
		this.store.set(keyOf(entry), entry);
		this.share(entry);
		return entry;
	}

	/** Prunes and writes the entries back into the static data object. */
	save(): void {
		this.store.save();
	}
}

/** One file version: path, size and content. */
function keyOf(e: Pick<Fingerprint, 'p' | 's' | 'h'>): string {
	return `${e.p}\u0000${e.s}\u0000${e.h}`;
}

function isFingerprint(v: unknown): v is Fingerprint {
	const e = v as Partial<Fingerprint> | null;
	return (
		!!e &&
		typeof e.p === 'string' &&
		typeof e.s === 'number' &&
		typeof e.h === 'string' &&
		typeof e.m === 'string' &&
		typeof e.t === 'number' &&
		typeof e.i === 'number'
	);
}
