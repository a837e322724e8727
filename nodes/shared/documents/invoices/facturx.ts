import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import {
	AFRelationship,
	PDFArray,
	PDFBool,
	PDFDict,
	PDFDocument,
	PDFHexString,
	PDFName,
	PDFNumber,
	PDFRawStream,
	PDFRef,
	PDFStream,
	PDFString,
	decodePDFRawStream,
} from 'pdf-lib';
import type { PDFObject } from 'pdf-lib';
import { DocumentError } from '../DocumentError';
import { XmlWriter, type XmlNode } from '../xmlWriter';
import { GUIDELINE_IDS, writtenCiiFacts } from './cii';
import type { CiiFacts, EInvoiceProfile } from './cii';
import { createInvoicePdfDocument } from './invoicePdf';
import type { InvoicePdfOptions } from './invoicePdf';
import type { CheckedInvoice, Invoice } from './types';

/**
 * Factur-X 1.0 / ZUGFeRD 2: the invoice PDF as PDF/A-3b with the EN 16931 CII XML embedded as an associated
 * file. What PDF/A-3 and Factur-X ask beyond a plain PDF, and where it is done here:
 * - the XML as an embedded file with MIME subtype, /Params (size, dates) and /AFRelationship /Alternative, listed
 *   in the catalog's /AF and /Names /EmbeddedFiles (pdf-lib's `attach`);
 * - an OutputIntent /GTS_PDFA1 with an embedded sRGB ICC profile, because the page content is DeviceRGB;
 * - an XMP metadata stream, unfiltered, repeating the Info dictionary exactly and declaring PDF/A-3B and the
 *   Factur-X extension schema (document type, file name, version, conformance level);
 * - every font embedded (the invoice PDF embeds DejaVu; a foreign PDF is checked by `canMakeFacturX`).
 */

export interface FacturXOptions {
	/** for an invoice given as data: how its PDF is rendered (logo, language) */
	pdf?: InvoicePdfOptions;
}

/** What `canMakeFacturX` found: `ok`, or every reason the PDF cannot become PDF/A-3. */
export type FacturXCheck = { ok: true } | { ok: false; reason: string; reasons: string[] };

const FX_NAMESPACE = 'urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#';
const PRODUCER = 'n8n-nodes-backoffice (pdf-lib 1.17.1)';

/** fx:ConformanceLevel by profile; MINIMUM and BASIC WL are not invoices in Germany and are never written. */
const CONFORMANCE_LEVELS: Readonly<Record<EInvoiceProfile, string>> = { EN16931: 'EN 16931', XRECHNUNG: 'XRECHNUNG' };

/** The name of the embedded XML: Factur-X 1.0.07 names the XRECHNUNG profile's file xrechnung.xml. */
export function facturXFileName(profile: EInvoiceProfile): 'factur-x.xml' | 'xrechnung.xml' {
	return profile === 'XRECHNUNG' ? 'xrechnung.xml' : 'factur-x.xml';
}

let iccProfile: Uint8Array | undefined;

/** The sRGB IEC 61966-2.1 profile (ICC v2, from Debian's icc-profiles-free, zlib licence; see icc/LICENSE.txt). */
export function srgbIccProfile(): Uint8Array {
	iccProfile ??= readFileSync(join(__dirname, 'icc', 'sRGB.icc'));
	return iccProfile;
}

let deflatedIccProfile: Buffer | undefined;

/** The same profile deflated, once per process (every Factur-X embeds it). */
function deflatedSrgbIccProfile(): Buffer {
	deflatedIccProfile ??= deflateSync(srgbIccProfile());
	return deflatedIccProfile;
}

// ----------------------------------------------------------------------------------------------- the check

const FONT_SUBTYPES = new Set(['Type1', 'MMType1', 'TrueType', 'Type3', 'Type0', 'CIDFontType0', 'CIDFontType2']);
/** actions PDF/A-2 and -3 (ISO 19005-2 6.6.1) forbid */
const FORBIDDEN_ACTIONS = new Set([
	'Launch',
	'Sound',
	'Movie',
	'ResetForm',
	'ImportData',
	'Hide',
	'SetOCGState',
	'Rendition',
	'Trans',
	'GoTo3DView',
	'JavaScript',
]);
const FORBIDDEN_ANNOTATIONS = new Set(['Sound', 'Movie', 'Screen', '3D', 'RichMedia']);
const STANDARD_BLEND_MODES = new Set([
	'Normal',
	'Compatible',
	'Multiply',
	'Screen',
	'Overlay',
	'Darken',
	'Lighten',
	'ColorDodge',
	'ColorBurn',
	'HardLight',
	'SoftLight',
	'Difference',
	'Exclusion',
	'Hue',
	'Saturation',
	'Color',
	'Luminosity',
]);

function nameOf(value: PDFObject | undefined): string | undefined {
	return value instanceof PDFName ? value.decodeText() : undefined;
}

function textOf(value: PDFObject | undefined): string | undefined {
	return value instanceof PDFString || value instanceof PDFHexString ? value.decodeText() : undefined;
}

/** Every dictionary of the document, stream dictionaries included (with their stream), each once. */
function allDicts(doc: PDFDocument): Array<{ dict: PDFDict; stream?: PDFStream }> {
	const out: Array<{ dict: PDFDict; stream?: PDFStream }> = [];
	const visit = (value: PDFObject | undefined): void => {
		if (value instanceof PDFStream) {
			out.push({ dict: value.dict, stream: value });
			for (const [, child] of value.dict.entries()) visit(child);
		} else if (value instanceof PDFDict) {
			out.push({ dict: value });
			for (const [, child] of value.entries()) visit(child);
		} else if (value instanceof PDFArray) {
			for (let i = 0; i < value.size(); i++) visit(value.get(i));
		}
	};
	for (const [, object] of doc.context.enumerateIndirectObjects()) visit(object);
	return out;
}

function streamBytes(stream: PDFStream): Uint8Array | undefined {
	try {
		if (stream instanceof PDFRawStream) return decodePDFRawStream(stream).decode();
		const flate = stream as unknown as { getUnencodedContents?: () => Uint8Array };
		return flate.getUnencodedContents?.();
	} catch {
		return undefined;
	}
}

/**
 * Whether a content stream paints with DeviceCMYK operators (`k`, `K`). Strings, names, comments and inline
 * image data are skipped, so text that happens to contain " k " does not count.
 */
function paintsCmyk(bytes: Uint8Array): boolean {
	const s = Buffer.from(bytes).toString('latin1');
	const delimiter = (c: string): boolean => /[\s()<>[\]{}/%]/.test(c);
	let i = 0;
	while (i < s.length) {
		const c = s[i];
		if (/\s/.test(c)) {
			i++;
		} else if (c === '%') {
			while (i < s.length && s[i] !== '\n' && s[i] !== '\r') i++;
		} else if (c === '(') {
			let depth = 0;
			for (; i < s.length; i++) {
				if (s[i] === '\\') i++;
				else if (s[i] === '(') depth++;
				else if (s[i] === ')' && --depth === 0) break;
			}
			i++;
		} else if (c === '<' && s[i + 1] !== '<') {
			i = s.indexOf('>', i) + 1 || s.length;
		} else if (c === '/' || delimiter(c)) {
			i++;
			if (c === '/') while (i < s.length && !delimiter(s[i])) i++;
		} else {
			const start = i;
			while (i < s.length && !delimiter(s[i])) i++;
			const token = s.slice(start, i);
			if (token === 'k' || token === 'K') return true;
			if (token === 'ID') {
				// inline image data is binary: jump to the EI that ends it
				const end = s.slice(i).search(/\sEI(\s|$)/);
				i = end < 0 ? s.length : i + end + 3;
			}
		}
	}
	return false;
}

/** The reasons this document cannot be made PDF/A-3b by adding metadata, an output intent and the XML. */
function pdfaProblems(doc: PDFDocument): string[] {
	const problems = new Set<string>();
	if (doc.isEncrypted) problems.add('it is encrypted (PDF/A forbids encryption)');
	const lookup = (dict: PDFDict, key: string): PDFObject | undefined => {
		const value = dict.get(PDFName.of(key));
		return value instanceof PDFRef ? doc.context.lookup(value) : value;
	};
	let usesCmyk = false;
	let defaultCmyk = false;
	const contentStreams: PDFStream[] = [];

	for (const { dict, stream } of allDicts(doc)) {
		const type = nameOf(lookup(dict, 'Type'));
		const subtype = nameOf(lookup(dict, 'Subtype'));
		if ((type === 'Font' || (subtype && FONT_SUBTYPES.has(subtype) && dict.has(PDFName.of('BaseFont')))) && subtype !== 'Type3' && subtype !== 'Type0') {
			const descriptor = lookup(dict, 'FontDescriptor');
			const embedded =
				descriptor instanceof PDFDict &&
				['FontFile', 'FontFile2', 'FontFile3'].some((key) => descriptor.has(PDFName.of(key)));
			if (!embedded) problems.add(`the font ${nameOf(lookup(dict, 'BaseFont')) ?? '(unnamed)'} is not embedded`);
		}
		const action = nameOf(lookup(dict, 'S'));
		if (dict.has(PDFName.of('JS')) || action === 'JavaScript') problems.add('it contains JavaScript');
		else if (action && FORBIDDEN_ACTIONS.has(action)) problems.add(`it contains a ${action} action`);
		if (dict.has(PDFName.of('AA'))) problems.add('it has additional actions (/AA), e.g. on opening a page');
		if (type === 'Catalog') {
			const names = lookup(dict, 'Names');
			if (names instanceof PDFDict && names.has(PDFName.of('JavaScript'))) problems.add('it contains JavaScript');
			const form = lookup(dict, 'AcroForm');
			if (form instanceof PDFDict) {
				if (form.has(PDFName.of('XFA'))) problems.add('it contains an XFA form');
				if (lookup(form, 'NeedAppearances') === PDFBool.True) problems.add('its form fields have no appearance (NeedAppearances)');
			}
		}
		const filters = lookup(dict, 'Filter');
		const filterNames = filters instanceof PDFArray ? filters.asArray().map((f) => nameOf(f)) : [nameOf(filters)];
		if (filterNames.includes('LZWDecode')) problems.add('it uses LZW compression, which PDF/A forbids');
		if (type === 'Filespec' && dict.has(PDFName.of('EF'))) {
			const name = textOf(lookup(dict, 'UF')) ?? textOf(lookup(dict, 'F')) ?? 'a file';
			problems.add(`it already carries an attached file (${name}); attach the e-invoice to the original PDF instead`);
		}
		if (subtype === 'PS' || dict.has(PDFName.of('OPI')) || (subtype === 'Form' && dict.has(PDFName.of('Ref')))) {
			problems.add('it contains PostScript, OPI or reference XObjects');
		}
		if (subtype === 'Form' && stream) contentStreams.push(stream);
		if (subtype === 'Image' && lookup(dict, 'Interpolate') === PDFBool.True) problems.add('an image asks for interpolation');
		if (type === 'ExtGState' || dict.has(PDFName.of('BM'))) {
			const transfer = nameOf(lookup(dict, 'TR')) ?? (dict.has(PDFName.of('TR')) ? 'function' : undefined);
			if (transfer && transfer !== 'Default') problems.add('it uses a transfer function');
			const blend = lookup(dict, 'BM');
			const modes = blend instanceof PDFArray ? blend.asArray().map((m) => nameOf(m)) : [nameOf(blend)];
			for (const mode of modes) if (mode && !STANDARD_BLEND_MODES.has(mode)) problems.add(`it uses the blend mode ${mode}`);
		}
		for (const [key, value] of dict.entries()) {
			if (key.decodeText() === 'DefaultCMYK') defaultCmyk = true;
			if (nameOf(value) === 'DeviceCMYK') usesCmyk = true;
			if (value instanceof PDFArray && value.asArray().some((v) => nameOf(v) === 'DeviceCMYK')) usesCmyk = true;
		}
	}
	const resolve = (value: PDFObject | undefined): PDFObject | undefined => (value instanceof PDFRef ? doc.context.lookup(value) : value);
	for (const page of doc.getPages()) {
		const contents = page.node.Contents();
		for (const item of contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : []) {
			const stream = resolve(item);
			if (stream instanceof PDFStream) contentStreams.push(stream);
		}
		const annotations = page.node.Annots();
		for (const item of annotations ? annotations.asArray() : []) {
			const annotation = resolve(item);
			if (!(annotation instanceof PDFDict)) continue;
			const subtype = nameOf(lookup(annotation, 'Subtype')) ?? 'unknown';
			if (FORBIDDEN_ANNOTATIONS.has(subtype)) {
				problems.add(`it contains a ${subtype} annotation`);
			} else if (subtype !== 'Popup' && subtype !== 'Link') {
				// PDF/A: an annotation shows the same on screen and paper, from an appearance stream of its own
				if (!annotation.has(PDFName.of('AP'))) problems.add(`a ${subtype} annotation has no appearance stream`);
				const flags = lookup(annotation, 'F');
				const f = flags instanceof PDFNumber ? flags.asNumber() : 0;
				if ((f & 4) === 0 || (f & (1 | 2 | 32)) !== 0) problems.add(`a ${subtype} annotation is hidden or not set to print`);
			}
		}
	}
	if (!usesCmyk) {
		for (const stream of contentStreams) {
			const bytes = streamBytes(stream);
			if (bytes && paintsCmyk(bytes)) {
				usesCmyk = true;
				break;
			}
		}
	}
	// PDF/A allows one output intent profile; device colours of another kind (CMYK beside our sRGB), in
	// content, images or a transparency group's blending space, need a DefaultCMYK the document does not have.
	// A transparency group without a /CS of its own is fine: PDF/A-2 and -3 (6.2.10) ask for one only in a file
	// without an output intent, and this step adds one.
	if (usesCmyk && !defaultCmyk) {
		problems.add('it uses DeviceCMYK colours (in content, images or a transparency group) that an sRGB output intent does not cover');
	}
	return [...problems];
}

function checkResult(problems: string[]): FacturXCheck {
	if (problems.length === 0) return { ok: true };
	return { ok: false, reason: `the PDF cannot be made PDF/A-3 (Factur-X): ${problems.join('; ')}`, reasons: problems };
}

async function loadPdf(bytes: Uint8Array): Promise<PDFDocument> {
	try {
		return await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false });
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the documents layer knows no n8n; the node wraps what reaches it
		throw new DocumentError('PARSE_ERROR', `the PDF cannot be read: ${(error as Error).message}`);
	}
}

/**
 * Whether a PDF given as binary input can become a Factur-X PDF/A-3b, and if not, why: encryption, fonts
 * that are not embedded, JavaScript and other actions, LZW, CMYK colours without a CMYK profile, attachments
 * of its own, hidden annotations. A structural check of what this package can fix by adding metadata, not a
 * full PDF/A validator (veraPDF): a PDF that passes it and is broken in other ways stays broken.
 */
export async function canMakeFacturX(pdfBytes: Uint8Array): Promise<FacturXCheck> {
	let doc: PDFDocument;
	try {
		doc = await loadPdf(pdfBytes);
	} catch (error) {
		return checkResult([(error as DocumentError).reason]);
	}
	return checkResult(pdfaProblems(doc));
}

// ----------------------------------------------------------------------------------------------- metadata

interface XmpFields {
	title?: string;
	author?: string;
	subject?: string;
	keywords?: string;
	creator?: string;
	producer: string;
	created: Date;
	modified: Date;
	fileName: string;
	conformanceLevel: string;
}

/** `2025-03-14T00:00:00Z`, the same instant as the Info dictionary's `D:20250314000000Z` */
function xmpDate(date: Date): string {
	return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const el = (name: string, content: string | XmlNode[], attributes?: Record<string, string>): XmlNode =>
	typeof content === 'string' ? { name, text: content, attributes } : { name, children: content, attributes };

/** `<name><rdf:Alt|Seq><rdf:li …>value</rdf:li></…></name>` on one line, or nothing without a value. */
function listed(name: string, list: 'rdf:Alt' | 'rdf:Seq', value: string | undefined): XmlNode {
	const li = el('rdf:li', value ?? '', list === 'rdf:Alt' ? { 'xml:lang': 'x-default' } : undefined);
	return { ...el(name, [el(list, [li])]), inline: true };
}

/** One property of the Factur-X extension schema, as PDF/A asks a packet to describe it. */
function schemaProperty(name: string, description: string): XmlNode {
	return el(
		'rdf:li',
		[el('pdfaProperty:name', name), el('pdfaProperty:valueType', 'Text'), el('pdfaProperty:category', 'external'), el('pdfaProperty:description', description)],
		{ 'rdf:parseType': 'Resource' },
	);
}

/** PDF/A admits properties outside its predefined schemas only when the packet describes their schema. */
function extensionSchema(): XmlNode {
	const schema = el(
		'rdf:li',
		[
			el('pdfaSchema:schema', 'Factur-X PDFA Extension Schema'),
			el('pdfaSchema:namespaceURI', FX_NAMESPACE),
			el('pdfaSchema:prefix', 'fx'),
			el('pdfaSchema:property', [
				el('rdf:Seq', [
					schemaProperty('DocumentFileName', 'The name of the embedded XML document'),
					schemaProperty('DocumentType', 'The type of the hybrid document in capital letters, e.g. INVOICE or ORDER'),
					schemaProperty('Version', 'The actual version of the standard applying to the embedded XML document'),
					schemaProperty('ConformanceLevel', 'The conformance level of the embedded XML document'),
				]),
			]),
		],
		{ 'rdf:parseType': 'Resource' },
	);
	return el('rdf:Description', [el('pdfaExtension:schemas', [el('rdf:Bag', [schema])])], {
		'rdf:about': '',
		'xmlns:pdfaExtension': 'http://www.aiim.org/pdfa/ns/extension/',
		'xmlns:pdfaSchema': 'http://www.aiim.org/pdfa/ns/schema#',
		'xmlns:pdfaProperty': 'http://www.aiim.org/pdfa/ns/property#',
	});
}

function xmpPacket(fields: XmpFields): string {
	const description = (namespace: Record<string, string>, children: XmlNode[]): XmlNode =>
		el('rdf:Description', children, { 'rdf:about': '', ...namespace });
	const rdf = el(
		'rdf:RDF',
		[
			description({ 'xmlns:pdfaid': 'http://www.aiim.org/pdfa/ns/id/' }, [el('pdfaid:part', '3'), el('pdfaid:conformance', 'B')]),
			description({ 'xmlns:dc': 'http://purl.org/dc/elements/1.1/' }, [
				el('dc:format', 'application/pdf'),
				listed('dc:title', 'rdf:Alt', fields.title),
				listed('dc:creator', 'rdf:Seq', fields.author),
				listed('dc:description', 'rdf:Alt', fields.subject),
			]),
			description({ 'xmlns:xmp': 'http://ns.adobe.com/xap/1.0/' }, [
				el('xmp:CreatorTool', fields.creator ?? ''),
				el('xmp:CreateDate', xmpDate(fields.created)),
				el('xmp:ModifyDate', xmpDate(fields.modified)),
				el('xmp:MetadataDate', xmpDate(fields.modified)),
			]),
			description({ 'xmlns:pdf': 'http://ns.adobe.com/pdf/1.3/' }, [el('pdf:Producer', fields.producer), el('pdf:Keywords', fields.keywords ?? '')]),
			description({ 'xmlns:fx': FX_NAMESPACE }, [
				el('fx:DocumentType', 'INVOICE'),
				el('fx:DocumentFileName', fields.fileName),
				el('fx:Version', '1.0'),
				el('fx:ConformanceLevel', fields.conformanceLevel),
			]),
			extensionSchema(),
		],
		{ 'xmlns:rdf': 'http://www.w3.org/1999/02/22-rdf-syntax-ns#' },
	);
	const packet = new XmlWriter('<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>');
	packet.node(el('x:xmpmeta', [rdf], { 'xmlns:x': 'adobe:ns:meta/' })).instruction('xpacket', 'end="w"');
	return packet.toString().trimEnd();
}

/** A date of the Info dictionary, or undefined where a foreign PDF wrote one pdf-lib cannot parse. */
function safeDate(read: () => Date | undefined): Date | undefined {
	try {
		const date = read();
		return date && !Number.isNaN(date.getTime()) ? date : undefined;
	} catch {
		return undefined;
	}
}

/**
 * What the Factur-X step needs of the XML — its profile and invoice date — as `writeCiiInvoice` noted them when
 * it wrote the bytes: the XML is never parsed again. Bytes from elsewhere are refused.
 */
function ciiFacts(xml: Uint8Array, profile: EInvoiceProfile): CiiFacts {
	const facts = writtenCiiFacts(xml);
	if (!facts) {
		throw new DocumentError('UNSUPPORTED_FORMAT', 'the XML is not a CII invoice written by writeCiiInvoice; write it with writeCiiInvoice');
	}
	if (facts.profile !== profile) {
		// an XRechnung XML in a Factur-X EN 16931 PDF would declare one profile in the XMP and another in the XML
		throw new DocumentError(
			'INVALID_VALUE',
			`the XML is written for "${GUIDELINE_IDS[facts.profile]}", not for the profile ${profile} (${GUIDELINE_IDS[profile]})`,
		);
	}
	return facts;
}

/**
 * The invoice PDF, from any of the three things a caller may hold: an Invoice or CheckedInvoice (rendered with
 * `createInvoicePdfDocument`), a PDFDocument from it (used and changed as it is), or PDF bytes given as binary
 * input (read). `embedFacturX` takes the one type this returns.
 */
export async function facturXDocument(source: Invoice | CheckedInvoice | PDFDocument | Uint8Array, options: FacturXOptions = {}): Promise<PDFDocument> {
	if (source instanceof PDFDocument) return source;
	if (source instanceof Uint8Array) return await loadPdf(source);
	return await createInvoicePdfDocument(source, options.pdf);
}

/**
 * Makes a Factur-X (ZUGFeRD 2) PDF/A-3b of the profile from the invoice PDF and its CII XML (`writeCiiInvoice`):
 * `source` as `facturXDocument` takes it. A PDF that PDF/A-3 does not allow is refused with a DocumentError
 * (UNSUPPORTED_FORMAT) that says why. The XML is embedded as `factur-x.xml` (`xrechnung.xml` for the XRECHNUNG
 * profile). The same input gives the same bytes: all dates come from the PDF or the invoice.
 */
export async function makeFacturX(
	source: Invoice | CheckedInvoice | PDFDocument | Uint8Array,
	xml: Uint8Array,
	profile: EInvoiceProfile,
	options: FacturXOptions = {},
): Promise<Uint8Array> {
	const facts = ciiFacts(xml, checkedProfile(profile));
	return await embedFacturX(await facturXDocument(source, options), xml, facts);
}

function checkedProfile(profile: EInvoiceProfile): EInvoiceProfile {
	if (profile !== 'EN16931' && profile !== 'XRECHNUNG') {
		throw new DocumentError('INVALID_VALUE', `the Factur-X profile must be EN16931 or XRECHNUNG, not "${String(profile)}"`);
	}
	return profile;
}

/** Turns the invoice PDF (changed in place) into the Factur-X PDF/A-3b carrying `xml`, and saves it. */
async function embedFacturX(doc: PDFDocument, xml: Uint8Array, facts: CiiFacts): Promise<Uint8Array> {
	const { profile } = facts;
	// pdf-lib writes fonts and images into the document only when saving; flushed now, they are checked too
	await doc.flush();
	const problems = pdfaProblems(doc);
	if (problems.length > 0) throw new DocumentError('UNSUPPORTED_FORMAT', (checkResult(problems) as { reason: string }).reason);
	const fileName = facturXFileName(profile);
	const created = safeDate(() => doc.getCreationDate()) ?? facts.issueDate;
	const modified = safeDate(() => doc.getModificationDate()) ?? created;
	// written again in pdf-lib's one format, so that Info and XMP state the same instants in the same way
	doc.setCreationDate(created);
	doc.setModificationDate(modified);
	if (doc.getProducer() === undefined) doc.setProducer(PRODUCER);

	await doc.attach(xml, fileName, {
		mimeType: 'text/xml',
		description: profile === 'XRECHNUNG' ? 'XRechnung (EN 16931 CII)' : 'Factur-X / ZUGFeRD invoice (EN 16931 CII)',
		creationDate: modified,
		modificationDate: modified,
		afRelationship: AFRelationship.Alternative,
	});
	addOutputIntent(doc);
	const xmp = xmpPacket({
		title: doc.getTitle(),
		author: doc.getAuthor(),
		subject: doc.getSubject(),
		keywords: doc.getKeywords(),
		creator: doc.getCreator(),
		producer: doc.getProducer() ?? PRODUCER,
		created,
		modified,
		fileName,
		conformanceLevel: CONFORMANCE_LEVELS[profile],
	});
	// PDF/A: the metadata stream must not be filtered, so that any tool can read it
	const metadata = doc.context.stream(Buffer.from(xmp, 'utf8'), { Type: 'Metadata', Subtype: 'XML' });
	doc.catalog.set(PDFName.of('Metadata'), doc.context.register(metadata));
	if (!doc.context.trailerInfo.ID) {
		const id = PDFHexString.of(createHash('sha256').update(xml).digest('hex').slice(0, 32));
		doc.context.trailerInfo.ID = doc.context.obj([id, id]);
	}
	return doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
}

/** The sRGB output intent PDF/A asks for, as the page content is DeviceRGB. */
function addOutputIntent(doc: PDFDocument): void {
	const context = doc.context;
	const icc = context.register(context.stream(deflatedSrgbIccProfile(), { N: 3, Filter: 'FlateDecode' }));
	const intent = context.obj({
		Type: 'OutputIntent',
		S: 'GTS_PDFA1',
		OutputConditionIdentifier: PDFString.of('sRGB IEC61966-2.1'),
		RegistryName: PDFString.of('http://www.color.org'),
		Info: PDFString.of('sRGB IEC61966-2.1'),
		DestOutputProfile: icc,
	});
	doc.catalog.set(PDFName.of('OutputIntents'), context.obj([context.register(intent)]));
}
