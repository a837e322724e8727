import { DocumentError, type DocumentErrorCode } from '../DocumentError';
import { decodeBytes, decodeText, detectBom } from '../text';
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

/** Parses a DESADV interchange. `charset` overrides the one the UNB syntax identifier announces. */
export function parseDesadv(bytes: Uint8Array, file?: string, charset?: string): DeliveryNote[] {
	const text = decodeInterchange(bytes, file, charset);
	const { segments, serviceCharacters } = splitSegments(text, file);
	return readInterchange(segments, serviceCharacters, file);
}

function decodeInterchange(bytes: Uint8Array, file?: string, charset?: string): string {
	if (detectBom(bytes) || charset) return decodeText(bytes, charset, file);
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

/** Splits the interchange into segments, honouring UNA and the release character. */
export function splitSegments(
	text: string,
	file?: string,
): { segments: EdifactSegment[]; serviceCharacters: ServiceCharacters } {
	let start = 0;
	while (start < text.length && /\s/.test(text[start])) start++;
	let sc = DEFAULT_SERVICE_CHARACTERS;
	let line = 1 + countNewlines(text, 0, start);
	if (text.startsWith('UNA', start)) {
		const chars = text.slice(start + 3, start + 9);
		if (chars.length < 6) {
			throw new DocumentError('PARSE_ERROR', 'the UNA service string advice is incomplete', file, { line });
		}
		sc = { component: chars[0], element: chars[1], decimal: chars[2], release: chars[3], segment: chars[5] };
		start += 9;
	}

	const segments: EdifactSegment[] = [];
	let elements: string[][] = [];
	let components: string[] = [];
	let current = '';
	let released = false;
	let segmentLine = line;
	let empty = true;
	const checkTag = (tagElement: string[]) => {
		if (!/^[A-Z][A-Z0-9]{2}$/.test(tagElement[0]) || tagElement.length > 1) {
			throw new DocumentError(
				'PARSE_ERROR',
				`"${truncate(tagElement.join(sc.component))}" is not a segment tag; is this an EDIFACT file with these separators (UNA${sc.component}${sc.element}${sc.decimal}${sc.release} ${sc.segment})?`,
				file,
				{ line: segmentLine, record: segments.length + 1 },
			);
		}
	};
	const finishSegment = () => {
		components.push(current);
		elements.push(components);
		const [tagElement, ...data] = elements;
		checkTag(tagElement);
		segments.push({ tag: tagElement[0], elements: data, number: segments.length + 1, line: segmentLine });
		elements = [];
		components = [];
		current = '';
		empty = true;
	};

	for (let i = start; i < text.length; i++) {
		const c = text[i];
		if (c === '\n') line++;
		if (released) {
			current += c;
			released = false;
			continue;
		}
		// line breaks between (or inside) segments are layout, not data, unless a service character is one
		if ((c === '\r' || c === '\n') && c !== sc.segment && c !== sc.element && c !== sc.component) continue;
		if (empty) {
			if (c === ' ' || c === '\t') continue;
			segmentLine = line;
			empty = false;
		}
		if (c === sc.release) released = true;
		else if (c === sc.component) {
			components.push(current);
			current = '';
		} else if (c === sc.element) {
			components.push(current);
			elements.push(components);
			components = [];
			current = '';
		} else if (c === sc.segment) finishSegment();
		else current += c;
	}
	if (!empty) {
		// text that does not even start like a segment is not EDIFACT at all, which says more than "truncated"
		checkTag(elements[0] ?? [...components, current]);
		throw new DocumentError(
			'PARSE_ERROR',
			`the file ends inside a segment (no segment terminator "${sc.segment}"); it may be truncated`,
			file,
			{ line: segmentLine, record: segments.length + 1 },
		);
	}
	return { segments, serviceCharacters: sc };
}

function readInterchange(segments: EdifactSegment[], sc: ServiceCharacters, file?: string): DeliveryNote[] {
	const notes: DeliveryNote[] = [];
	let interchange: { header: EdifactSegment; senderId?: string; recipientId?: string; reference?: string } | undefined;
	let interchangeClosed = false;
	let messageCount = 0;
	let groupCount = 0;
	let message: DesadvMessage | undefined;

	const fail = (code: DocumentErrorCode, reason: string, seg: EdifactSegment): never => {
		throw new DocumentError(code, reason, file, { line: seg.line, record: seg.number, element: seg.tag });
	};

	for (const seg of segments) {
		switch (seg.tag) {
			case 'UNB':
				if (message) fail('PARSE_ERROR', `UNB inside message ${message.reference}, which has no UNT`, seg);
				interchange = {
					header: seg,
					senderId: value(seg, 1),
					recipientId: value(seg, 2),
					reference: value(seg, 4),
				};
				interchangeClosed = false;
				messageCount = 0;
				groupCount = 0;
				break;
			case 'UNG':
				groupCount++;
				break;
			case 'UNE':
				break;
			case 'UNZ': {
				if (message) fail('PARSE_ERROR', `UNZ inside message ${message.reference}, which has no UNT`, seg);
				if (!interchange) fail('PARSE_ERROR', 'UNZ without UNB', seg);
				const count = value(seg, 0);
				if (count !== String(messageCount) && count !== String(groupCount)) {
					fail('INVALID_VALUE', `UNZ counts ${count} messages, the interchange has ${messageCount}`, seg);
				}
				const reference = value(seg, 1);
				if (reference !== interchange!.reference) {
					fail('INVALID_VALUE', `UNZ reference ${reference} does not match UNB reference ${interchange!.reference}`, seg);
				}
				interchangeClosed = true;
				break;
			}
			case 'UNH': {
				if (message) fail('PARSE_ERROR', `UNH before the UNT of message ${message.reference}`, seg);
				const messageType = (seg.elements[1] ?? []).join(':');
				if (value(seg, 1) !== 'DESADV') {
					fail('UNSUPPORTED_FORMAT', `message type ${messageType || '(none)'} is not a DESADV despatch advice`, seg);
				}
				messageCount++;
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
				if (!message) fail('PARSE_ERROR', 'UNT without UNH', seg);
				const count = value(seg, 0);
				const actual = seg.number - message!.header.number + 1;
				if (count !== String(actual)) {
					fail('INVALID_VALUE', `UNT counts ${count} segments, message ${message!.reference} has ${actual}`, seg);
				}
				if (value(seg, 1) !== message!.reference) {
					fail('INVALID_VALUE', `UNT reference ${value(seg, 1)} does not match UNH reference ${message!.reference}`, seg);
				}
				notes.push(message!.finish());
				message = undefined;
				break;
			}
			default:
				if (!message) fail('PARSE_ERROR', `segment ${seg.tag} outside a message (UNH … UNT)`, seg);
				message!.add(seg);
		}
	}
	const last = segments[segments.length - 1];
	if (message) {
		fail('PARSE_ERROR', `message ${message.reference} ends without UNT; the file may be truncated`, last);
	}
	if (interchange && !interchangeClosed) {
		fail('PARSE_ERROR', 'the interchange ends without UNZ; the file may be truncated', last);
	}
	if (!notes.length) {
		throw new DocumentError('UNSUPPORTED_FORMAT', 'the file holds no EDIFACT message (UNH … UNT)', file);
	}
	return notes;
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

function countNewlines(text: string, from: number, to: number): number {
	let n = 0;
	for (let i = from; i < to; i++) if (text[i] === '\n') n++;
	return n;
}

function truncate(text: string): string {
	return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
