import { DocumentError } from '../DocumentError';
import { detectBom, utf16WithoutBom } from '../text';
import type { DeliveryNoteFormat } from './types';

/**
 * Recognises a delivery note among a mail's attachments by its content (the name and MIME type only decide
 * whether a text file may be CSV): suppliers send openTRANS as `.txt`, EDIFACT as `.dat` and CSV as
 * `application/octet-stream`, next to a PDF copy, terms and conditions and a logo that must be left alone.
 *
 * Only the start of the file is looked at, unless that start does not decide (an XML prolog longer than it, an
 * EDIFACT interchange whose first message header lies beyond it); the parser still checks everything. A file
 * that claims to be a delivery note but is broken (or hostile, e.g. an XML with a DOCTYPE) is recognised here so
 * that the parser can reject it loudly instead of it being ignored. A file that starts like XML or EDIFACT but
 * cannot be told apart at all (no root element, no message header: a note cut short) is a DocumentError, never
 * "not a delivery note". NUL padding (fixed-length transfers) and UTF-16 without a byte-order mark are read.
 */

/** How much of the file is looked at first. UNH and the XML root come early; this is not the place to read it all. */
const SNIFF_BYTES = 64 * 1024;

const CSV_EXTENSIONS = ['.csv', '.txt', '.tsv', '.tab'];
const CSV_MIME_TYPES = [
	'text/csv',
	'text/plain',
	'text/comma-separated-values',
	'text/tab-separated-values',
	'text/x-csv',
	'application/csv',
	'application/x-csv',
	// Outlook and Windows mail clients label .csv attachments with Excel's type
	'application/vnd.ms-excel',
];

interface Head {
	/** the start of the file as text, NUL bytes removed */
	text: string;
	/** whether the file had NUL bytes there (binary, or padding) */
	hadNul: boolean;
	/** whether `text` is the whole file */
	whole: boolean;
}

/**
 * The delivery-note format of a file, or undefined when it is none. Throws a DocumentError for a file that
 * starts like XML or EDIFACT but whose kind cannot be told, so that the caller reports it instead of skipping it.
 */
export function detectDeliveryNoteFormat(
	bytes: Uint8Array,
	fileName?: string,
	mimeType?: string,
): DeliveryNoteFormat | undefined {
	const head = textHead(bytes, SNIFF_BYTES);
	const start = head.text.trimStart();
	if (start.startsWith('<')) return xmlFormat(head, bytes, fileName);
	if (/^UN[ABH]/.test(start)) return edifactFormat(head, bytes, fileName);
	if (!head.hadNul && mayBeCsv(fileName, mimeType) && looksLikeCsv(start)) return 'csv';
	return undefined;
}

function xmlFormat(head: Head, bytes: Uint8Array, file?: string): DeliveryNoteFormat | undefined {
	let root = xmlRootName(head.text.trimStart());
	// a prolog longer than the sniffed start (a long comment, a big DOCTYPE): look at the whole file
	if (root === undefined && !head.whole) root = xmlRootName(textHead(bytes, bytes.length).text.trimStart());
	if (root === undefined) {
		throw new DocumentError(
			'PARSE_ERROR',
			'the file starts like XML, but no root element follows its prolog; it may be a delivery note cut short, so it is not passed over',
			file,
		);
	}
	return root === 'DISPATCHNOTIFICATION' ? 'opentrans' : undefined;
}

function edifactFormat(head: Head, bytes: Uint8Array, file?: string): DeliveryNoteFormat | undefined {
	let types = messageTypes(head.text.trimStart());
	if (!types.length && !head.whole) types = messageTypes(textHead(bytes, bytes.length).text.trimStart());
	if (!types.length) {
		throw new DocumentError(
			'PARSE_ERROR',
			'the file starts like an EDIFACT interchange, but holds no complete message header (UNH); it may be a delivery note cut short, so it is not passed over',
			file,
		);
	}
	return types.includes('DESADV') ? 'desadv' : undefined;
}

/** The first `length` bytes as text: UTF-16 by BOM or by its zero bytes, else Latin-1 (one character per byte). */
function textHead(bytes: Uint8Array, length: number): Head {
	const slice = bytes.subarray(0, length);
	const whole = slice.length === bytes.length;
	const bom = detectBom(slice);
	const utf16 = bom?.charset.startsWith('utf-16') ? bom.charset : utf16WithoutBom(slice);
	if (utf16) {
		const text = new TextDecoder(utf16).decode(slice);
		return { text: text.replace(/^\uFEFF/, '').replace(/\0+/g, ''), hadNul: text.includes('\0'), whole };
	}
	// Latin-1 keeps every byte as one character; the markers looked for are ASCII in every charset used here
	const text = Buffer.from(bom ? slice.subarray(bom.length) : slice).toString('latin1');
	const hadNul = text.includes('\0');
	return { text: hadNul ? text.replace(/\0+/g, '') : text, hadNul, whole };
}

/** The local name of the root element, after the XML declaration, comments, processing instructions and a DOCTYPE. */
function xmlRootName(text: string): string | undefined {
	let at = 0;
	for (;;) {
		while (at < text.length && /\s/.test(text[at])) at++;
		if (text.startsWith('<?', at)) at = endOf(text, '?>', at);
		else if (text.startsWith('<!--', at)) at = endOf(text, '-->', at);
		else if (text.startsWith('<!DOCTYPE', at)) at = endOfDoctype(text, at);
		else break;
		if (at < 0) return undefined; // the prolog does not end in this text
	}
	return /^<(?:[\w.-]+:)?([\w.-]+)/.exec(text.slice(at, at + 256))?.[1];
}

/** The index after `marker` (searched from `from`), or -1 when it does not occur. */
function endOf(text: string, marker: string, from: number): number {
	const at = text.indexOf(marker, from);
	return at < 0 ? -1 : at + marker.length;
}

function endOfDoctype(text: string, from: number): number {
	const bracket = text.indexOf('[', from);
	const close = text.indexOf('>', from);
	if (close < 0) return -1;
	return bracket >= 0 && bracket < close ? endOf(text, ']>', bracket) : close + 1;
}

/** The message types (UNH, data element 0065) of the interchange's messages, as far as the text reaches. */
function messageTypes(text: string): string[] {
	const element = text.startsWith('UNA') ? text[4] : '+';
	const release = text.startsWith('UNA') ? text[6] : '?';
	const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
	const [e, r] = [escape(element), escape(release)];
	// UNH + message reference (which may contain released separators) + type; the class excludes the release
	// character too, so that the pattern cannot backtrack exponentially
	const unh = new RegExp(`UNH${e}(?:${r}.|[^${e}${r}])*${e}([A-Z0-9]{1,6})(?![A-Z0-9])`, 'g');
	return Array.from(text.replace(/[\r\n]/g, '').matchAll(unh), (m) => m[1]);
}

function mayBeCsv(fileName?: string, mimeType?: string): boolean {
	const name = fileName?.trim().toLowerCase() ?? '';
	const mime = mimeType?.split(';')[0].trim().toLowerCase() ?? '';
	return CSV_EXTENSIONS.some((e) => name.endsWith(e)) || CSV_MIME_TYPES.includes(mime);
}

function looksLikeCsv(text: string): boolean {
	const firstLine = text.split(/\r\n|\r|\n/).find((l) => l.trim() !== '') ?? '';
	return [';', ',', '\t', '|'].some((d) => firstLine.includes(d));
}
