/**
 * String similarity and the normalisation of German names, streets and places that comes before it.
 *
 * Two kinds of normal form:
 * - *keys* say whether two spellings are the same thing (`nameKey`, `parseStreet(..).key`, `normaliseCity`);
 *   a name key keeps umlauts, because Müller and Mueller are both real surnames and a person should decide;
 * - *normalised* forms feed the similarity measures, with umlauts spelled out (ü → ue, ß → ss) and legal
 *   forms (GmbH, KG, e.K., & Co. …) removed, so that only the part that names someone is compared.
 */

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Jaro-Winkler similarity in [0, 1] (Winkler 1990): Jaro's count of matching characters within a window and
 * of transpositions, raised for a common prefix of up to 4 characters by 0.1 per character.
 */
export function jaroWinkler(a: string, b: string, prefixScale = 0.1): number {
	if (a === b) return 1;
	// compare by code point; strings without surrogates (all normalised forms) are compared as they are
	const s: ArrayLike<string> = SURROGATE.test(a) ? [...a] : a;
	const t: ArrayLike<string> = SURROGATE.test(b) ? [...b] : b;
	if (s.length === 0 || t.length === 0) return 0;
	const window = Math.max(0, Math.floor(Math.max(s.length, t.length) / 2) - 1);
	const sMatched = new Uint8Array(s.length);
	const tMatched = new Uint8Array(t.length);
	let matches = 0;
	for (let i = 0; i < s.length; i++) {
		const from = Math.max(0, i - window);
		const to = Math.min(t.length - 1, i + window);
		for (let j = from; j <= to; j++) {
			if (tMatched[j] || s[i] !== t[j]) continue;
			sMatched[i] = tMatched[j] = 1;
			matches++;
			break;
		}
	}
	if (matches === 0) return 0;
	let transpositions = 0;
	for (let i = 0, j = 0; i < s.length; i++) {
		if (!sMatched[i]) continue;
		while (!tMatched[j]) j++;
		if (s[i] !== t[j]) transpositions++;
		j++;
	}
	const m = matches;
	const jaro = (m / s.length + m / t.length + (m - transpositions / 2) / m) / 3;
	let prefix = 0;
	while (prefix < 4 && prefix < s.length && prefix < t.length && s[prefix] === t[prefix]) prefix++;
	return jaro + prefix * prefixScale * (1 - jaro);
}

/** Lower case, umlauts spelled out (ä → ae, ö → oe, ü → ue, ß → ss), other accents removed. */
export function foldUmlauts(text: string): string {
	const lower = text.toLowerCase();
	// most of an address book is plain ASCII; only the rest needs the Unicode work
	if (!NON_ASCII.test(lower)) return lower;
	return lower
		.replace(/ä/g, 'ae')
		.replace(/ö/g, 'oe')
		.replace(/ü/g, 'ue')
		.replace(/[ßẞ]/g, 'ss')
		.normalize('NFD')
		.replace(/[\u0300-\u036f]/g, '');
}

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Legal forms and the words around them; they say what kind of company it is, not which one. Longest first,
 * so that "GmbH & Co. KG" goes as a whole. Written for text that `foldUmlauts` has seen.
 */
const LEGAL_FORMS = [
	/\bgmbh\s*(?:&|und|u\.)\s*co\.?\s*(?:kg|ohg)(?:aa)?(?=\W|$)/g,
	/\bag\s*(?:&|und|u\.)\s*co\.?\s*(?:kg|ohg)(?=\W|$)/g,
	/\bug\s*\(?haftungsbeschraenkt\)?/g,
	/(?:^|\s)(?:&|und|u\.)\s*co\b\.?(?:\s*kg\b)?/g,
	/\bg\.?\s*m\.?\s*b\.?\s*h\b\.?/g,
	/\be\.\s*(?:kfm|kfr|k|v)\b\.?/g,
	/\b(?:mbh|kgaa|kg|ohg|gbr|ag|ug|se|ek|ev|eg|partg|partgmbb|ltd|limited|inc|llc|llp|plc|corp|sarl|sas|bv|nv|srl|spa|inh|inhaber|inhaberin)\b\.?/g,
];

/** Words that are no part of a name's identity: salutations, titles, "Firma". */
const NAME_NOISE = new Set(['herr', 'herrn', 'frau', 'fa', 'firma', 'dr', 'prof', 'dipl', 'ing', 'und', 'u']);

/** A name for comparison: folded, legal forms removed, punctuation as blanks ("Müller GmbH & Co. KG" → "mueller"). */
export function normaliseName(name: string): string {
	let n = foldUmlauts(name);
	for (const form of LEGAL_FORMS) n = n.replace(form, ' ');
	return n
		.replace(/[^a-z0-9]+/g, ' ')
		.split(' ')
		.filter((t) => t && !NAME_NOISE.has(t))
		.join(' ');
}

/**
 * How alike two party names are, from 0 to 1: Jaro-Winkler of the normalised names (`normaliseName`), taking
 * the better of the written and the sorted word order, so that "Kaufmann, Karl" is "Karl Kaufmann".
 */
export function nameSimilarity(a: string, b: string): number {
	const x = normaliseName(a);
	const y = normaliseName(b);
	if (!x || !y) return 0;
	if (x === y) return 1;
	const sorted = (s: string) => s.split(' ').sort().join(' ');
	return Math.max(jaroWinkler(x, y), jaroWinkler(sorted(x), sorted(y)));
}

/** The words of a normalised name, in a stable order so that "Hans Müller" and "Müller, Hans" compare alike. */
export function nameTokens(name: string): string[] {
	const tokens = normaliseName(name).split(' ').filter(Boolean);
	return [...new Set(tokens)].sort();
}

/**
 * Whether two names are written the same: case, blanks and punctuation do not count ("Müller G.m.b.H." is
 * "MÜLLER GmbH"), umlauts do ("Müller" is not "Mueller").
 */
export function nameKey(name: string): string {
	return name
		.normalize('NFC')
		.toLowerCase()
		.replace(/[^\p{L}\p{N}]+/gu, '');
}

export interface ParsedStreet {
	/** the street's name, folded, without blanks, with "straße" as "str" ("Muster Straße" → "musterstr") */
	name: string;
	/** the house number, lower case without blanks ("12 a" → "12a", "12 - 14" → "12-14"); empty when none */
	houseNumber: string;
	/** name and house number together: equal keys mean the same address line */
	key: string;
}

/** Street-type words and their abbreviations, folded. */
const STREET_WORDS: Array<[RegExp, string]> = [
	[/(?:strasse|strase|str\.?)(?=[^a-z]|$)/g, 'str'],
	[/pl\.(?=[^a-z]|$)/g, 'platz'],
];

/**
 * Splits "Musterstraße 12a" into street and house number, and normalises both so that "Musterstraße 12",
 * "Musterstr. 12" and "Muster Strasse 12" have the same key.
 */
export function parseStreet(street: string): ParsedStreet {
	const folded = foldUmlauts(street).trim();
	const m = /^(.*?)[\s,]*(\d+\s*[a-z]?(?:\s*[-/]\s*\d+\s*[a-z]?)?)$/.exec(folded);
	let name = m && m[1] ? m[1] : folded;
	const houseNumber = m && m[1] ? m[2].replace(/\s+/g, '') : '';
	for (const [pattern, replacement] of STREET_WORDS) name = name.replace(pattern, replacement);
	name = name.replace(/[^a-z0-9]+/g, '');
	return { name, houseNumber, key: houseNumber ? `${name} ${houseNumber}` : name };
}

/** How alike two house numbers are: the same 1, "12" vs "12a" or one missing 0.5, else 0. */
export function houseNumberSimilarity(a: string, b: string): number {
	if (a === b) return 1;
	if (!a || !b) return 0.5;
	const digits = (n: string) => /^\d+/.exec(n)?.[0] ?? '';
	return digits(a) === digits(b) ? 0.5 : 0;
}

/** A place name for comparison: folded, letters and digits only ("Köln" and "Koeln" → "koeln"). */
export function normaliseCity(city: string): string {
	return foldUmlauts(city).replace(/[^a-z0-9]+/g, '');
}

/** A postcode as written without a country prefix or blanks ("D-50667" → "50667"). */
export function normaliseZip(zip: string): string {
	return zip
		.trim()
		.toUpperCase()
		.replace(/^[A-Z]{1,2}\s*-\s*(?=\d)/, '')
		.replace(/\s+/g, '');
}
