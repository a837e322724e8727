/**
 * The fast reader of well-formed XML 1.0 (no DOCTYPE), the common case of every business document; saxes reads
 * what it does not take (`NotFast`), names the place of every error, and stays the reference in the tests.
 *
 * It hands the tree builder (xml.ts) the same events as saxes, with the same values and the same line and column
 * (counted in code points, a CR LF or a lone CR as one line break): an element when its start tag is complete,
 * the text between two pieces of markup as one piece (references resolved, line breaks as LF), a CDATA section as
 * one piece, comments and processing instructions. It is strict where saxes is: a character XML 1.0 does not
 * allow, a name that is not an XML name, an attribute without quotes or written twice, `<` in an attribute value,
 * `]]>` in text, `--` in a comment, a reference that is not `&amp; &lt; &gt; &quot; &apos;` or a character
 * allowed in XML, text outside the root element, a second root, a tag closed that is not the open one: each one
 * stops it with `NotFast`, and so do a DOCTYPE, an XML declaration other than version 1.0 and a byte order mark.
 * It keeps to native searches (`indexOf`, sticky regular expressions) instead of a step per character, in linear
 * time; a line and column are worked out only when asked for (`locate`: an error, a reader naming an element's
 * place), and known names are not copied again (`intern`). With the tree built, parseXml takes about 14 µs for a
 * 2.4 KB openTRANS file and 61 µs for ITscope's 8.8 KB one (CR LF), against 27 and 101 µs through saxes (warm).
 */

import { CONTROL_CHARACTER } from './text';

/** The events of one document, in document order (the tree builder in xml.ts). */
export interface XmlEvents {
	/** a start tag (or an empty-element tag, then `close` follows at once) */
	open(name: string, attributes: Record<string, string>): void;
	/** text or a CDATA section inside the root element */
	text(text: string): void;
	/** a comment or processing instruction inside the root element */
	interrupt(): void;
	close(): void;
}

/** Where the reader is: the line and column saxes would give at the same event (after the token). */
export interface XmlPosition {
	readonly line: number;
	readonly column: number;
}

/** The fast reader does not take this document (malformed, or a construct left to saxes). */
export class NotFast extends Error {}

const NOT_FAST = new NotFast('left to saxes');

// XML 1.0 (fifth edition) Char, NameStartChar and NameChar
const NOT_A_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/**
 * What the fast reader leaves to saxes at once besides (plain searches, quicker than NOT_A_CHAR): the two
 * non-characters, and every control character (text.ts) — C0 ones XML does not allow, DEL and C1 ones it does,
 * which the tree builder refuses in a value with saxes' position (and reads in a comment).
 */
const NON_CHARACTER = /[\uFFFE\uFFFF]/;
const NAME_START = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
// eslint-disable-next-line no-misleading-character-class -- the combining marks U+0300–U+036F are name characters in XML
const NAME = new RegExp(`[${NAME_START}][${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F\\u2040]*`, 'uy');
/** ASCII: 1 a name may start with it, 2 it may only follow (a name's other characters are looked at by NAME) */
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
	const ch = String.fromCharCode(c);
	if (/[:A-Z_a-z]/.test(ch)) ASCII_NAME[c] = 1;
	else if (/[-.0-9]/.test(ch)) ASCII_NAME[c] = 2;
}
/** the attributes of a tag that has none (never written to) */
export const NO_ATTRIBUTES_READ: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);
const DECLARATION =
	/<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.0"|'1\.0')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][\w.-]*"|'[A-Za-z][\w.-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>/y;
const NAMED = new Map([
	['amp', '&'],
	['lt', '<'],
	['gt', '>'],
	['quot', '"'],
	['apos', "'"],
]);
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;

/** Reads `text` into `events`; throws NotFast where saxes must read it. Errors of `events` pass through. */
export class XmlScanner implements XmlPosition {
	private readonly s: string;
	/** the index the current event's position stands at (after its token) */
	private at = 0;
	/** the index of each line break (a CR LF's CR), made on the first `locate` */
	private breaks?: number[];
	private readonly surrogates: boolean;
	/** surrogate pairs from `pairsFrom` (a line's start) to `pairsTo`: a column counts code points */
	private pairs = 0;
	private pairsFrom = -1;
	private pairsTo = -1;
	private readonly open: string[] = [];
	private sawRoot = false;
	/** the next `&`, `]]>` and CR at or after the text last read (-1: none left); searched again only once passed */
	private nextAmp: number;
	private nextCdataEnd: number;
	private nextCr: number;

	constructor(text: string) {
		if (CONTROL_CHARACTER.test(text) || NON_CHARACTER.test(text) || text.charCodeAt(0) === 0xfeff) throw NOT_FAST;
		this.s = text;
		this.surrogates = /[\uD800-\uDFFF]/.test(text);
		if (this.surrogates && NOT_A_CHAR.test(text)) throw NOT_FAST; // a surrogate that is not half of a pair
		this.nextAmp = text.indexOf('&');
		this.nextCdataEnd = text.indexOf(']]>');
		this.nextCr = text.indexOf('\r');
	}

	/** The index the current event stands at (after its token), for `locate`. */
	get offset(): number {
		return this.at;
	}

	get line(): number {
		return this.locate(this.at).line;
	}

	get column(): number {
		return this.locate(this.at).column;
	}

	/**
	 * The line and column saxes gives at `offset` (after a token): a CR LF or a lone CR is one line break, a column
	 * counts code points. The line breaks are found once, when the first position is asked for (an error, or a
	 * reader that names an element's place); asked in document order, the columns take linear time too.
	 */
	locate(offset: number): XmlPosition {
		const s = this.s;
		const breaks = (this.breaks ??= lineBreaks(s));
		let lo = 0;
		let hi = breaks.length;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (breaks[mid] < offset) lo = mid + 1;
			else hi = mid;
		}
		const last = breaks[lo - 1];
		const lineStart = lo === 0 ? 0 : last + (s.charCodeAt(last) === 0x0d && s.charCodeAt(last + 1) === 0x0a ? 2 : 1);
		if (!this.surrogates) return { line: lo + 1, column: offset - lineStart };
		if (this.pairsFrom !== lineStart || this.pairsTo > offset) {
			this.pairs = 0;
			this.pairsFrom = this.pairsTo = lineStart;
		}
		for (; this.pairsTo < offset; this.pairsTo++) {
			const c = s.charCodeAt(this.pairsTo);
			if (c >= 0xd800 && c <= 0xdbff) this.pairs++;
		}
		return { line: lo + 1, column: offset - lineStart - this.pairs };
	}

	read(events: XmlEvents): void {
		const s = this.s;
		let i = s.startsWith('<?xml') ? this.declaration() : 0;
		while (i < s.length) {
			const lt = s.indexOf('<', i);
			const end = lt === -1 ? s.length : lt;
			if (end > i) this.textRun(i, end, events);
			if (lt === -1) break;
			const next = s.charCodeAt(lt + 1);
			if (next === SLASH) i = this.closeTag(lt, events);
			else if (next === BANG) i = this.bang(lt, events);
			else if (next === QUESTION) i = this.instruction(lt, events);
			else i = this.startTag(lt, events);
		}
		if (!this.sawRoot || this.open.length) throw NOT_FAST;
	}

	/** `s[from, to)` with its line breaks as saxes passes them on: a CR LF or a lone CR becomes LF (XML 1.0 2.11). */
	private lines(from: number, to: number): string {
		const s = this.s;
		if (this.nextCr !== -1 && this.nextCr < from) this.nextCr = s.indexOf('\r', from);
		const cr = this.nextCr;
		if (cr === -1 || cr >= to) return s.slice(from, to);
		// layout between tags in a CR LF file: one CR LF first and no other CR, so the text from its LF on (no copy)
		if (cr === from && s.charCodeAt(from + 1) === 0x0a) {
			this.nextCr = s.indexOf('\r', from + 1);
			if (this.nextCr === -1 || this.nextCr >= to) return s.slice(from + 1, to);
		}
		return s.slice(from, to).replace(/\r\n?/g, '\n');
	}

	private declaration(): number {
		const c = this.s.charCodeAt(5);
		if (!isXmlSpace(c) && c !== QUESTION) return 0; // a PI such as <?xml-stylesheet …?>
		DECLARATION.lastIndex = 0;
		if (!DECLARATION.test(this.s)) throw NOT_FAST;
		return DECLARATION.lastIndex;
	}

	private textRun(from: number, to: number, events: XmlEvents): void {
		const s = this.s;
		if (!this.open.length) {
			for (let i = from; i < to; i++) if (!isXmlSpace(s.charCodeAt(i))) throw NOT_FAST; // text outside the root element
			return;
		}
		if (this.nextCdataEnd !== -1 && this.nextCdataEnd < from) this.nextCdataEnd = s.indexOf(']]>', from);
		if (this.nextCdataEnd !== -1 && this.nextCdataEnd + 3 <= to) throw NOT_FAST;
		if (this.nextAmp !== -1 && this.nextAmp < from) this.nextAmp = s.indexOf('&', from);
		const raw = this.lines(from, to);
		const text = this.nextAmp === -1 || this.nextAmp >= to ? raw : resolve(raw);
		this.at = to + 1;
		events.text(text);
	}

	private startTag(lt: number, events: XmlEvents): number {
		if (this.sawRoot && !this.open.length) throw NOT_FAST; // a second root element
		const s = this.s;
		const name = this.name(lt + 1);
		let attributes = NO_ATTRIBUTES_READ;
		let i = lt + 1 + name.length;
		for (;;) {
			const c = s.charCodeAt(i);
			if (c === GT || (c === SLASH && s.charCodeAt(i + 1) === GT)) break;
			const from = i;
			i = skipSpace(s, i);
			if (i === from) throw NOT_FAST; // no space before an attribute
			const after = s.charCodeAt(i);
			if (after === GT || after === SLASH) continue;
			if (attributes === NO_ATTRIBUTES_READ) attributes = Object.create(null) as Record<string, string>;
			i = this.attribute(i, attributes);
		}
		const empty = s.charCodeAt(i) === SLASH;
		const end = i + (empty ? 2 : 1);
		this.sawRoot = true;
		this.open.push(name);
		this.at = end;
		events.open(name, attributes);
		if (empty) this.closeOpen(events);
		return end;
	}

	/** One `name = "value"`; returns the index after the closing quote. */
	private attribute(at: number, attributes: Record<string, string>): number {
		const s = this.s;
		const name = this.name(at);
		let i = skipSpace(s, at + name.length);
		if (s.charCodeAt(i) !== 0x3d) throw NOT_FAST;
		i = skipSpace(s, i + 1);
		const quote = s.charCodeAt(i);
		if (quote !== 0x22 && quote !== 0x27) throw NOT_FAST;
		const close = s.indexOf(quote === 0x22 ? '"' : "'", i + 1);
		if (close === -1 || name in attributes) throw NOT_FAST;
		const raw = s.slice(i + 1, close);
		if (raw.includes('<')) throw NOT_FAST;
		// a line break or tab written in a value is a space (XML 1.0 3.3.3); one written as a reference is kept
		const spaced = /[\t\n\r]/.test(raw) ? raw.replace(/\r\n|[\t\n\r]/g, ' ') : raw;
		attributes[name] = spaced.includes('&') ? resolve(spaced) : spaced;
		return close + 1;
	}

	private closeTag(lt: number, events: XmlEvents): number {
		const s = this.s;
		const name = this.open[this.open.length - 1];
		// the open element's name, then a space or '>' (a longer name is another one: not '>' nor a space)
		if (name === undefined || !s.startsWith(name, lt + 2)) throw NOT_FAST;
		const i = skipSpace(s, lt + 2 + name.length);
		if (s.charCodeAt(i) !== GT) throw NOT_FAST;
		this.at = i + 1;
		this.closeOpen(events);
		return i + 1;
	}

	private closeOpen(events: XmlEvents): void {
		this.open.pop();
		events.close();
	}

	/** A comment or a CDATA section; a DOCTYPE and anything else is saxes' to read (and refuse). */
	private bang(lt: number, events: XmlEvents): number {
		const s = this.s;
		if (s.startsWith('<!--', lt)) {
			const dashes = s.indexOf('--', lt + 4);
			if (dashes === -1 || s.charCodeAt(dashes + 2) !== GT) throw NOT_FAST;
			this.at = dashes + 3;
			if (this.open.length) events.interrupt();
			return dashes + 3;
		}
		if (!s.startsWith('<![CDATA[', lt) || !this.open.length) throw NOT_FAST;
		const end = s.indexOf(']]>', lt + 9);
		if (end === -1) throw NOT_FAST;
		this.at = end + 3;
		events.text(this.lines(lt + 9, end));
		return end + 3;
	}

	private instruction(lt: number, events: XmlEvents): number {
		const s = this.s;
		const target = this.name(lt + 2);
		const after = s.charCodeAt(lt + 2 + target.length);
		if (target.toLowerCase() === 'xml' || target.includes(':')) throw NOT_FAST;
		if (after !== QUESTION && !isXmlSpace(after)) throw NOT_FAST;
		const end = s.indexOf('?>', lt + 2 + target.length);
		if (end === -1) throw NOT_FAST;
		this.at = end + 2;
		if (this.open.length) events.interrupt();
		return end + 2;
	}

	private name(at: number): string {
		const s = this.s;
		if (ASCII_NAME[s.charCodeAt(at)] === 1) {
			let i = at + 1;
			while (ASCII_NAME[s.charCodeAt(i)]) i++;
			if (!(s.charCodeAt(i) >= 0x80)) return internAt(s, at, i);
		}
		NAME.lastIndex = at;
		const match = NAME.exec(this.s);
		if (!match) throw NOT_FAST;
		return intern(match[0]);
	}
}

/**
 * Names seen before (elements', attributes'), one flat copy each, shared by every document of the process: a known
 * name costs neither a new string nor a look-up that hashes it, and holds no document's text. One slot per first,
 * middle and last character and length; a name whose slot another name took is copied again when it comes. Names
 * longer than any a business document uses are not kept (what this table holds stays a few hundred kilobytes).
 */
const NAMES = new Array<string | undefined>(4096).fill(undefined);
const LONGEST_KEPT = 80;

function slot(first: number, middle: number, last: number, length: number): number {
	return (first * 7 + middle * 31 + last * 131 + length * 17) & 4095;
}

/** `name` as the one shared copy. */
export function intern(name: string): string {
	const n = name.length;
	const at = slot(name.charCodeAt(0), name.charCodeAt(n >> 1), name.charCodeAt(n - 1), n);
	const known = NAMES[at];
	return known === name ? known : keep(at, name);
}

/** `s.slice(from, to)` as the one shared copy, compared in place. */
function internAt(s: string, from: number, to: number): string {
	const n = to - from;
	const at = slot(s.charCodeAt(from), s.charCodeAt(from + (n >> 1)), s.charCodeAt(to - 1), n);
	const known = NAMES[at];
	if (known !== undefined && known.length === n && s.startsWith(known, from)) return known;
	return keep(at, s.slice(from, to));
}

/** A flat copy of `name` in slot `at` (one that holds no document's text), unless the name is too long to keep. */
function keep(at: number, name: string): string {
	return name.length > LONGEST_KEPT ? name : (NAMES[at] = name.split('').join(''));
}

/** The index of each line break of `s`: an LF, a lone CR, the CR of a CR LF. */
function lineBreaks(s: string): number[] {
	const breaks: number[] = [];
	let lf = s.indexOf('\n');
	let cr = s.indexOf('\r');
	while (lf !== -1 || cr !== -1) {
		if (cr !== -1 && (lf === -1 || cr < lf)) {
			breaks.push(cr);
			if (lf === cr + 1) lf = s.indexOf('\n', lf + 1);
			cr = s.indexOf('\r', cr + 1);
		} else {
			breaks.push(lf);
			lf = s.indexOf('\n', lf + 1);
		}
	}
	return breaks;
}

/** XML's white space (S): space, tab, LF, CR. */
export function isXmlSpace(c: number): boolean {
	return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function skipSpace(s: string, i: number): number {
	while (isXmlSpace(s.charCodeAt(i))) i++;
	return i;
}

/** Text with its references resolved; NotFast for any other entity, or a character reference XML does not allow. */
function resolve(s: string): string {
	let out = '';
	let last = 0;
	for (let amp = s.indexOf('&'); amp !== -1; amp = s.indexOf('&', last)) {
		const semicolon = s.indexOf(';', amp + 1);
		if (semicolon === -1) throw NOT_FAST;
		out += s.slice(last, amp) + reference(s.slice(amp + 1, semicolon));
		last = semicolon + 1;
	}
	return out + s.slice(last);
}

function reference(name: string): string {
	const named = NAMED.get(name);
	if (named !== undefined) return named;
	const code = /^#x[0-9A-Fa-f]{1,6}$/.test(name) ? parseInt(name.slice(2), 16) : /^#[0-9]{1,7}$/.test(name) ? Number(name.slice(1)) : -1;
	// the same rules as for the characters written as they are
	if (code < 0 || code > 0x10ffff) throw NOT_FAST;
	const character = String.fromCodePoint(code);
	if (NOT_A_CHAR.test(character) || CONTROL_CHARACTER.test(character)) throw NOT_FAST;
	return character;
}
