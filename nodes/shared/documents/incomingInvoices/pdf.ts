import { inflateSync } from 'node:zlib';
import {
	PDFArray,
	PDFDict,
	PDFDocument,
	PDFHexString,
	PDFName,
	PDFRawStream,
	PDFString,
	decodePDFRawStream,
} from 'pdf-lib';
import type { PDFObject } from 'pdf-lib';
import { DocumentError } from '../DocumentError';

/**
 * Finds the invoice XML inside a ZUGFeRD / Factur-X PDF (PDF/A-3 with associated files). The XML is an embedded
 * file listed in the catalog's /AF array and in its /Names /EmbeddedFiles name tree; its name says what it is:
 * `factur-x.xml` (Factur-X 1.0, ZUGFeRD 2.1+), `xrechnung.xml` (Factur-X profile XRECHNUNG), `zugferd-invoice.xml`
 * (ZUGFeRD 2.0) and `ZUGFeRD-invoice.xml` (ZUGFeRD 1.0). A PDF may carry more than one (Mustang writes a 1.0 and a
 * 2.x XML side by side): the name the XMP metadata declares (fx:DocumentFileName) wins, then the newest format.
 * An embedded XML with another name is taken when its relationship to the PDF is /Alternative, /Data or /Source.
 *
 * Bounds: the stream is inflated with a limit on its decoded size (`maxXmlBytes`), so a compressed bomb is
 * refused before it fills memory; name trees are walked to a bounded depth and each node once.
 */

export interface EmbeddedXml {
	fileName: string;
	bytes: Uint8Array;
}

/** Known names of the invoice XML, best first; compared case-insensitively. */
const INVOICE_FILE_NAMES = ['factur-x.xml', 'xrechnung.xml', 'zugferd-invoice.xml'];
const INVOICE_RELATIONSHIPS = new Set(['Alternative', 'Data', 'Source']);
const MAX_NAME_TREE_DEPTH = 32;

interface FileSpec {
	name: string;
	spec: PDFDict;
}

export async function embeddedInvoiceXml(pdf: Uint8Array, maxXmlBytes: number, file?: string): Promise<EmbeddedXml> {
	const doc = await loadPdf(pdf, file);
	if (doc.isEncrypted) {
		throw new DocumentError('UNSUPPORTED_FORMAT', 'the PDF is encrypted; a ZUGFeRD / Factur-X PDF (PDF/A-3) never is, and its XML cannot be read', file);
	}
	let specs: FileSpec[];
	let declared: string | undefined;
	try {
		specs = fileSpecs(doc);
		declared = declaredFileName(doc);
	} catch (error) {
		// pdf-lib "loads" garbage after a %PDF- header and fails only when its catalog is looked at
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the documents layer knows no n8n; the node wraps what reaches it
		throw new DocumentError('PARSE_ERROR', `the PDF cannot be read: ${(error as Error).message}`, file);
	}
	const chosen = choose(specs, declared);
	if (!chosen) {
		const names = specs.map((s) => s.name).join(', ');
		throw new DocumentError(
			'UNSUPPORTED_FORMAT',
			`the PDF carries no e-invoice: no embedded factur-x.xml, xrechnung.xml or ZUGFeRD-invoice.xml` +
				(names ? ` (embedded files: ${names})` : ' (it has no embedded files)') +
				'. A PDF alone is no e-invoice; ask the supplier for ZUGFeRD / Factur-X or XRechnung',
			file,
		);
	}
	return { fileName: chosen.name, bytes: streamBytes(chosen, maxXmlBytes, file) };
}

async function loadPdf(bytes: Uint8Array, file?: string): Promise<PDFDocument> {
	try {
		return await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the documents layer knows no n8n; the node wraps what reaches it
		throw new DocumentError('PARSE_ERROR', `the PDF cannot be read: ${(error as Error).message}`, file);
	}
}

function textOf(value: PDFObject | undefined): string | undefined {
	return value instanceof PDFString || value instanceof PDFHexString ? value.decodeText() : undefined;
}

/** Every file specification of the catalog's /AF and /Names /EmbeddedFiles, each once. */
function fileSpecs(doc: PDFDocument): FileSpec[] {
	const found = new Map<PDFDict, FileSpec>();
	const add = (value: PDFObject | undefined, treeName?: string): void => {
		const spec = value instanceof PDFDict ? value : undefined;
		if (!spec || found.has(spec)) return;
		const name = textOf(spec.lookup(PDFName.of('UF'))) ?? textOf(spec.lookup(PDFName.of('F'))) ?? treeName ?? '';
		found.set(spec, { name, spec });
	};
	const af = doc.catalog.lookup(PDFName.of('AF'));
	if (af instanceof PDFArray) for (let i = 0; i < af.size(); i++) add(af.lookup(i));
	const names = doc.catalog.lookup(PDFName.of('Names'));
	const tree = names instanceof PDFDict ? names.lookup(PDFName.of('EmbeddedFiles')) : undefined;
	walkNameTree(tree, add);
	return [...found.values()];
}

function walkNameTree(root: PDFObject | undefined, add: (value: PDFObject | undefined, name?: string) => void): void {
	const seen = new Set<PDFDict>();
	const visit = (node: PDFObject | undefined, depth: number): void => {
		if (!(node instanceof PDFDict) || seen.has(node) || depth > MAX_NAME_TREE_DEPTH) return;
		seen.add(node);
		const pairs = node.lookup(PDFName.of('Names'));
		if (pairs instanceof PDFArray) {
			for (let i = 0; i + 1 < pairs.size(); i += 2) add(pairs.lookup(i + 1), textOf(pairs.lookup(i)));
		}
		const kids = node.lookup(PDFName.of('Kids'));
		if (kids instanceof PDFArray) for (let i = 0; i < kids.size(); i++) visit(kids.lookup(i), depth + 1);
	};
	visit(root, 0);
}

/** fx:DocumentFileName of the XMP metadata, the file the PDF itself names as its invoice. */
function declaredFileName(doc: PDFDocument): string | undefined {
	const metadata = doc.catalog.lookup(PDFName.of('Metadata'));
	if (!(metadata instanceof PDFRawStream)) return undefined;
	try {
		const text = Buffer.from(decodePDFRawStream(metadata).decode()).toString('utf8');
		const m = /DocumentFileName(?:>|\s*=\s*")\s*([^<"]+?)\s*(?:<|")/.exec(text);
		return m?.[1];
	} catch {
		return undefined;
	}
}

function relationship(spec: PDFDict): string | undefined {
	const value = spec.lookup(PDFName.of('AFRelationship'));
	return value instanceof PDFName ? value.decodeText() : undefined;
}

function choose(specs: FileSpec[], declared: string | undefined): FileSpec | undefined {
	const lower = (s: string): string => s.toLowerCase();
	if (declared) {
		const named = specs.find((s) => lower(s.name) === lower(declared));
		if (named) return named;
	}
	for (const known of INVOICE_FILE_NAMES) {
		const named = specs.find((s) => lower(s.name) === known);
		if (named) return named;
	}
	return specs.find((s) => /\.xml$/i.test(s.name) && INVOICE_RELATIONSHIPS.has(relationship(s.spec) ?? ''));
}

/** The embedded file's decoded bytes, at most `maxBytes`. */
function streamBytes(chosen: FileSpec, maxBytes: number, file?: string): Uint8Array {
	const ef = chosen.spec.lookup(PDFName.of('EF'));
	const stream = ef instanceof PDFDict ? (ef.lookup(PDFName.of('UF')) ?? ef.lookup(PDFName.of('F'))) : undefined;
	const where = `${file ? `${file}: ` : ''}${chosen.name}`;
	if (!(stream instanceof PDFRawStream)) {
		throw new DocumentError('PARSE_ERROR', `the embedded file ${chosen.name} has no content stream`, file);
	}
	const filters = filterNames(stream.dict.lookup(PDFName.of('Filter')));
	const tooLarge = (): never => {
		throw new DocumentError('TOO_LARGE', `the embedded file ${chosen.name} is larger than ${maxBytes} bytes when decoded`, file);
	};
	let bytes: Uint8Array;
	if (filters.length === 0) {
		bytes = stream.contents;
	} else if (filters.length === 1 && filters[0] === 'FlateDecode' && !stream.dict.lookup(PDFName.of('DecodeParms'))) {
		try {
			bytes = inflateSync(stream.contents, { maxOutputLength: maxBytes + 1 });
		} catch (error) {
			if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge();
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the documents layer knows no n8n; the node wraps what reaches it
			throw new DocumentError('PARSE_ERROR', `${where}: the compressed stream is broken (${(error as Error).message})`, file);
		}
	} else if (filters.every((f) => f === 'ASCIIHexDecode' || f === 'ASCII85Decode')) {
		// these filters only ever shrink their input, so decoding them is bounded by the PDF's own size
		bytes = decodePDFRawStream(stream).decode();
	} else {
		throw new DocumentError('UNSUPPORTED_FORMAT', `${where}: the stream filter ${filters.join(', ')} is not supported for an embedded invoice`, file);
	}
	if (bytes.length > maxBytes) return tooLarge();
	return bytes;
}

function filterNames(value: PDFObject | undefined): string[] {
	if (value instanceof PDFName) return [value.decodeText()];
	if (value instanceof PDFArray) return value.asArray().map((v) => (v instanceof PDFName ? v.decodeText() : String(v)));
	return [];
}
