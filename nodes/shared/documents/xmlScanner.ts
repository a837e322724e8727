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
 * It keeps to native searches (`indexOf`, sticky regular expressions) instead of a step per character: about half
 * of saxes' time on an openTRANS or camt.053 file (9.4 against ~17 µs for 2.4 KB, warm), in linear time.
 */

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
const NO_ATTRIBUTES: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);
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
	private lineNo = 1;
	private lineStart = 0;
	/** the next LF and CR at or after `lineStart` (-1: none left) */
	private nextLf = -1;
	private nextCr = -1;
	/** whether the text has a CR: a CR LF or a lone CR is one line break, read as LF (XML 1.0 2.11) */
	private readonly crs: boolean;
	private readonly surrogates: boolean;
	/** surrogate pairs on the current line before `pairsTo` (a column counts code points) */
	private pairs = 0;
	private pairsTo = 0;
	private readonly open: string[] = [];
	private sawRoot = false;
	/** the next `&` and `]]>` at or after the text last read (-1: none left); searched again only once passed */
	private nextAmp: number;
	private nextCdataEnd: number;

	constructor(text: string) {
		if (NOT_A_CHAR.test(text) || text.charCodeAt(0) === 0xfeff) throw NOT_FAST;
		this.s = text;
		this.crs = text.includes('\r');
		this.surrogates = /[\uD800-\uDBFF]/.test(text);
		this.firstBreaks();
		this.nextAmp = text.indexOf('&');
		this.nextCdataEnd = text.indexOf(']]>');
	}

	get line(): number {
		this.locate();
		return this.lineNo;
	}

	get column(): number {
		this.locate();
		if (!this.surrogates) return this.at - this.lineStart;
		if (this.pairsTo < this.lineStart || this.pairsTo > this.at) {
			this.pairs = 0;
			this.pairsTo = this.lineStart;
		}
		for (; this.pairsTo < this.at; this.pairsTo++) {
			const c = this.s.charCodeAt(this.pairsTo);
			if (c >= 0xd800 && c <= 0xdbff) this.pairs++;
		}
		return this.at - this.lineStart - this.pairs;
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

	/** Moves the line count up to `at` (events come in document order, so it only moves forward). */
	private locate(): void {
		if (this.at < this.lineStart) {
			this.lineNo = 1;
			this.lineStart = 0;
			this.firstBreaks();
		}
		for (;;) {
			const lf = this.nextLf;
			const cr = this.nextCr;
			const next = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
			if (next === -1 || next >= this.at) return;
			this.lineNo++;
			this.lineStart = next === cr && lf === cr + 1 ? cr + 2 : next + 1;
			this.findBreaks();
		}
	}

	private firstBreaks(): void {
		this.nextLf = this.s.indexOf('\n');
		this.nextCr = this.crs ? this.s.indexOf('\r') : -1;
	}

	/** The next LF and CR from the line's start on; each is looked for again only once the line start passed it. */
	private findBreaks(): void {
		if (this.nextLf !== -1 && this.nextLf < this.lineStart) this.nextLf = this.s.indexOf('\n', this.lineStart);
		if (this.nextCr !== -1 && this.nextCr < this.lineStart) this.nextCr = this.s.indexOf('\r', this.lineStart);
	}

	/** Line breaks as saxes passes them on: a CR LF or a lone CR becomes LF. */
	private lines(text: string): string {
		return this.crs && text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
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
		const raw = this.lines(s.slice(from, to));
		const text = this.nextAmp === -1 || this.nextAmp >= to ? raw : resolve(raw);
		this.at = to + 1;
		events.text(text);
	}

	private startTag(lt: number, events: XmlEvents): number {
		if (this.sawRoot && !this.open.length) throw NOT_FAST; // a second root element
		const s = this.s;
		const name = this.name(lt + 1);
		let attributes = NO_ATTRIBUTES;
		let i = lt + 1 + name.length;
		for (;;) {
			const c = s.charCodeAt(i);
			if (c === GT || (c === SLASH && s.charCodeAt(i + 1) === GT)) break;
			const from = i;
			i = skipSpace(s, i);
			if (i === from) throw NOT_FAST; // no space before an attribute
			const after = s.charCodeAt(i);
			if (after === GT || after === SLASH) continue;
			if (attributes === NO_ATTRIBUTES) attributes = Object.create(null) as Record<string, string>;
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
		events.text(this.lines(s.slice(lt + 9, end)));
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
			if (!(s.charCodeAt(i) >= 0x80)) return s.slice(at, i);
		}
		NAME.lastIndex = at;
		const match = NAME.exec(this.s);
		if (!match) throw NOT_FAST;
		return match[0];
	}
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
	// the same rule as for the characters written as they are (NOT_A_CHAR)
	if (code < 0 || code > 0x10ffff) throw NOT_FAST;
	const character = String.fromCodePoint(code);
	if (NOT_A_CHAR.test(character)) throw NOT_FAST;
	return character;
}
