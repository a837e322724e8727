import { DocumentError, type DocumentErrorCode } from '../DocumentError';
import { MAX_DOCUMENT_BYTES, refuseTooLarge } from '../limits';
import { decodeBytes, decodeText, detectBom, refuseControlCharacters, utf16WithoutBom } from '../text';
import type {
	DeliveryNote,
	DeliveryNoteLine,
	DeliveryNoteParty,
	DeliveryNotePartyRole,
	DeliveryNoteReference,
	DeliveryNoteRemark,
	EdifactEnvelope,
} from './types';
import { addOnce, isCalendarDate, normaliseDecimal, withoutEmpty } from './values';

/**
 * EDIFACT DESADV (despatch advice, D.96A and EANCOM subsets, which later directories keep compatible for the
 * segments read here) → one DeliveryNote per UNH…UNT message.
 *
 * Errors name the segment by its number in the interchange (`record`, UNB = 1; UNA is not a segment), its tag
 * and the line it starts on, which is what a supplier's EDI desk asks for.
 */

/** The six service characters a UNA segment may redefine; these are the ISO 9735 defaults. */
export interface ServiceCharacters {
	component: string;
	element: string;
	decimal: string;
	release: string;
	segment: string;
}

const DEFAULT_SERVICE_CHARACTERS: ServiceCharacters = {
	component: ':',
	element: '+',
	decimal: '.',
	release: '?',
	segment: "'",
};

export interface EdifactSegment {
	tag: string;
	/** data elements after the tag; each is its list of components (`elements[0]` is the first after the tag) */
	elements: string[][];
	/** 1-based position in the interchange */
	number: number;
	/** the line the segment starts on */
	line: number;
}

/** UNB syntax identifier → charset (ISO 9735 level A–C are ISO 646 / ISO 8859-1, W and Y are UTF-8). */
const SYNTAX_CHARSETS: Record<string, string> = {
	UNOA: 'iso-8859-1',
	UNOB: 'iso-8859-1',
	UNOC: 'iso-8859-1',
	UNOD: 'iso-8859-2',
	UNOE: 'iso-8859-5',
	UNOF: 'iso-8859-7',
	UNOW: 'utf-8',
	UNOY: 'utf-8',
};

const PARTY_ROLES = new Map<string, DeliveryNotePartyRole>([
	['SU', 'supplier'],
	['BY', 'buyer'],
	['DP', 'delivery'],
	['ST', 'delivery'],
	['UC', 'delivery'],
	['SH', 'shipper'],
	['CZ', 'shipper'],
]);

/**
 * Parses a DESADV interchange. `charset` overrides the one the UNB syntax identifier announces. A file above
 * `maxBytes` is refused (TOO_LARGE) before it is decoded. Segments are read one at a time and not kept, so the
 * memory needed is the text plus the delivery notes.
 */
export function parseDesadv(bytes: Uint8Array, file?: string, charset?: string, maxBytes = MAX_DOCUMENT_BYTES): DeliveryNote[] {
	refuseTooLarge(bytes.length, file, maxBytes);
	const text = decodeInterchange(bytes, file, charset);
	const { serviceCharacters, start, line } = readServiceStringAdvice(text, file);
	return readInterchange(readSegments(text, serviceCharacters, start, line, file), serviceCharacters, file);
}

function decodeInterchange(bytes: Uint8Array, file?: string, charset?: string): string {
	if (detectBom(bytes) || charset) return decodeText(bytes, charset, file);
	const utf16 = utf16WithoutBom(bytes);
	if (utf16) return decodeBytes(bytes, utf16, file);
	const head = Buffer.from(bytes.subarray(0, 512)).toString('latin1');
	const syntax = /UNB.(UNO[A-Z])/.exec(head)?.[1];
	const declared = (syntax && SYNTAX_CHARSETS[syntax]) ?? 'iso-8859-1';
	// Many senders write UTF-8 but keep the UNOC of their template. Bytes above 0x7F that form valid UTF-8
	// are practically never Latin-1 text (that would need "Ã¼"-like pairs), so read such files as UTF-8.
	if (declared === 'iso-8859-1' && bytes.some((b) => b > 0x7f)) {
		try {
			return decodeBytes(bytes, 'utf-8', file);
		} catch {
			// really Latin-1
		}
	}
	return decodeBytes(bytes, declared, file);
}

/** Padding between segments: layout (blanks, line breaks) and the NUL bytes of fixed-length transfers. */
function isPadding(code: number): boolean {
	return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x00;
}

/** Reads UNA if the interchange has one; returns the service characters and where the first segment starts. */
export function readServiceStringAdvice(
	text: string,
	file?: string,
): { serviceCharacters: ServiceCharacters; start: number; line: number } {
	let start = 0;
	let line = 1;
	while (start < text.length && isPadding(text.charCodeAt(start))) {
		if (text.charCodeAt(start) === 0x0a) line++;
		start++;
	}
	if (!text.startsWith('UNA', start)) return { serviceCharacters: DEFAULT_SERVICE_CHARACTERS, start, line };
	const chars = text.slice(start + 3, start + 9);
	if (chars.length < 6) {
		throw new DocumentError('PARSE_ERROR', 'the UNA service string advice is incomplete', file, { line });
	}
	const serviceCharacters = { component: chars[0], element: chars[1], decimal: chars[2], release: chars[3], segment: chars[5] };
	return { serviceCharacters, start: start + 9, line };
}

/**
 * The segments of an interchange, one at a time, honouring the release character. Values are slices of the
 * text (joined only around a release character or a line break), never built character by character.
 */
export function* readSegments(
	text: string,
	sc: ServiceCharacters,
	start: number,
	firstLine: number,
	file?: string,
): Generator<EdifactSegment, void, undefined> {
	const [component, element, release, terminator] = [sc.component, sc.element, sc.release, sc.segment].map((c) => c.charCodeAt(0));
	const isServiceCharacter = (code: number) => code === component || code === element || code === terminator;
	let i = start;
	let line = firstLine;
	let number = 0;
	for (;;) {
		for (let c = text.charCodeAt(i); i < text.length && isPadding(c) && !isServiceCharacter(c); c = text.charCodeAt(++i)) {
			if (c === 0x0a) line++;
		}
		if (i >= text.length) return;
		const segmentLine = line;
		const elements: string[][] = [];
		let components: string[] = [];
		let piece = '';
		let from = i;
		for (;;) {
			if (i >= text.length) {
				components.push(piece + text.slice(from, i));
				throw truncated(elements.length ? elements : [components], sc, file, segmentLine, number + 1);
			}
			const c = text.charCodeAt(i);
			if (c === 0x0a) line++;
			if (c === release) {
				// the released character is the first of the next slice
				piece += text.slice(from, i);
				from = ++i;
				if (i < text.length && text.charCodeAt(i) === 0x0a) line++;
				i++;
			} else if ((c === 0x0a || c === 0x0d) && !isServiceCharacter(c)) {
				// line breaks inside a segment are layout, not data
				piece += text.slice(from, i);
				from = ++i;
			} else if (c === component || c === element || c === terminator) {
				components.push(piece + text.slice(from, i));
				piece = '';
				from = ++i;
				if (c === component) continue;
				elements.push(components);
				components = [];
				if (c === terminator) break;
			} else i++;
		}
		yield segmentOf(elements, sc, file, segmentLine, ++number);
	}
}

function segmentOf(elements: string[][], sc: ServiceCharacters, file: string | undefined, line: number, number: number): EdifactSegment {
	const [tagElement, ...data] = elements;
	checkTag(tagElement, sc, file, line, number);
	const tag = tagElement[0];
	for (const values of data) {
		for (const v of values) refuseControlCharacters(v, file, { line, record: number, element: tag });
	}
	return { tag, elements: data, number, line };
}

function checkTag(tagElement: string[], sc: ServiceCharacters, file: string | undefined, line: number, number: number): void {
	if (/^[A-Z][A-Z0-9]{2}$/.test(tagElement[0]) && tagElement.length === 1) return;
	throw new DocumentError(
		'PARSE_ERROR',
		`"${truncate(tagElement.join(sc.component))}" is not a segment tag; is this an EDIFACT file with these separators (UNA${sc.component}${sc.element}${sc.decimal}${sc.release} ${sc.segment})?`,
		file,
		{ line, record: number },
	);
}

function truncated(elements: string[][], sc: ServiceCharacters, file: string | undefined, line: number, number: number): DocumentError {
	// text that does not even start like a segment is not EDIFACT at all, which says more than "truncated"
	checkTag(elements[0], sc, file, line, number);
	return new DocumentError(
		'PARSE_ERROR',
		`the file ends inside a segment (no segment terminator "${sc.segment}"); it may be truncated`,
		file,
		{ line, record: number },
	);
}

interface Interchange {
	header: EdifactSegment;
	senderId?: string;
	recipientId?: string;
	reference?: string;
	/** index of its first delivery note in the result */
	firstNote: number;
	messageCount: number;
	groupCount: number;
}

function readInterchange(segments: Iterable<EdifactSegment>, sc: ServiceCharacters, file?: string): DeliveryNote[] {
	const notes: DeliveryNote[] = [];
	let interchange: Interchange | undefined;
	let interchangeClosed = false;
	let message: DesadvMessage | undefined;
	let last: EdifactSegment | undefined;

	const fail = (code: DocumentErrorCode, reason: string, seg: EdifactSegment): never => {
		throw new DocumentError(code, reason, file, { line: seg.line, record: seg.number, element: seg.tag });
	};

	for (const seg of segments) {
		last = seg;
		switch (seg.tag) {
			case 'UNB':
				if (message) fail('PARSE_ERROR', `UNB inside message ${message.reference}, which has no UNT`, seg);
				interchange = {
					header: seg,
					senderId: value(seg, 1),
					recipientId: value(seg, 2),
					reference: value(seg, 4),
					firstNote: notes.length,
					messageCount: 0,
					groupCount: 0,
				};
				interchangeClosed = false;
				break;
			case 'UNG':
				if (interchange) interchange.groupCount++;
				break;
			case 'UNE':
				break;
			case 'UNZ':
				if (message) fail('PARSE_ERROR', `UNZ inside message ${message.reference}, which has no UNT`, seg);
				if (!interchange) return fail('PARSE_ERROR', 'UNZ without UNB', seg);
				closeInterchange(interchange, seg, notes, fail);
				interchangeClosed = true;
				break;
			case 'UNH': {
				if (message) fail('PARSE_ERROR', `UNH before the UNT of message ${message.reference}`, seg);
				const messageType = (seg.elements[1] ?? []).join(':');
				if (value(seg, 1) !== 'DESADV') {
					fail('UNSUPPORTED_FORMAT', `message type ${messageType || '(none)'} is not a DESADV despatch advice`, seg);
				}
				if (interchange) interchange.messageCount++;
				const envelope: EdifactEnvelope = {
					senderId: interchange?.senderId,
					recipientId: interchange?.recipientId,
					interchangeReference: interchange?.reference,
					messageReference: value(seg, 0) ?? '',
					messageType,
				};
				message = new DesadvMessage(seg, envelope, sc.decimal === ',' ? ',' : '.', file);
				break;
			}
			case 'UNT': {
				if (!message) return fail('PARSE_ERROR', 'UNT without UNH', seg);
				const count = value(seg, 0);
				const actual = seg.number - message.header.number + 1;
				if (count !== String(actual)) {
					fail('INVALID_VALUE', `UNT counts ${count} segments, message ${message.reference} has ${actual}`, seg);
				}
				if (value(seg, 1) !== message.reference) {
					fail('INVALID_VALUE', `UNT reference ${value(seg, 1)} does not match UNH reference ${message.reference}`, seg);
				}
				notes.push(message.finish());
				message = undefined;
				break;
			}
			default:
				if (!message) fail('PARSE_ERROR', `segment ${seg.tag} outside a message (UNH … UNT)`, seg);
				message!.add(seg);
		}
	}
	if (message && last) {
		fail('PARSE_ERROR', `message ${message.reference} ends without UNT; the file may be truncated`, last);
	}
	if (interchange && !interchangeClosed && last) {
		fail('PARSE_ERROR', 'the interchange ends without UNZ; the file may be truncated', last);
	}
	if (!notes.length) {
		throw new DocumentError('UNSUPPORTED_FORMAT', 'the file holds no EDIFACT message (UNH … UNT)', file);
	}
	return notes;
}

/**
 * Checks UNZ against its UNB. A wrong reference is an error. A message count that disagrees is only a warning on
 * the interchange's delivery notes: each of them has passed its own UNT check (segment count and reference), so
 * every message is complete; a sender's miscounted trailer must not hold back goods receipt.
 */
function closeInterchange(
	interchange: Interchange,
	seg: EdifactSegment,
	notes: DeliveryNote[],
	fail: (code: DocumentErrorCode, reason: string, seg: EdifactSegment) => never,
): void {
	const reference = value(seg, 1);
	if (reference !== interchange.reference) {
		fail('INVALID_VALUE', `UNZ reference ${reference} does not match UNB reference ${interchange.reference}`, seg);
	}
	const count = value(seg, 0);
	const { messageCount, groupCount } = interchange;
	if (count === String(messageCount) || (groupCount > 0 && count === String(groupCount))) return;
	const warning =
		`UNZ (segment ${seg.number}, line ${seg.line}) counts ${count ?? 'no'} messages, the interchange has ${messageCount}; ` +
		'every message is complete (its UNT count and reference are right), so all were read';
	for (const note of notes.slice(interchange.firstNote)) (note.warnings ??= []).push(warning);
}

/** Collects one UNH…UNT message; segments are read in order, the position decides header or line level. */
class DesadvMessage {
	readonly reference: string;
	private documentNumber?: string;
	private deliveryNoteNumber?: string;
	private readonly dates: { document?: string; despatch?: string; delivery?: string } = {};
	private readonly orderNumbers: string[] = [];
	private shipmentId?: string;
	private readonly packageIds: string[] = [];
	private readonly parties: DeliveryNoteParty[] = [];
	private readonly remarks: DeliveryNoteRemark[] = [];
	private readonly references: DeliveryNoteReference[] = [];
	private readonly lines: DeliveryNoteLine[] = [];
	/** true from the first CPS or LIN on: DTM, RFF and FTX then belong to packages and lines, not to the note */
	private inDetail = false;
	/** true right after a NAD: RFF, CTA, COM, LOC belong to that party (e.g. RFF+VA, its VAT number) */
	private inParty = false;
	private line?: { segment: EdifactSegment; line: Partial<DeliveryNoteLine> };

	constructor(
		readonly header: EdifactSegment,
		private readonly envelope: EdifactEnvelope,
		private readonly decimalMark: '.' | ',',
		private readonly file?: string,
	) {
		this.reference = envelope.messageReference;
	}

	add(seg: EdifactSegment): void {
		if (this.inParty && !['RFF', 'DTM', 'CTA', 'COM', 'LOC'].includes(seg.tag)) this.inParty = false;
		switch (seg.tag) {
			case 'BGM':
				this.documentNumber = value(seg, 1);
				break;
			case 'DTM':
				if (!this.inDetail && !this.inParty) this.readDate(seg);
				break;
			case 'RFF':
				if (this.line) this.readLineReference(seg);
				else if (!this.inDetail && !this.inParty) this.readReference(seg);
				break;
			case 'NAD':
				this.readParty(seg);
				this.inParty = true;
				break;
			case 'FTX':
				if (!this.inDetail) this.readRemark(seg);
				break;
			case 'CPS':
				this.finishLine();
				this.inDetail = true;
				break;
			case 'GIN':
				// GIN+BJ carries SSCCs (NVE) of the packages; up to five per segment
				if (value(seg, 0) === 'BJ') {
					for (const id of seg.elements.slice(1)) addOnce(this.packageIds, id[0]);
				}
				break;
			case 'LIN':
				this.finishLine();
				this.inDetail = true;
				this.startLine(seg);
				break;
			case 'PIA':
				if (this.line) this.readProductIds(seg);
				break;
			case 'IMD':
				if (this.line) this.readDescription(seg);
				break;
			case 'QTY':
				if (this.line) this.readQuantity(seg);
				break;
			case 'UNS':
			case 'CNT':
				this.finishLine();
				break;
			default:
			// other segments (PAC, PCI, MEA, TDT, TOD, ALI, MOA …) carry nothing a delivery note item has
		}
	}

	finish(): DeliveryNote {
		this.finishLine();
		const deliveryNoteNumber = this.deliveryNoteNumber ?? this.documentNumber;
		if (!deliveryNoteNumber) {
			throw new DocumentError(
				'MISSING_FIELD',
				`message ${this.reference} has neither a document number (BGM) nor a delivery note number (RFF+DQ)`,
				this.file,
				{ line: this.header.line, record: this.header.number, element: 'BGM' },
			);
		}
		const note: DeliveryNote = withoutEmpty({
			format: 'desadv',
			deliveryNoteNumber,
			documentDate: this.dates.document,
			despatchDate: this.dates.despatch,
			deliveryDate: this.dates.delivery,
			orderNumbers: this.orderNumbers,
			shipmentId: this.shipmentId,
			packageIds: this.packageIds.length ? this.packageIds : undefined,
			parties: this.parties,
			lines: this.lines,
			remarks: this.remarks.length ? this.remarks : undefined,
			references: this.references.length ? this.references : undefined,
			edifact: withoutEmpty({ ...this.envelope, documentNumber: this.documentNumber }),
			sourceFile: this.file,
		});
		return note;
	}

	private fail(code: DocumentErrorCode, reason: string, seg: EdifactSegment): never {
		throw new DocumentError(code, reason, this.file, { line: seg.line, record: seg.number, element: seg.tag });
	}

	private readDate(seg: EdifactSegment): void {
		const qualifier = value(seg, 0, 0);
		const field =
			qualifier === '137'
				? 'document'
				: qualifier === '11'
					? 'despatch'
					: qualifier === '17' || qualifier === '358'
						? 'delivery'
						: undefined;
		if (!field || this.dates[field]) return;
		this.dates[field] = this.edifactDate(seg, value(seg, 0, 1) ?? '', value(seg, 0, 2));
	}

	/** DTM date formats (code list 2379): 102 CCYYMMDD, 203 CCYYMMDDHHMM, 204 …SS, 101 YYMMDD, 718 a range. */
	private edifactDate(seg: EdifactSegment, text: string, format?: string): string {
		const byLength: Record<number, string> = { 6: '101', 8: '102', 12: '203', 14: '204' };
		const code = format ?? byLength[text.length];
		const patterns: Record<string, RegExp> = {
			'101': /^(\d{2})(\d{2})(\d{2})$/,
			'102': /^(\d{4})(\d{2})(\d{2})$/,
			'203': /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/,
			'204': /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/,
			// a window "from-to": the first day is when the goods can arrive
			'718': /^(\d{4})(\d{2})(\d{2})-\d{8}$/,
		};
		const m = code && Object.hasOwn(patterns, code) ? patterns[code].exec(text) : null;
		if (!m) {
			this.fail('INVALID_VALUE', `date "${text}" with format code ${format ?? '(none)'} cannot be read`, seg);
		}
		const [, y, mo, d, h, mi, s] = m!;
		const year = y.length === 2 ? `20${y}` : y;
		const timeValid = h === undefined || (Number(h) < 24 && Number(mi) < 60 && (s === undefined || Number(s) < 60));
		if (!isCalendarDate(Number(year), Number(mo), Number(d)) || !timeValid) {
			this.fail('INVALID_VALUE', `"${text}" is not a valid date (format ${code})`, seg);
		}
		return `${year}-${mo}-${d}` + (h !== undefined ? `T${h}:${mi}` + (s !== undefined ? `:${s}` : '') : '');
	}

	private readReference(seg: EdifactSegment): void {
		const qualifier = value(seg, 0, 0);
		const reference = value(seg, 0, 1);
		if (!qualifier || !reference) return;
		if (qualifier === 'ON') addOnce(this.orderNumbers, reference);
		else if (qualifier === 'DQ') this.deliveryNoteNumber ??= reference;
		else if (qualifier === 'SRN' && !this.shipmentId) this.shipmentId = reference;
		else this.references.push({ type: qualifier, value: reference });
	}

	private readLineReference(seg: EdifactSegment): void {
		const line = this.line!.line;
		const qualifier = value(seg, 0, 0);
		const reference = value(seg, 0, 1);
		// RFF+ON:<order>:<order line>; RFF+LI:<order line> (EANCOM puts the buyer's order line number in LI)
		if (qualifier === 'ON' && reference) {
			line.orderNumber ??= reference;
			line.orderLine ??= value(seg, 0, 2);
			addOnce(this.orderNumbers, reference);
		} else if (qualifier === 'LI' && reference) {
			line.orderLine = reference;
		}
	}

	private readParty(seg: EdifactSegment): void {
		const roleAsGiven = value(seg, 0) ?? '';
		const id = value(seg, 1, 0);
		// code list agency 9 = GS1 (EAN): the identifier is a GLN
		const isGln = value(seg, 1, 2) === '9';
		const street = (seg.elements[4] ?? []).filter(Boolean).join(' ');
		this.parties.push(
			withoutEmpty({
				role: PARTY_ROLES.get(roleAsGiven) ?? 'other',
				roleAsGiven,
				id: isGln ? undefined : id,
				gln: isGln ? id : undefined,
				name: value(seg, 3, 0),
				name2: value(seg, 3, 1),
				street,
				city: value(seg, 5),
				zip: value(seg, 7),
				country: value(seg, 8),
			}),
		);
	}

	private readRemark(seg: EdifactSegment): void {
		const text = (seg.elements[3] ?? []).filter(Boolean).join(' ');
		if (!text) return;
		const type = value(seg, 0);
		this.remarks.push(type ? { type, text } : { text });
	}

	private startLine(seg: EdifactSegment): void {
		const lineNumber = value(seg, 0);
		if (!lineNumber) this.fail('MISSING_FIELD', 'LIN has no line item number', seg);
		const line: Partial<DeliveryNoteLine> = { lineNumber };
		const number = value(seg, 2, 0);
		if (number) this.assignProductId(line, number, value(seg, 2, 1), 'gtin');
		this.line = { segment: seg, line };
	}

	private readProductIds(seg: EdifactSegment): void {
		// PIA+5 (additional identification) and PIA+1 carry up to five item numbers, each typed by code list 7143
		for (const id of seg.elements.slice(1)) {
			if (id[0]) this.assignProductId(this.line!.line, id[0], id[1], 'supplier');
		}
	}

	private assignProductId(
		line: Partial<DeliveryNoteLine>,
		number: string,
		type: string | undefined,
		untyped: 'gtin' | 'supplier',
	): void {
		const field = productIdField(type) ?? (untyped === 'gtin' && isGtinShaped(number) ? 'gtin' : 'supplier');
		if (field === 'gtin') line.gtin ??= number;
		else if (field === 'buyer') line.buyerArticleNumber ??= number;
		else line.supplierArticleNumber ??= number;
	}

	private readDescription(seg: EdifactSegment): void {
		// IMD C273: code:list:agency:text:text; only the free text is a description
		const text = (seg.elements[2] ?? []).slice(3, 5).filter(Boolean).join(' ');
		if (!text) return;
		const line = this.line!.line;
		line.description = line.description ? `${line.description} ${text}` : text;
	}

	private readQuantity(seg: EdifactSegment): void {
		// 12 = despatched quantity; others (21 ordered, 59 per pack …) are not what was delivered
		if (value(seg, 0, 0) !== '12') return;
		const raw = value(seg, 0, 1) ?? '';
		// ISO 9735 lets a sender use either decimal mark whatever UNA says
		const other = this.decimalMark === '.' ? ',' : '.';
		const quantity = normaliseDecimal(raw, this.decimalMark) ?? normaliseDecimal(raw, other);
		if (quantity === undefined) this.fail('INVALID_VALUE', `quantity "${raw}" is not a number`, seg);
		const line = this.line!.line;
		line.quantity = quantity;
		const unit = value(seg, 0, 2);
		if (unit) line.unit = unit;
	}

	private finishLine(): void {
		if (!this.line) return;
		const { segment, line } = this.line;
		this.line = undefined;
		if (line.quantity === undefined) {
			this.fail('MISSING_FIELD', `line ${line.lineNumber} has no despatched quantity (QTY+12)`, segment);
		}
		this.lines.push(withoutEmpty(line as DeliveryNoteLine));
	}
}

/** Item number type (code list 7143) → field; SRV is EANCOM's GTIN, EN the older EAN code. */
function productIdField(type: string | undefined): 'gtin' | 'supplier' | 'buyer' | undefined {
	switch (type) {
		case 'SRV':
		case 'EN':
		case 'UP':
			return 'gtin';
		case 'SA':
		case 'VN':
		case 'MF':
		case 'VP':
			return 'supplier';
		case 'IN':
		case 'BP':
		case 'BY':
			return 'buyer';
		default:
			return undefined;
	}
}

function isGtinShaped(number: string): boolean {
	return /^(?:\d{8}|\d{12,14})$/.test(number);
}

/** A component of a data element (both 0-based, after the tag), or undefined when absent or empty. */
function value(seg: EdifactSegment, element: number, component = 0): string | undefined {
	const v = seg.elements[element]?.[component];
	return v ? v : undefined;
}

function truncate(text: string): string {
	return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
