/**
 * The fault suite's account of every document: how often it was handed over (items emitted across all polls
 * and runs — a trigger's poll output counts once the poll returned it, as in n8n), whether the user was told
 * its delivery is uncertain, and where it ended (archive, error folder, deleted, delivered n times). The
 * verdict after the recovery passes:
 * - lost: handed over never, or in no visible place at the end and not reported (a mail reported as uncertain
 *   may not have arrived: the user was told);
 * - twice: handed over (emitted, or delivered) more than once;
 * - reported: told to the user as uncertain (counts as handed over; must not have been handed over again).
 * Plain TypeScript, no test framework: the same ledger can account a real n8n server's executions.
 */
import type { FaultRecord } from './faultProxy';

export interface LedgerEntry {
	id: string;
	emitted: number;
	reported: number;
	/** where the document is at the end: folder names, 'deleted', 'delivered' (once per delivered copy) */
	places: string[];
}

export interface Verdict {
	protocol: string;
	documents: number;
	faults: number;
	hit: number;
	lost: string[];
	twice: string[];
	reported: string[];
	/** ids emitted that the suite never put in: a wrong id mapping, which could hide a duplicate */
	strangers: string[];
}

export class Ledger {
	private readonly entries = new Map<string, LedgerEntry>();
	readonly faults: FaultRecord[] = [];
	/** documents the suite did not put in, but that were emitted (a sign of a wrong id) */
	readonly strangers: string[] = [];

	constructor(
		readonly protocol: string,
		/** places that count as "handed over, visibly" at the end; others (the inbox …) mean not handed over */
		private readonly finalPlaces: readonly string[],
	) {}

	add(id: string): void {
		if (this.entries.has(id)) throw new Error(`${this.protocol}: document ${id} added twice to the ledger`);
		this.entries.set(id, { id, emitted: 0, reported: 0, places: [] });
	}

	get size(): number {
		return this.entries.size;
	}

	emitted(id: string): void {
		const entry = this.entries.get(id);
		if (entry) entry.emitted++;
		else this.strangers.push(id);
	}

	reported(id: string): void {
		const entry = this.entries.get(id);
		if (entry) entry.reported++;
		else this.strangers.push(id);
	}

	/** Where a document was found at the end (call once per copy found). */
	foundIn(id: string, place: string): void {
		const entry = this.entries.get(id);
		if (entry) entry.places.push(place);
		else this.strangers.push(`${id} in ${place}`);
	}

	fault(record: FaultRecord | undefined): void {
		if (record) this.faults.push(record);
	}

	get hits(): number {
		return this.faults.filter((f) => f.hit).length;
	}

	entry(id: string): LedgerEntry | undefined {
		return this.entries.get(id);
	}

	verdict(): Verdict {
		const lost: string[] = [];
		const twice: string[] = [];
		const reported: string[] = [];
		for (const e of this.entries.values()) {
			const handedOver = e.emitted + e.reported;
			const visible = e.places.filter((p) => this.finalPlaces.includes(p)).length;
			if (handedOver === 0 || (visible === 0 && e.reported === 0)) lost.push(e.id);
			if (handedOver > 1 || visible > 1) twice.push(e.id);
			if (e.reported) reported.push(e.id);
		}
		return { protocol: this.protocol, documents: this.entries.size, faults: this.faults.length, hit: this.hits, lost, twice, reported, strangers: [...this.strangers] };
	}

	/** The faults by where they hit, e.g. "afterCommand UID MOVE ×3", for the log. */
	faultSummary(): string {
		const counts = new Map<string, number>();
		for (const f of this.faults) {
			const key = f.hit ? `${f.label}${f.command ? ` ${f.command}` : ''}` : `${f.label} (missed)`;
			counts.set(key, (counts.get(key) ?? 0) + 1);
		}
		return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
	}
}

/** The table the suite prints: one row per protocol. */
export function verdictTable(verdicts: readonly Verdict[], seed: number): string {
	const head = ['protocol', 'documents', 'faults', 'hit a command', 'lost', 'twice', 'reported'];
	const rows = verdicts.map((v) => [v.protocol, v.documents, v.faults, v.hit, v.lost.length, v.twice.length, v.reported.length].map(String));
	const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
	const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
	return [`fault suite, seed ${seed}:`, line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Why a verdict fails, in words (empty when it holds). */
export function verdictProblems(v: Verdict, seed: number, minimumHits = 0): string[] {
	const problems: string[] = [];
	if (v.hit < minimumHits) problems.push(`${v.protocol}: only ${v.hit} of the ${minimumHits} faults could be placed on a command or reply — seed ${seed}`);
	if (v.strangers.length) problems.push(`${v.protocol}: items of documents the suite never put in (${v.strangers.slice(0, 10).join(', ')}) — seed ${seed}`);
	if (v.lost.length) problems.push(`${v.protocol}: ${v.lost.length} lost (${v.lost.slice(0, 10).join(', ')}) — seed ${seed}`);
	if (v.twice.length) problems.push(`${v.protocol}: ${v.twice.length} twice (${v.twice.slice(0, 10).join(', ')}) — seed ${seed}`);
	return problems;
}
