import { compactIdentifier, lettersToDigits, mod97 } from './identifiers';

/**
 * Finding the invoice a payment pays in what the payer wrote.
 *
 * Payers write "Rechnung RE-2025-0042", "RG.NR. 4711 U. 4712", "INV 2025 0042"; banks upper-case the
 * text, cut it into 27- or 35-character lines and join them again without a separator, so a number
 * may arrive as "RE-2025-00" + "42" or with a space inside. Hence:
 * 1. known open invoice numbers are looked for first, ignoring case, spaces and hyphens;
 * 2. then a keyword (RECHNUNG, RE-NR, RG-NR, INVOICE, BELEG …) followed by one number, or a list of
 *    numbers joined by "," ";" "+" "&" "UND" "AND";
 * 3. ISO 11649 creditor references (`RF` + 2 check digits) are found by their checksum.
 */

const DASHES = /[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;

/** Upper case, one kind of hyphen, one space between words. */
export function normaliseRemittance(text: string): string {
	return text.toUpperCase().replace(DASHES, '-').replace(/\s+/g, ' ').trim();
}

/** How invoice numbers are compared: upper case, without whitespace and hyphens ("re-2025 0042" → "RE20250042"). */
export function invoiceKey(invoiceNumber: string): string {
	return normaliseRemittance(invoiceNumber).replace(/[\s-]+/g, '');
}

/**
 * How much of a remittance text is searched. SEPA allows 140 characters, MT940 :86: 390, a camt entry a few
 * `Ustrd` of 140; a longer "remittance text" is a misread column or hostile input, and searching all of it
 * would let one field cost seconds. The numbers a payer writes stand at the start.
 */
const MAX_SCANNED_LENGTH = 4096;

function scanned(text: string): string {
	return text.length > MAX_SCANNED_LENGTH ? text.slice(0, MAX_SCANNED_LENGTH) : text;
}

/** Known numbers shorter than this are not looked for: "42" would be found in every amount and date. */
const MIN_KNOWN_KEY_LENGTH = 3;

const KEYWORD = new RegExp(
	'(?=[BFIR])(?<![A-Z0-9])(' +
		[
			'RECHNUNGSNUMMERN?',
			'RECHNUNGS?-?NR',
			'RECHNUNGEN',
			'RECHNUNG',
			'RECHN',
			'RE ?-?NR',
			'RG ?-?NR',
			'RGNR',
			'RNR',
			'INVOICES?(?: ?-?(?:NO|NR|NUMBER|#))?',
			'INV',
			'BELEGNUMMER',
			'BELEG ?-?NR',
			'BELEG',
			'FAKTURA',
			'FACTURE',
			'RG',
			'RE',
		].join('|') +
		')(?![A-Z])',
	'g',
);

/** Keywords that are also the usual prefix of an invoice number: "RE20250042" is one number, not "RE" + 20250042. */
const PREFIX_KEYWORDS = new Set(['RE', 'RG', 'INV']);

/** Invoice numbers are at most this long (EN 16931 allows more, but no payer types 36 characters into a transfer). */
const MAX_NUMBER_LENGTH = 35;
const NUMBER_TOKEN = new RegExp(`^[A-Z0-9](?:[A-Z0-9/_.-]{0,${MAX_NUMBER_LENGTH - 2}}[A-Z0-9])?`);
/**
 * A payment names a few invoices; a text with more keyword hits than this is not a remittance text but noise
 * (or an attack), and looking further would make the comparison of the hits with each other quadratic.
 */
const MAX_KEYWORD_NUMBERS = 100;
const LIST_SEPARATOR = /^\s*(?:,|;|\+|&|\bUND\b|\bU\.|\bAND\b)\s*/;

/**
 * Invoice numbers named in a remittance text. Known numbers come back spelt as the caller knows them,
 * in the order they appear in the text; numbers found only by keyword follow, spelt as in the text.
 */
export function findInvoiceNumbers(text: string, knownInvoiceNumbers: readonly string[] = []): string[] {
	const normalised = normaliseRemittance(scanned(text));
	if (!normalised) return [];
	const found: Array<{ number: string; key: string; at: number }> = [];

	const compact = compactWithPositions(normalised);
	const seenKnown = new Set<string>();
	for (const known of knownInvoiceNumbers) {
		const key = invoiceKey(known);
		if (key.length < MIN_KNOWN_KEY_LENGTH || seenKnown.has(key)) continue;
		seenKnown.add(key);
		const at = findWithBoundaries(normalised, compact, key);
		if (at >= 0) found.push({ number: known, key, at });
	}
	found.sort((a, b) => a.at - b.at);

	const fromKeywords: Array<{ number: string; key: string; at: number }> = [];
	for (const match of normalised.matchAll(KEYWORD)) {
		if (fromKeywords.length >= MAX_KEYWORD_NUMBERS) break;
		const keyword = match[1];
		let rest = normalised.slice(match.index + match[0].length);
		let at = match.index + match[0].length;
		// the number follows directly ("RE20250042"), or after ".", ":", "#", "-" and spaces, maybe with "NR."
		const lead = /^(?:[.:#-]*\s*(?:NO|NR|NUMMER|NUMBER)?\.?[\s.:#-]*)/.exec(rest)?.[0] ?? '';
		// "RE20250042" and "RE-2025-0042" are invoice numbers that start with the keyword; "RE 2025-0042" is not
		const glued = (lead === '' || lead === '-') && PREFIX_KEYWORDS.has(keyword);
		rest = rest.slice(lead.length);
		at += lead.length;
		let first = true;
		for (;;) {
			const token = NUMBER_TOKEN.exec(rest)?.[0];
			if (!token || !/\d/.test(token)) break;
			// a run of number characters longer than any invoice number is no invoice number: the scan stays bounded
			if (/^(?:[A-Z0-9]|[/_.-][A-Z0-9])/.test(rest.slice(token.length, token.length + 2))) break;
			const number = first && glued ? keyword + lead + token : token;
			fromKeywords.push({ number, key: invoiceKey(number), at: first && glued ? match.index : at });
			first = false;
			rest = rest.slice(token.length);
			at += token.length;
			const separator = LIST_SEPARATOR.exec(rest)?.[0];
			if (!separator) break;
			rest = rest.slice(separator.length);
			at += separator.length;
		}
	}
	fromKeywords.sort((a, b) => a.at - b.at);
	for (const candidate of fromKeywords) {
		// a keyword hit that is (part of) a known number already found adds nothing, nor does "RE-4711" when 4711 was found
		const covered = (f: { key: string }) =>
			f.key.includes(candidate.key) ||
			(candidate.key.endsWith(f.key) && /^[A-Z]+$/.test(candidate.key.slice(0, candidate.key.length - f.key.length)));
		if (found.some(covered)) continue;
		found.push(candidate);
	}
	return found.map((f) => f.number);
}

interface CompactText {
	text: string;
	/** index in the normalised text of each character of `text` */
	positions: number[];
}

function compactWithPositions(normalised: string): CompactText {
	let text = '';
	const positions: number[] = [];
	for (let i = 0; i < normalised.length; i++) {
		const ch = normalised[i];
		if (ch === ' ' || ch === '-') continue;
		text += ch;
		positions.push(i);
	}
	return { text, positions };
}

const isDigit = (ch: string | undefined) => ch !== undefined && ch >= '0' && ch <= '9';
const isLetter = (ch: string | undefined) => ch !== undefined && ch >= 'A' && ch <= 'Z';
const isAlphanumeric = (ch: string | undefined) => isDigit(ch) || isLetter(ch);

/**
 * Where `key` occurs as a whole number: at each end there is a separator in the original text, or
 * the kind of character changes (letters to digits), so "KD4711" names 4711 but "147112" does not.
 */
function findWithBoundaries(normalised: string, compact: CompactText, key: string): number {
	for (let from = 0; ; ) {
		const start = compact.text.indexOf(key, from);
		if (start < 0) return -1;
		const end = start + key.length;
		const originalStart = compact.positions[start];
		const originalEnd = compact.positions[end - 1] + 1;
		const okStart =
			originalStart === 0 ||
			!isAlphanumeric(normalised[originalStart - 1]) ||
			!sameKind(compact.text[start - 1], key[0]);
		const okEnd =
			originalEnd === normalised.length ||
			!isAlphanumeric(normalised[originalEnd]) ||
			!sameKind(compact.text[end], key[key.length - 1]);
		if (okStart && okEnd) return originalStart;
		from = start + 1;
	}
}

function sameKind(a: string | undefined, b: string | undefined): boolean {
	return (isDigit(a) && isDigit(b)) || (isLetter(a) && isLetter(b));
}

/** ISO 11649: `RF`, two check digits, 1–21 letters or digits; mod 97 of the rearranged number is 1. */
export function isValidCreditorReference(reference: string): boolean {
	const ref = compactIdentifier(reference);
	if (!/^RF\d{2}[A-Z0-9]{1,21}$/.test(ref)) return false;
	return mod97(lettersToDigits(ref.slice(4) + ref.slice(0, 4))) === 1;
}

/** Builds the ISO 11649 creditor reference for a payload such as an invoice number ("RE20250042" → "RF…RE20250042"). */
export function makeCreditorReference(payload: string): string {
	const body = compactIdentifier(payload).replace(/[^A-Z0-9]/g, '');
	if (body.length < 1 || body.length > 21) {
		throw new RangeError(`a creditor reference carries 1 to 21 letters or digits, not "${payload}"`);
	}
	const check = 98 - mod97(lettersToDigits(body + 'RF00'));
	return `RF${String(check).padStart(2, '0')}${body}`;
}

/**
 * Valid creditor references in a text, compact ("RF18 5390 0754 7034" → "RF18539007547034"). A printed
 * reference is followed by more words, so the longest run of groups whose checksum holds wins.
 */
export function findCreditorReferences(text: string): string[] {
	const normalised = normaliseRemittance(scanned(text));
	const out: string[] = [];
	for (const match of normalised.matchAll(/(?<![A-Z0-9])RF\d{2}/g)) {
		// groups of letters and digits, each after at most one space, make up the reference
		let rest = normalised.slice(match.index + 4);
		const ends: string[] = [];
		let body = '';
		// groups are read at most 22 characters at a time: a longer one ends the reference anyway
		for (let group = /^ ?([A-Z0-9]{1,22})/.exec(rest); group; group = /^ ?([A-Z0-9]{1,22})/.exec(rest)) {
			body += group[1];
			if (body.length > 21) break;
			ends.push(body);
			rest = rest.slice(group[0].length);
		}
		for (let i = ends.length - 1; i >= 0; i--) {
			const candidate = match[0] + ends[i];
			if (isValidCreditorReference(candidate)) {
				if (!out.includes(candidate)) out.push(candidate);
				break;
			}
		}
	}
	return out;
}
