/**
 * A size-limited record kept in a plain object — the node passes n8n's workflow static data, which n8n saves
 * with the workflow, so every record must stay bounded. One mechanism for every such record of the package
 * (the FTP sources' fingerprints, Order Exchange's imported documents, the mailer's sent invoices):
 * - entries are keyed and ordered by last use (`set` and `touch` make an entry the newest);
 * - `save` drops entries unused for longer than `maxAgeSeconds`, then, beyond `limit`, the least recently used
 *   ones — but with `keepUsedThisRun` never one used in this run (a file still on the server must stay
 *   remembered); the store then holds more than the limit and says so (`overLimit`);
 * - `save` writes by assignment (never by mutating what it read), so that n8n's observable static data notices
 *   the change, in the record's own stored shape: an object (key → value) or a list of values that know their key.
 * Whatever in the stored data is not a valid entry is ignored rather than failing the run.
 * Pure: no n8n import. Time and memory are linear in the number of entries.
 */

export interface BoundedStoreOptions<V> {
	/** the property of the data object the record lives in */
	key: string;
	limit: number;
	/** how the record is stored: an object key → value (oldest first), or a list of values, each knowing its key */
	shape: { kind: 'object' } | { kind: 'list'; keyOf: (value: V) => string };
	/** whether a stored value is a valid entry */
	isValue: (value: unknown) => value is V;
	/** when a value was last used, epoch seconds; with it, the least recently used are dropped by this time rather than by order */
	lastUsed?: (value: V) => number;
	/** drop values not used for this long (needs `lastUsed`) */
	maxAgeSeconds?: number;
	/** entries used in this run survive the limit */
	keepUsedThisRun?: boolean;
	/** epoch seconds; tests pass their own clock */
	now?: () => number;
}

export class BoundedStore<V> {
	private readonly map = new Map<string, V>();
	private readonly usedNow = new Set<string>();
	/** more entries were used in this run than the limit allows; the store keeps them all and says so */
	overLimit = false;

	constructor(
		private readonly data: Record<string, unknown>,
		private readonly options: BoundedStoreOptions<V>,
	) {
		for (const [key, value] of storedEntries(data[options.key], options)) this.map.set(key, value);
	}

	get size(): number {
		return this.map.size;
	}

	/** Whether the data object holds this record at all (a dry run leaves it untouched). */
	get stored(): boolean {
		return this.data[this.options.key] !== undefined;
	}

	get(key: string): V | undefined {
		return this.map.get(key);
	}

	has(key: string): boolean {
		return this.map.has(key);
	}

	values(): V[] {
		return [...this.map.values()];
	}

	/** Key and value of every entry, least recently used first. */
	entries(): Array<[string, V]> {
		return [...this.map];
	}

	/** Stores a value under its key as the most recently used entry. */
	set(key: string, value: V): void {
		this.map.delete(key);
		this.map.set(key, value);
		this.usedNow.add(key);
	}

	/**
	 * `set`, written through at once (object shape): the stored object is changed in place — the entry moved to
	 * its end, the oldest entries dropped beyond the limit — so that a record made in the middle of a run is in
	 * the data whatever happens next, at a cost that does not grow with the record (the mailer notes each
	 * accepted mail this way). The caller changes a top-level property too, so that n8n notices the change.
	 */
	record(key: string, value: V): void {
		this.set(key, value);
		const target = this.writableObject();
		delete target[key];
		// defineProperty rather than assignment: a key such as __proto__ must stay a plain entry
		Object.defineProperty(target, key, { value: copy(value), enumerable: true, writable: true, configurable: true });
		for (const oldest of this.map.keys()) {
			if (this.map.size <= this.options.limit) break;
			this.map.delete(oldest);
			delete target[oldest];
		}
	}

	private writableObject(): Record<string, unknown> {
		if (this.options.shape.kind !== 'object') throw new Error(`the record "${this.options.key}" is not stored as an object`);
		const stored = this.data[this.options.key];
		if (stored && typeof stored === 'object' && !Array.isArray(stored)) return stored as Record<string, unknown>;
		this.data[this.options.key] = {};
		// n8n wraps static data in proxies: write to what the data object now holds
		return this.data[this.options.key] as Record<string, unknown>;
	}

	/** Marks an entry as used in this run: it becomes the most recently used one. */
	touch(key: string): void {
		const value = this.map.get(key);
		if (value !== undefined) this.set(key, value);
	}

	delete(key: string): void {
		this.map.delete(key);
		this.usedNow.delete(key);
	}

	/** Prunes (age, then limit) and writes the record back into the data object. */
	save(): void {
		this.prune();
		const values = [...this.map];
		const { shape } = this.options;
		// copies, so that later changes of an entry do not reach the saved data behind n8n's back
		this.data[this.options.key] =
			shape.kind === 'object' ? Object.fromEntries(values.map(([k, v]) => [k, copy(v)])) : values.map(([, v]) => copy(v));
	}

	private prune(): void {
		const { limit, lastUsed, maxAgeSeconds, keepUsedThisRun } = this.options;
		const protectedKey = (key: string) => keepUsedThisRun === true && this.usedNow.has(key);
		if (lastUsed && maxAgeSeconds !== undefined) {
			const cutoff = (this.options.now ?? nowInSeconds)() - maxAgeSeconds;
			for (const [key, value] of this.map) if (lastUsed(value) < cutoff && !protectedKey(key)) this.map.delete(key);
		}
		if (this.map.size <= limit) return;
		const candidates = [...this.map].filter(([key]) => !protectedKey(key));
		// least recently used first: by their time when known, else by their order
		if (lastUsed) candidates.sort((a, b) => lastUsed(a[1]) - lastUsed(b[1]));
		const excess = this.map.size - limit;
		for (const [key] of candidates.slice(0, excess)) this.map.delete(key);
		this.overLimit = this.map.size > limit;
	}
}

function storedEntries<V>(stored: unknown, options: BoundedStoreOptions<V>): Array<[string, V]> {
	const { shape, isValue } = options;
	if (shape.kind === 'list') {
		return Array.isArray(stored) ? stored.filter(isValue).map((v): [string, V] => [shape.keyOf(v), v]) : [];
	}
	if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return [];
	return Object.entries(stored as Record<string, unknown>).filter((e): e is [string, V] => isValue(e[1]));
}

function copy<V>(value: V): V {
	return value !== null && typeof value === 'object' ? ({ ...value } as V) : value;
}

function nowInSeconds(): number {
	return Math.floor(Date.now() / 1000);
}
