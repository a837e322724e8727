import { BoundedStore } from '../shared/boundedStore';
import { contentHash, documentKey, readOpenTrans, type BusinessDocument } from '../shared/documents/orders';
import { DocumentError, type DocumentPosition } from '../shared/documents/DocumentError';

/**
 * What Receive decides for an arriving document, without any transport or n8n: is the sending site known,
 * is the number in its range, was the document imported before (same, changed, or the same number from
 * another site)? The seed's rules: "Doppelt gesendete Aufträge werden ignoriert bzw. erneuert", "Bei
 * gleichen Nummern erfolgt kein Import", each site with its own number range.
 */

// ------------------------------------------------------------------------------------------------
// Sites and number ranges

export interface SiteRule {
	/** the site ID as the sending site writes it into its documents */
	id: string;
	/** the number must start with it (case ignored); empty: any start */
	prefix: string;
	/** the rest of the number after the prefix, as a whole number, must lie within; undefined: no bound */
	min?: bigint;
	max?: bigint;
}

export type SiteVerdict =
	| { ok: true; site: SiteRule }
	| { ok: false; reason: 'unknownSite' | 'numberOutOfRange'; message: string };

/** A configuration error in the list of sites, for the node to report before anything is read. */
export class SiteConfigurationError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SiteConfigurationError';
	}
}

function bound(text: string | undefined, site: string, which: string): bigint | undefined {
	const t = (text ?? '').trim();
	if (t === '') return undefined;
	if (!/^\d+$/.test(t)) throw new SiteConfigurationError(`Site "${site}": the range's ${which} "${t}" is not a whole number`);
	return BigInt(t);
}

export function siteRule(entry: { siteId?: string; numberPrefix?: string; rangeFrom?: string; rangeTo?: string }): SiteRule {
	const id = (entry.siteId ?? '').trim();
	if (!id) throw new SiteConfigurationError('Every site needs a Site ID');
	const rule: SiteRule = { id, prefix: (entry.numberPrefix ?? '').trim() };
	const min = bound(entry.rangeFrom, id, 'start');
	const max = bound(entry.rangeTo, id, 'end');
	if (min !== undefined) rule.min = min;
	if (max !== undefined) rule.max = max;
	if (min !== undefined && max !== undefined && min > max) {
		throw new SiteConfigurationError(`Site "${id}": the range starts at ${min}, after its end ${max}`);
	}
	return rule;
}

function describeRange(rule: SiteRule): string {
	const range =
		rule.min !== undefined || rule.max !== undefined ? `${rule.min ?? '0'}–${rule.max !== undefined ? rule.max : '…'}` : '';
	if (rule.prefix && range) return `"${rule.prefix}" followed by ${range}`;
	if (rule.prefix) return `starting with "${rule.prefix}"`;
	return range || 'any number';
}

export class SiteDirectory {
	private readonly byId = new Map<string, SiteRule>();

	constructor(readonly rules: SiteRule[]) {
		if (rules.length === 0) {
			throw new SiteConfigurationError('Add at least one site: documents from sites not in the list are not imported');
		}
		for (const rule of rules) {
			const key = rule.id.toLowerCase();
			if (this.byId.has(key)) throw new SiteConfigurationError(`The site "${rule.id}" is listed twice`);
			this.byId.set(key, rule);
		}
		// each site its own number range: two ranges that meet are a mistake of the configuration, caught
		// before any document is read. A site without prefix and range is not checked at all; for it, only
		// the memory's conflict rule ("Bei gleichen Nummern erfolgt kein Import") keeps numbers apart.
		const restricted = rules.filter(isRestricted);
		for (let i = 0; i < restricted.length; i++) {
			for (let j = i + 1; j < restricted.length; j++) {
				if (overlap(restricted[i], restricted[j])) {
					throw new SiteConfigurationError(
						`The number ranges of the sites "${restricted[i].id}" (${describeRange(restricted[i])}) and "${restricted[j].id}" (${describeRange(restricted[j])}) overlap: give each site its own prefix or range`,
					);
				}
			}
		}
	}

	check(doc: Pick<BusinessDocument, 'site' | 'number'>): SiteVerdict {
		const rule = this.byId.get(doc.site.trim().toLowerCase());
		if (!rule) {
			return {
				ok: false,
				reason: 'unknownSite',
				message: doc.site.trim()
					? `the site "${doc.site}" is not in the list of sites`
					: 'the document does not say which site sent it',
			};
		}
		const number = doc.number.trim();
		if (!inRange(rule, number)) {
			return {
				ok: false,
				reason: 'numberOutOfRange',
				message: `the number "${number}" is outside the number range of site "${rule.id}" (${describeRange(rule)})`,
			};
		}
		return { ok: true, site: rule };
	}
}

function isRestricted(rule: SiteRule): boolean {
	return rule.prefix !== '' || rule.min !== undefined || rule.max !== undefined;
}

export function inRange(rule: SiteRule, number: string): boolean {
	if (rule.prefix && !number.toLowerCase().startsWith(rule.prefix.toLowerCase())) return false;
	if (rule.min === undefined && rule.max === undefined) return true;
	const rest = number.slice(rule.prefix.length);
	if (!/^\d+$/.test(rest)) return false;
	const n = BigInt(rest);
	return (rule.min === undefined || n >= rule.min) && (rule.max === undefined || n <= rule.max);
}

/** Two rules overlap when they have the same prefix and their ranges (unbounded where not given) meet. */
function overlap(a: SiteRule, b: SiteRule): boolean {
	if (a.prefix.toLowerCase() !== b.prefix.toLowerCase()) return false;
	const aMin = a.min ?? 0n;
	const bMin = b.min ?? 0n;
	const aMax = a.max;
	const bMax = b.max;
	return (aMax === undefined || bMin <= aMax) && (bMax === undefined || aMin <= bMax);
}

// ------------------------------------------------------------------------------------------------
// The memory of imported documents (the workflow's static data, and n8n's processed-data store)

/** What is remembered per document: short keys, as it is saved with the workflow. */
export interface RememberedDocument {
	/** contentHash */
	h: string;
	/** the site, as configured */
	s: string;
	/** last imported or seen, epoch seconds */
	t: number;
}

export const MEMORY_KEY = 'importedDocuments';
export const DEFAULT_MEMORY_LIMIT = 5000;

export type MemoryVerdict =
	| { kind: 'new' }
	| { kind: 'duplicate' }
	/** `previousHash`: the content hash imported before, when this node's static data still holds it */
	| { kind: 'changed'; previousHash?: string }
	| { kind: 'conflict'; otherSite: string };

/** A registration staged by a judged document; written into the memory once its source is committed. */
export interface Registration {
	key: string;
	/** type/number, the key of the conflict index */
	numberKey: string;
	entry: RememberedDocument;
	/** the content hash this version replaces, where it is known (an update) */
	replaces?: string;
}

/** A document read and checked against the sites, about to be judged by the memory. */
export interface Candidate {
	key: string;
	numberKey: string;
	site: string;
	hash: string;
}

/**
 * The durable record of imported documents, shared by every n8n process (documentRecords.ts: n8n's
 * processed-data store). It keeps values only (no content hashes or sites to read back), so the memory asks
 * it yes/no questions: this version imported? this document imported? this number imported by that site?
 */
export interface DocumentLedger {
	/** which of `values` are recorded (or recorded by a run of this process that has not ended yet) */
	recorded(values: string[]): Promise<Set<string>>;
	/** records `values`, and takes `superseded` back, once the execution that emitted their documents has ended; never throws */
	record(values: string[], superseded: string[]): Promise<void>;
	/** records `values` now (documents imported by an earlier version: already handed over) */
	carryOver(values: string[]): Promise<void>;
}

/** The ledger's values of a document version, of a document, and of a number used by a site. */
const versionValue = (key: string, hash: string) => `version\u0000${key}\u0000${hash}`;
const documentValue = (key: string) => `document\u0000${key}`;
const numberValue = (numberKey: string, site: string) => `number\u0000${numberKey}\u0000${site}`;

function valuesOf(key: string, numberKey: string, entry: RememberedDocument): string[] {
	return [versionValue(key, entry.h), documentValue(key), numberValue(numberKey, entry.s)];
}

/** static data: what the memory held before it had a ledger was recorded there */
const CARRIED_OVER = 'importedDocumentsRecorded';

/**
 * The idempotent-consumer memory: documentKey (site/type/number) → content hash and site. Two parts:
 * - the node's **static data** (or the workflow's, for a Shared Memory), bounded to the `limit` most recently
 *   seen documents: this run's and earlier runs' documents with their hashes (for `previousContentHash`);
 * - the **ledger**, where one is given (the nodes: n8n's processed-data store), which every main, worker and
 *   manual run shares: asked before each unit is judged (`lookup`), written when the execution ends (`save`).
 * Documents judged in this run are staged (so the same document twice in one run is a duplicate the second
 * time) and written only when their source was committed.
 */
export class ImportMemory {
	private readonly entries: BoundedStore<RememberedDocument>;
	/** type/number → the site that used it, for "same number from another site" */
	private readonly sites = new Map<string, string>();
	private readonly staged = new Map<string, Registration>();
	/** the ledger's values known to be recorded */
	private readonly known = new Set<string>();
	/** type/number → another site that used it, as the ledger told */
	private readonly numberSites = new Map<string, string>();
	/** the ledger's values of documents confirmed in this run */
	private readonly confirmed = new Set<string>();
	/** the ledger's values of versions that documents confirmed in this run replaced */
	private readonly superseded = new Set<string>();

	constructor(
		private readonly data: Record<string, unknown>,
		limit = DEFAULT_MEMORY_LIMIT,
		private readonly now: () => number = () => Math.floor(Date.now() / 1000),
		private readonly ledger?: DocumentLedger,
	) {
		// the most recently confirmed `limit` documents, in the order of their last use
		this.entries = new BoundedStore(data, { key: MEMORY_KEY, limit, shape: { kind: 'object' }, isValue: isRemembered });
		for (const [key, entry] of this.entries.entries()) this.sites.set(numberKeyOf(key), entry.s);
	}

	get size(): number {
		return this.entries.size;
	}

	/** What the static data held before the ledger existed is recorded there, once. */
	async carryOver(): Promise<void> {
		if (!this.ledger || this.data[CARRIED_OVER] === true) return;
		const values = [...this.entries.entries()].flatMap(([key, entry]) => valuesOf(key, numberKeyOf(key), entry));
		if (values.length) await this.ledger.carryOver(values);
		this.data[CARRIED_OVER] = true;
	}

	/** Asks the ledger what it knows of these documents (and of their numbers at the other `siteIds`). */
	async lookup(candidates: Candidate[], siteIds: string[]): Promise<void> {
		if (!this.ledger || !candidates.length) return;
		const numbers = new Map<string, [numberKey: string, site: string]>();
		for (const c of candidates) for (const id of siteIds) if (id !== c.site) numbers.set(numberValue(c.numberKey, id), [c.numberKey, id]);
		const values = new Set([...candidates.flatMap((c) => [versionValue(c.key, c.hash), documentValue(c.key)]), ...numbers.keys()]);
		for (const value of await this.ledger.recorded([...values])) {
			this.known.add(value);
			const number = numbers.get(value);
			if (number) this.numberSites.set(...number);
		}
	}

	/** `pending`: registrations of the same unit, judged before this document but not staged yet. */
	judge(key: string, numberKey: string, site: string, hash: string, pending: Registration[] = []): MemoryVerdict {
		// this run's documents first, then the ledger (what every process received), then this node's static data
		const inRun = [...pending].reverse().find((r) => r.key === key)?.entry ?? this.staged.get(key)?.entry;
		const known = inRun ?? (this.known.has(versionValue(key, hash)) ? { h: hash } : this.entries.get(key));
		if (known?.h === hash) return { kind: 'duplicate' };
		if (known) return { kind: 'changed', previousHash: known.h };
		if (this.known.has(documentValue(key))) return { kind: 'changed' };
		const other = [...pending, ...this.staged.values()].find((r) => r.numberKey === numberKey && r.entry.s !== site);
		const otherSite = other?.entry.s ?? this.sites.get(numberKey) ?? this.numberSites.get(numberKey);
		if (otherSite !== undefined && otherSite !== site) return { kind: 'conflict', otherSite };
		return { kind: 'new' };
	}

	registration(key: string, numberKey: string, site: string, hash: string): Registration {
		return { key, numberKey, entry: { h: hash, s: site, t: this.now() } };
	}

	stage(registrations: Registration[]): void {
		for (const r of registrations) this.staged.set(r.key, r);
	}

	/** The source of these documents was committed: they are imported. */
	confirm(registrations: Registration[]): void {
		for (const r of registrations) {
			this.staged.delete(r.key);
			this.entries.set(r.key, r.entry);
			this.sites.set(r.numberKey, r.entry.s);
			for (const value of valuesOf(r.key, r.numberKey, r.entry)) {
				this.confirmed.add(value);
				this.superseded.delete(value);
			}
			// an update: its earlier content is no longer the document's (the same content again is an update then)
			if (r.replaces !== undefined && r.replaces !== r.entry.h) {
				this.superseded.add(versionValue(r.key, r.replaces));
				this.confirmed.delete(versionValue(r.key, r.replaces));
			}
		}
	}

	/** The source was not committed (move refused, taken by another run): they will come again. */
	discard(registrations: Registration[]): void {
		for (const r of registrations) if (this.staged.get(r.key) === r) this.staged.delete(r.key);
	}

	/** Writes the memory back, keeping the `limit` most recently used entries, and hands the ledger this run's documents. */
	async save(): Promise<void> {
		this.entries.save();
		if (this.ledger && this.confirmed.size) await this.ledger.record([...this.confirmed], [...this.superseded]);
		this.confirmed.clear();
		this.superseded.clear();
	}
}

function isRemembered(v: unknown): v is RememberedDocument {
	const e = v as Partial<RememberedDocument> | null;
	return !!e && typeof e.h === 'string' && typeof e.s === 'string' && typeof e.t === 'number';
}

/** "site/type/number" → "type/number" (the parts are URI-encoded, so "/" only separates). */
export function numberKeyOf(key: string): string {
	return key.split('/').slice(1).join('/');
}

// ------------------------------------------------------------------------------------------------
// One source unit (a mail, a file, an input item): read, judge, all or nothing

export type ErrorReason =
	| 'unknownSite'
	| 'numberOutOfRange'
	| 'conflict'
	| 'parseError'
	| 'wrongFormat'
	| 'xmlEntityRefused'
	| 'encodingError'
	| 'tooLarge'
	| 'noDocument'
	| 'connectionLost'
	| 'notMoved';

export interface ArrivedFile {
	fileName: string;
	mimeType: string;
	bytes: Buffer;
}

export type Verdict =
	| {
			kind: 'order';
			action: 'create' | 'update';
			file: ArrivedFile;
			doc: BusinessDocument;
			key: string;
			hash: string;
			previousHash?: string;
	  }
	| { kind: 'skipped'; reason: 'duplicate' | 'updateIgnored'; file: ArrivedFile; doc: BusinessDocument; key: string; hash: string; message: string }
	| {
			kind: 'error';
			reason: ErrorReason;
			message: string;
			file?: ArrivedFile;
			doc?: BusinessDocument;
			key?: string;
			position?: DocumentPosition;
			/** the parser's own code (MISSING_FIELD, INVALID_VALUE …) when it is finer than the reason */
			detail?: string;
	  };

export interface UnitOutcome {
	/** whether the unit goes to the error folder: one of its documents is on the Errors output */
	failed: boolean;
	verdicts: Verdict[];
	/** what the memory learns when the unit is committed */
	registrations: Registration[];
}

export interface JudgeOptions {
	sites: SiteDirectory;
	memory: ImportMemory;
	/** what a changed document does: emitted as an update, or skipped */
	onChanged: 'update' | 'ignore';
}

export function errorOf(error: unknown, fileName: string): { reason: ErrorReason; message: string; position?: DocumentPosition; detail?: string } {
	if (error instanceof DocumentError) {
		const reason: ErrorReason =
			error.code === 'ENTITY_NOT_ALLOWED'
				? 'xmlEntityRefused'
				: error.code === 'ENCODING_ERROR'
					? 'encodingError'
					: error.code === 'UNSUPPORTED_FORMAT'
						? 'wrongFormat'
						: error.code === 'TOO_LARGE'
							? 'tooLarge'
							: 'parseError';
		const out: { reason: ErrorReason; message: string; position?: DocumentPosition; detail?: string } = {
			reason,
			message: error.inFile(fileName).message,
		};
		if (Object.keys(error.position).length) out.position = { ...error.position };
		if (reason === 'parseError' && error.code !== 'PARSE_ERROR') out.detail = error.code;
		return out;
	}
	// a reader bug must cost one document (to the Errors output), not the whole run
	return { reason: 'parseError', message: `${fileName}: ${(error as Error)?.message ?? String(error)}` };
}

/** A file of a unit, read and checked against the sites: a document to judge, or the error that stops it. */
export type ReadFile =
	| { file: ArrivedFile; doc: BusinessDocument; candidate: Candidate }
	| { file: ArrivedFile; error: Verdict & { kind: 'error' } };

/** Reads the files of one source unit and checks each document's site and number range (pure). */
export function readUnit(files: ArrivedFile[], sites: SiteDirectory): ReadFile[] {
	return files.map((file): ReadFile => {
		let doc: BusinessDocument;
		try {
			doc = readOpenTrans(file.bytes, file.fileName);
		} catch (error) {
			return { file, error: { kind: 'error', file, ...errorOf(error, file.fileName) } };
		}
		const site = sites.check(doc);
		if (!site.ok) return { file, error: { kind: 'error', reason: site.reason, message: `${file.fileName}: ${site.message}`, file, doc } };
		const key = documentKey({ ...doc, site: site.site.id });
		return { file, doc, candidate: { key, numberKey: numberKeyOf(key), site: site.site.id, hash: contentHash(doc) } };
	});
}

/**
 * Judges the read files of one source unit. A unit is imported whole or not at all, as the Delivery Note
 * trigger does with a mail: when one of its documents is broken or refused, the unit goes to the error
 * folder and its good documents are held back (not emitted, not remembered), so that the unit, moved back
 * after the cause is fixed, is imported as one. Duplicates do not fail a unit.
 */
export function judgeUnit(read: ReadFile[], options: JudgeOptions): UnitOutcome {
	const verdicts: Verdict[] = [];
	const registrations: Registration[] = [];
	const inUnit: Registration[] = [];
	for (const entry of read) {
		if ('error' in entry) {
			verdicts.push(entry.error);
			continue;
		}
		const { file, doc } = entry;
		const { key, numberKey, site, hash } = entry.candidate;
		// earlier documents of this unit count too, as if they were already imported
		const verdict = options.memory.judge(key, numberKey, site, hash, inUnit);
		const registration = options.memory.registration(key, numberKey, site, hash);
		switch (verdict.kind) {
			case 'conflict':
				verdicts.push({
					kind: 'error',
					reason: 'conflict',
					message: `${file.fileName}: the number "${doc.number}" was already imported from site "${verdict.otherSite}"; equal numbers from two sites are not imported`,
					file,
					doc,
					key,
				});
				continue;
			case 'duplicate':
				verdicts.push({ kind: 'skipped', reason: 'duplicate', file, doc, key, hash, message: 'the same document was imported before' });
				// seen again: keeps its place in the bounded memory
				registrations.push(registration);
				inUnit.push(registration);
				continue;
			case 'changed':
				if (options.onChanged === 'ignore') {
					verdicts.push({
						kind: 'skipped',
						reason: 'updateIgnored',
						file,
						doc,
						key,
						hash,
						message: 'the document was imported before and has changed since; changed documents are set to be ignored',
					});
					continue;
				}
				verdicts.push({ kind: 'order', action: 'update', file, doc, key, hash, ...(verdict.previousHash ? { previousHash: verdict.previousHash } : {}) });
				registrations.push({ ...registration, replaces: verdict.previousHash });
				inUnit.push(registration);
				continue;
			case 'new':
				verdicts.push({ kind: 'order', action: 'create', file, doc, key, hash });
				registrations.push(registration);
				inUnit.push(registration);
		}
	}
	const failed = verdicts.some((v) => v.kind === 'error');
	return { failed, verdicts, registrations: failed ? [] : registrations };
}
