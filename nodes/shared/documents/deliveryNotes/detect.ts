import { detectBom } from '../text';
import type { DeliveryNoteFormat } from './types';

/**
 * Recognises a delivery note among a mail's attachments by its content (the name and MIME type only decide
 * whether a text file may be CSV): suppliers send openTRANS as `.txt`, EDIFACT as `.dat` and CSV as
 * `application/octet-stream`, next to a PDF copy, terms and conditions and a logo that must be left alone.
 *
 * Only the start of the file is looked at; the parser still checks everything. A file that claims to be a
 * delivery note but is broken (or hostile, e.g. an XML with a DOCTYPE) is recognised here so that the parser
 * can reject it loudly instead of it being ignored.
 */

/** How much of the file is looked at. UNH and the XML root come early; this is not the place to read it all. */
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

export function detectDeliveryNoteFormat(
	bytes: Uint8Array,
	fileName?: string,
	mimeType?: string,
): DeliveryNoteFormat | undefined {
	const head = textHead(bytes);
	if (head === undefined) return undefined;
	const start = head.trimStart();

	if (start.startsWith('<')) return xmlRootName(start) === 'DISPATCHNOTIFICATION' ? 'opentrans' : undefined;
	if (/^UN[ABH]/.test(start)) return isDesadv(start) ? 'desadv' : undefined;
	if (mayBeCsv(fileName, mimeType) && looksLikeCsv(start)) return 'csv';
	return undefined;
}

/** The file's start as text, or undefined for binary content (PDF, images, ZIP/XLSX, Word …). */
function textHead(bytes: Uint8Array): string | undefined {
	const slice = bytes.subarray(0, SNIFF_BYTES);
	const bom = detectBom(slice);
	if (bom && bom.charset.startsWith('utf-16')) {
		return new TextDecoder(bom.charset).decode(slice.subarray(bom.length));
	}
	const body = bom ? slice.subarray(bom.length) : slice;
	if (body.includes(0)) return undefined;
	// Latin-1 keeps every byte as one character; the markers looked for are ASCII in every charset used here
	return Buffer.from(body).toString('latin1');
}

/** The local name of the root element, after the XML declaration, comments, processing instructions and a DOCTYPE. */
function xmlRootName(text: string): string | undefined {
	let rest = text;
	for (;;) {
		rest = rest.trimStart();
		if (rest.startsWith('<?')) rest = rest.slice(endOf(rest, '?>'));
		else if (rest.startsWith('<!--')) rest = rest.slice(endOf(rest, '-->'));
		else if (rest.startsWith('<!DOCTYPE')) {
			const bracket = rest.indexOf('[');
			const close = rest.indexOf('>');
			rest = rest.slice(bracket >= 0 && bracket < close ? endOf(rest, ']>') : close + 1);
		} else break;
		if (rest === '') return undefined;
	}
	return /^<(?:[\w.-]+:)?([\w.-]+)/.exec(rest)?.[1];
}

function endOf(text: string, marker: string): number {
	const at = text.indexOf(marker);
	return at < 0 ? text.length : at + marker.length;
}

function isDesadv(text: string): boolean {
	const element = text.startsWith('UNA') ? text[4] : '+';
	const release = text.startsWith('UNA') ? text[6] : '?';
	const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	// UNH + message reference (which may contain released separators) + DESADV
	// (the class excludes the release character too, so that the pattern cannot backtrack exponentially)
	const unh = new RegExp(
		`UNH${escape(element)}(?:${escape(release)}.|[^${escape(element)}${escape(release)}])*${escape(element)}DESADV`,
	);
	return unh.test(text.replace(/[\r\n]/g, ''));
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
