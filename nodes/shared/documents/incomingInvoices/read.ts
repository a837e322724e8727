import { DocumentError } from '../DocumentError';
import { decodeXml, detectBom } from '../text';
import { parseXml } from '../xml';
import { readCiiInvoice } from './cii';
import { embeddedInvoiceXml } from './pdf';
import { Reading } from './reading';
import type { ReadEInvoice, ReceivedInvoice } from './types';
import { readUblInvoice } from './ubl';

/**
 * Reads one e-invoice, whatever it is, told by its content (never by its file name): a PDF with an embedded
 * invoice XML (ZUGFeRD / Factur-X), a CII XML (Factur-X / ZUGFeRD 2.x, XRechnung CII), a ZUGFeRD 1.0 XML, or a
 * UBL 2.1 Invoice or CreditNote (XRechnung UBL, Peppol). Throws a DocumentError naming the file and the place
 * for anything that is not one of them, or whose amounts and dates are not readable.
 */

export interface ReadEInvoiceOptions {
	/** the file name, for error messages */
	fileName?: string;
	/** the largest invoice XML read, also when inflated out of a PDF; default 20 MB */
	maxXmlBytes?: number;
}

export const DEFAULT_MAX_XML_BYTES = 20 * 1024 * 1024;

const NS = {
	cii: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
	zugferd1: 'urn:ferd:CrossIndustryDocument:invoice:1p0',
	ublInvoice: 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2',
	ublCreditNote: 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2',
};

/** A PDF starts with `%PDF-` within its first 1024 bytes (readers tolerate junk before it). */
export function isPdf(bytes: Uint8Array): boolean {
	return Buffer.from(bytes.subarray(0, 1024)).includes('%PDF-');
}

/** XML starts with `<` after an optional byte-order mark and white space (UTF-16 too: its zero bytes are skipped). */
export function looksLikeXml(bytes: Uint8Array): boolean {
	const start = detectBom(bytes)?.length ?? 0;
	for (let i = start; i < Math.min(bytes.length, start + 256); i++) {
		const b = bytes[i];
		if (b === 0x3c) return true;
		if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x00) return false;
	}
	return false;
}

export async function readEInvoice(bytes: Uint8Array, options: ReadEInvoiceOptions = {}): Promise<ReadEInvoice> {
	const file = options.fileName;
	const maxXmlBytes = options.maxXmlBytes ?? DEFAULT_MAX_XML_BYTES;
	if (isPdf(bytes)) {
		const embedded = await embeddedInvoiceXml(bytes, maxXmlBytes, file);
		const where = file ? `${file} → ${embedded.fileName}` : embedded.fileName;
		return { ...readInvoiceXml(embedded.bytes, where, maxXmlBytes), container: 'pdf', embeddedFileName: embedded.fileName };
	}
	return { ...readInvoiceXml(bytes, file, maxXmlBytes), container: 'xml' };
}

/** Reads invoice XML bytes (CII, ZUGFeRD 1.0 or UBL, detected by the root element's namespace). */
export function readInvoiceXml(bytes: Uint8Array, file: string | undefined, maxXmlBytes = DEFAULT_MAX_XML_BYTES): { invoice: ReceivedInvoice; sources: ReadEInvoice['sources'] } {
	if (bytes.length > maxXmlBytes) {
		throw new DocumentError('TOO_LARGE', `the invoice XML has ${bytes.length} bytes, more than the limit of ${maxXmlBytes}`, file);
	}
	const root = parseXml(decodeXml(bytes, undefined, file), file);
	const reading = new Reading(file);
	let invoice: ReceivedInvoice;
	if (root.ns === NS.cii && root.name === 'CrossIndustryInvoice') invoice = readCiiInvoice(root, reading, 'CII');
	else if (root.ns === NS.zugferd1 && root.name === 'CrossIndustryDocument') invoice = readCiiInvoice(root, reading, 'ZUGFeRD 1.0');
	else if ((root.ns === NS.ublInvoice && root.name === 'Invoice') || (root.ns === NS.ublCreditNote && root.name === 'CreditNote')) {
		invoice = readUblInvoice(root, reading);
	} else {
		throw new DocumentError(
			'UNSUPPORTED_FORMAT',
			`the XML is no e-invoice: its root element is ${root.name}${root.ns ? ` in namespace ${root.ns}` : ' without a namespace'}; ` +
				'expected a CII CrossIndustryInvoice (ZUGFeRD / Factur-X, XRechnung), a ZUGFeRD 1.0 CrossIndustryDocument or a UBL 2.1 Invoice / CreditNote',
			file,
			{ line: root.line, column: root.column, element: root.name },
		);
	}
	return { invoice, sources: reading.sources };
}
