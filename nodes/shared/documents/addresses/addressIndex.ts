import { colognePhonetics } from './colognePhonetics';
import { PairIndex } from './pairIndex';
import {
	houseNumberSimilarity,
	jaroWinkler,
	nameKey,
	nameTokens,
	normaliseCity,
	normaliseZip,
	parseStreet,
} from './similarity';

/**
 * Finding an arriving customer address in the receiving site's address book, by sound and spelling
 * ("Auf dem Zielsystem wird eine phonetische Adresssuche durchgeführt. Wird eine ähnliche Adresse gefunden,
 * können Sie entscheiden, ob diese Adresse benutzt wird oder die importierte Adresse").
 *
 * The index is built once. A lookup never scans the book: it scores only the entries that share
 * - a name sound (Kölner Phonetik of a name word) and the postcode,
 * - a name sound and the street's sound, in a city that sounds the same or the same postcode area,
 * - all name sounds and the postcode area, in a city that sounds the same,
 * - the postcode and the street's sound (the neighbours in the same street), or
 * - the customer number.
 * These keys are selective enough that the number of entries scored per lookup stays about the same as the
 * book grows, and still wide enough for every `exact` and `similar` entry (see `pool`).
 *
 * Score (0…1) = 0.40 name + 0.30 street + 0.15 postcode + 0.15 city, where
 * - name   = ½ Jaro-Winkler of the normalised names (legal forms removed, umlauts spelled out, words sorted)
 *          + ½ Dice agreement of the words' phonetic codes;
 * - street = 0.7 × (½ Jaro-Winkler + ½ phonetic agreement of the street names) + 0.3 × house number
 *            (same 1, "12" vs "12a" or one missing 0.5, different 0);
 * - postcode = same 1, same first three digits 0.5, else 0;
 * - city   = ½ Jaro-Winkler + ½ phonetic agreement of the place names.
 *
 * Kinds:
 * - `exact`: same name as written (case, blanks and punctuation aside; umlauts count), same street and
 *   house number ("Musterstr. 12" = "Musterstraße 12"), same postcode, same city (Köln = Koeln) — use it
 *   without asking;
 * - `similar`: score ≥ 0.80 and name ≥ 0.70, or the same customer number — ask the user;
 * - `none`: anything else. Candidates down to a score of 0.60 are still listed for a user who wants to look.
 */

export const SCORE_WEIGHTS = { name: 0.4, street: 0.3, zip: 0.15, city: 0.15 } as const;
/** A candidate with at least this score (and NAME_THRESHOLD on the name) is a similar address. */
export const SIMILAR_THRESHOLD = 0.8;
/** …and its name must agree at least this much, so that a neighbour in the same house is not "similar". */
export const NAME_THRESHOLD = 0.7;
/** Candidates scoring lower are not listed at all. */
export const CANDIDATE_FLOOR = 0.6;

export type AddressMatchKind = 'exact' | 'similar' | 'none';

/** The fields the matching looks at; the orders' `Address` fits, and so does any address book entry. */
export interface MatchableAddress {
	customerNumber?: string;
	name: string;
	street: string;
	zip: string;
	city: string;
}

export interface AddressBookEntry extends MatchableAddress {
	id: string;
}

export interface AddressCandidate<E extends AddressBookEntry = AddressBookEntry> {
	entry: E;
	/** 0…1, three decimals */
	score: number;
	kind: AddressMatchKind;
	/** why this entry came up, in words a user can check: "name sounds alike (Kölner Phonetik 657)" … */
	reasons: string[];
}

export interface AddressMatch<E extends AddressBookEntry = AddressBookEntry> {
	/** the kind of the best candidate; `none` when there is none */
	kind: AddressMatchKind;
	/** best first: exact ones, then by score */
	candidates: AddressCandidate<E>[];
}

/** An address prepared once for comparison. */
interface Prepared {
	customerNumber: string;
	nameKey: string;
	/** the normalised name's words, sorted, joined by blanks */
	name: string;
	nameCodes: string[];
	street: string;
	streetCode: string;
	houseNumber: string;
	zip: string;
	city: string;
	cityCode: string;
}

/** Phonetic codes by word; an address book repeats its surnames, streets and towns many times over. */
type PhoneticCache = Map<string, string>;

function phonetic(word: string, cache?: PhoneticCache): string {
	if (!cache) return colognePhonetics(word);
	let code = cache.get(word);
	if (code === undefined) {
		code = colognePhonetics(word);
		cache.set(word, code);
	}
	return code;
}

function prepare(a: MatchableAddress, cache?: PhoneticCache): Prepared {
	const tokens = nameTokens(a.name);
	const street = parseStreet(a.street);
	const city = normaliseCity(a.city);
	return {
		customerNumber: (a.customerNumber ?? '').trim(),
		nameKey: nameKey(a.name),
		name: tokens.join(' '),
		nameCodes: [...new Set(tokens.map((t) => phonetic(t, cache)).filter(Boolean))],
		street: street.name,
		streetCode: phonetic(street.name, cache),
		houseNumber: street.houseNumber,
		zip: normaliseZip(a.zip),
		city,
		cityCode: phonetic(city, cache),
	};
}

/** The parts of a comparison, kept to explain a candidate that makes the list. */
interface Comparison {
	nameJw: number;
	nameSound: number;
	name: number;
	streetJw: number;
	streetSound: number;
	houseNumber: number;
	zip: number;
	citySound: number;
	sameCustomer: boolean;
	exact: boolean;
	score: number;
	kind: AddressMatchKind;
}

export class AddressIndex<E extends AddressBookEntry = AddressBookEntry> {
	private readonly entries: E[];
	private readonly prepared: Prepared[];
	/** name code + postcode */
	private readonly byNameAndZip: PairIndex;
	/** all name codes + postcode area (filtered by the city's sound on lookup) */
	private readonly byNamesAndArea: PairIndex;
	/** name code + street code (filtered by the city's sound or the postcode area on lookup) */
	private readonly byNameAndStreet: PairIndex;
	/** postcode + street code */
	private readonly byZipAndStreet: PairIndex;
	private readonly byCustomerNumber = new Map<string, number[]>();

	constructor(addressBook: readonly E[]) {
		this.entries = [...addressBook];
		const cache: PhoneticCache = new Map();
		this.prepared = this.entries.map((e) => prepare(e, cache));
		// one table of string numbers for all four indexes: the same codes and postcodes recur in each
		const ids = new Map<string, number>();
		this.byNameAndZip = new PairIndex(ids);
		this.byNamesAndArea = new PairIndex(ids);
		this.byNameAndStreet = new PairIndex(ids);
		this.byZipAndStreet = new PairIndex(ids);
		this.prepared.forEach((p, i) => {
			if (p.customerNumber) add(this.byCustomerNumber, p.customerNumber, i);
			if (p.streetCode) this.byZipAndStreet.add(p.zip, p.streetCode, i);
			if (p.nameCodes.length > 0) this.byNamesAndArea.add(p.nameCodes.join(' '), area(p.zip), i);
			for (const code of p.nameCodes) {
				this.byNameAndZip.add(code, p.zip, i);
				if (p.streetCode) this.byNameAndStreet.add(code, p.streetCode, i);
			}
		});
	}

	get size(): number {
		return this.entries.length;
	}

	/** The best `limit` candidates for an address, best first, each scored and explained. */
	candidates(address: MatchableAddress, limit = 5): AddressCandidate<E>[] {
		const query = prepare(address);
		const scored: AddressCandidate<E>[] = [];
		for (const i of this.pool(query)) {
			const c = compare(query, this.prepared[i]);
			if (c.kind === 'none' && c.score < CANDIDATE_FLOOR) continue;
			scored.push({ entry: this.entries[i], score: c.score, kind: c.kind, reasons: explain(query, this.prepared[i], c) });
		}
		scored.sort((a, b) => rank(b) - rank(a) || b.score - a.score);
		return scored.slice(0, limit);
	}

	/** Whether the address is in the book (exact), probably is (similar), or not (none), with the candidates. */
	match(address: MatchableAddress, limit = 5): AddressMatch<E> {
		const candidates = this.candidates(address, limit);
		return { kind: candidates[0]?.kind ?? 'none', candidates };
	}

	/** How many entries a lookup for this address would score; for tests and tuning, to show it is not a scan. */
	poolSize(address: MatchableAddress): number {
		return this.pool(prepare(address)).size;
	}

	/**
	 * The entries worth scoring. Every entry that can come out `exact` or `similar` is among them: a name
	 * agreement of 0.7 needs a shared name code (the Jaro-Winkler half gives at most 0.5). A score of 0.8 then
	 * needs the same postcode; or, with the postcode area only (0.075), the street's sound (without it the street
	 * gives at most 0.65, and the rest adds up to 0.8 only with the same name sounds in a city that sounds the
	 * same); or, with no postcode points, the street's and the city's sound (0.4 + 0.3 + 0.15 is all there is).
	 * An exact entry shares postcode and name. Entries that can only come out `none` (a neighbour in the same
	 * street) are found through postcode and street.
	 */
	private pool(q: Prepared): Set<number> {
		const pool = new Set<number>();
		const take = (i: number) => pool.add(i);
		const sameCity = (e: Prepared) => q.cityCode !== '' && e.cityCode === q.cityCode;
		const area3 = q.zip.slice(0, 3);
		const sameCityOrArea = (e: Prepared) => sameCity(e) || (q.zip !== '' && e.zip.slice(0, 3) === area3);
		const takeIf = (keep: (e: Prepared) => boolean) => (i: number) => {
			if (keep(this.prepared[i])) pool.add(i);
		};
		for (const i of (q.customerNumber && this.byCustomerNumber.get(q.customerNumber)) || []) pool.add(i);
		if (q.streetCode) this.byZipAndStreet.forEach(q.zip, q.streetCode, take);
		if (q.nameCodes.length > 0) this.byNamesAndArea.forEach(q.nameCodes.join(' '), area(q.zip), takeIf(sameCity));
		for (const code of q.nameCodes) {
			this.byNameAndZip.forEach(code, q.zip, take);
			if (q.streetCode) this.byNameAndStreet.forEach(code, q.streetCode, takeIf(sameCityOrArea));
		}
		return pool;
	}
}

/** The postcode area: the first three digits, or the whole code when it is shorter. */
function area(zip: string): string {
	return `@${zip.slice(0, 3)}`;
}

function compare(q: Prepared, e: Prepared): Comparison {
	const nameJw = jaroWinkler(q.name, e.name);
	const nameSound = dice(q.nameCodes, e.nameCodes);
	const name = (nameJw + nameSound) / 2;

	const streetJw = jaroWinkler(q.street, e.street);
	const streetSound = q.streetCode && q.streetCode === e.streetCode ? 1 : 0;
	const houseNumber = houseNumberSimilarity(q.houseNumber, e.houseNumber);
	const street = 0.7 * ((streetJw + streetSound) / 2) + 0.3 * houseNumber;

	const zip = !q.zip || !e.zip ? 0 : q.zip === e.zip ? 1 : q.zip.slice(0, 3) === e.zip.slice(0, 3) ? 0.5 : 0;

	const citySound = q.cityCode && q.cityCode === e.cityCode ? 1 : 0;
	const city = (jaroWinkler(q.city, e.city) + citySound) / 2;

	const sameCustomer = q.customerNumber !== '' && q.customerNumber === e.customerNumber;
	const score = round3(
		SCORE_WEIGHTS.name * name + SCORE_WEIGHTS.street * street + SCORE_WEIGHTS.zip * zip + SCORE_WEIGHTS.city * city,
	);
	const exact =
		q.nameKey !== '' &&
		q.nameKey === e.nameKey &&
		q.street === e.street &&
		q.houseNumber === e.houseNumber &&
		q.zip === e.zip &&
		q.city === e.city;
	const kind: AddressMatchKind = exact
		? 'exact'
		: (score >= SIMILAR_THRESHOLD && name >= NAME_THRESHOLD) || sameCustomer
			? 'similar'
			: 'none';
	return { nameJw, nameSound, name, streetJw, streetSound, houseNumber, zip, citySound, sameCustomer, exact, score, kind };
}

function explain(q: Prepared, e: Prepared, c: Comparison): string[] {
	const reasons: string[] = [];
	if (c.exact) reasons.push('identical address');
	if (q.nameKey && q.nameKey === e.nameKey) reasons.push('same name');
	else if (q.name && q.name === e.name) reasons.push('same name apart from spelling (umlauts, legal form, word order)');
	else {
		if (c.nameSound > 0) {
			const shared = q.nameCodes.filter((code) => e.nameCodes.includes(code));
			reasons.push(`name sounds alike (Kölner Phonetik ${shared.join(', ')})`);
		}
		if (c.nameJw >= 0.85) reasons.push(`name spelled similarly (Jaro-Winkler ${c.nameJw.toFixed(2)})`);
	}

	if (q.street && q.street === e.street) {
		reasons.push('same street');
		if (q.houseNumber !== e.houseNumber) {
			reasons.push(c.houseNumber > 0 ? 'house number nearly the same' : 'different house number');
		}
	} else if (c.streetSound) reasons.push('street sounds alike');
	else if (c.streetJw >= 0.85) reasons.push(`street spelled similarly (Jaro-Winkler ${c.streetJw.toFixed(2)})`);

	if (c.zip === 1) reasons.push('same postcode');
	else if (c.zip > 0) reasons.push(`postcode in the same area (${q.zip.slice(0, 3)}…)`);

	if (q.city && q.city === e.city) reasons.push('same city');
	else if (c.citySound) reasons.push('city sounds alike');

	if (c.sameCustomer) reasons.push('same customer number');
	return reasons;
}

function add<K>(map: Map<K, number[]>, key: K, i: number): void {
	const list = map.get(key);
	if (list) list.push(i);
	else map.set(key, [i]);
}

/** Dice coefficient of two code sets: 2 |A ∩ B| / (|A| + |B|). */
function dice(a: string[], b: string[]): number {
	if (a.length === 0 || b.length === 0) return 0;
	const shared = a.filter((c) => b.includes(c)).length;
	return (2 * shared) / (a.length + b.length);
}

function rank(c: { kind: AddressMatchKind }): number {
	return c.kind === 'exact' ? 2 : c.kind === 'similar' ? 1 : 0;
}

function round3(x: number): number {
	return Math.round(x * 1000) / 1000;
}
