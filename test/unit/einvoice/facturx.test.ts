import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import * as fontkit from '@pdf-lib/fontkit';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, decodePDFRawStream } from 'pdf-lib';

import { invoicePdfMetadata } from '../../../nodes/shared/documents/invoices';
import { writeCiiInvoice } from '../../../nodes/shared/documents/invoices/cii';
import type { EInvoiceProfile } from '../../../nodes/shared/documents/invoices/cii';
import { makeFacturX, srgbIccProfile } from '../../../nodes/shared/documents/invoices/facturx';
import type { Invoice } from '../../../nodes/shared/documents/invoices';
import { CASES, forAuthority } from './einvoiceSamples';
import {
	CII_XSD,
	EN16931_XSLT,
	FACTURX_XSD,
	FACTURX_XSLT,
	XRECHNUNG_XSLT,
	detach,
	errors,
	fatal,
	keep,
	qpdfCheck,
	qpdfJson,
	qpdfObject,
	qpdfValue,
	schematron,
	xsdErrors,
} from './validators';
import type { FailedAssertion, QpdfJson } from './validators';

/**
 * Every case of the issue, made into a Factur-X PDF (profile EN 16931) and, addressed to a public authority,
 * into a Factur-X PDF of profile XRECHNUNG and a stand-alone XRechnung XML. The XML is taken out of each PDF
 * again with pdfdetach and checked by the official rules: the CII D16B schema and the Factur-X EN 16931 schema
 * (xmllint), the CEN EN 16931 schematron and the KoSIT XRechnung schematron (Saxon-HE).
 */

interface Generated {
	invoice: Invoice;
	profile: EInvoiceProfile;
	pdfPath: string;
	fileName: string;
	written: Buffer;
	extracted: Buffer;
	extractedPath: string;
	attachments: string[];
	json: QpdfJson;
}

const slug = (name: string): string => name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
const generated = new Map<string, Generated>();
let en16931Reports: Map<string, FailedAssertion[]>;
let xrechnungReports: Map<string, FailedAssertion[]>;
let facturxReports: Map<string, FailedAssertion[]>;

async function generate(name: string, invoice: Invoice, profile: EInvoiceProfile): Promise<Generated> {
	const written = writeCiiInvoice(invoice, profile);
	const pdfPath = keep(`${slug(name)}-${profile.toLowerCase()}.pdf`, await makeFacturX(invoice, written, profile));
	const fileName = profile === 'XRECHNUNG' ? 'xrechnung.xml' : 'factur-x.xml';
	const files = detach(pdfPath);
	const extracted = files.get(fileName);
	if (!extracted) throw new Error(`${pdfPath} has no ${fileName}, only ${[...files.keys()].join(', ')}`);
	const extractedPath = keep(`${slug(name)}-${profile.toLowerCase()}.xml`, extracted);
	return { invoice, profile, pdfPath, fileName, written, extracted, extractedPath, attachments: [...files.keys()], json: qpdfJson(pdfPath) };
}

const key = (name: string, profile: EInvoiceProfile): string => `${name}|${profile}`;

beforeAll(async () => {
	for (const { name, make } of CASES) {
		generated.set(key(name, 'EN16931'), await generate(name, make(), 'EN16931'));
		generated.set(key(name, 'XRECHNUNG'), await generate(name, forAuthority(make()), 'XRECHNUNG'));
	}
	const all = [...generated.values()];
	en16931Reports = schematron(
		all.map((g) => g.extractedPath),
		EN16931_XSLT,
	);
	xrechnungReports = schematron(
		all.filter((g) => g.profile === 'XRECHNUNG').map((g) => g.extractedPath),
		XRECHNUNG_XSLT,
	);
	facturxReports = schematron(
		all.filter((g) => g.profile === 'EN16931').map((g) => g.extractedPath),
		FACTURX_XSLT,
	);
}, 600_000);

/** The catalog of the PDF as qpdf parses it. */
function catalog(json: QpdfJson): Record<string, unknown> {
	const trailer = json.qpdf[1].trailer.value as Record<string, unknown>;
	return qpdfValue(json, trailer['/Root']);
}

function info(json: QpdfJson): Record<string, unknown> {
	const trailer = json.qpdf[1].trailer.value as Record<string, unknown>;
	return qpdfValue(json, trailer['/Info']);
}

/** qpdf's JSON v2 writes strings as "u:text" (or "b:hex" for binary). */
function text(value: unknown): string {
	if (typeof value !== 'string') throw new Error(`not a string: ${JSON.stringify(value)}`);
	if (value.startsWith('u:')) return value.slice(2);
	if (value.startsWith('b:')) {
		const bytes = Buffer.from(value.slice(2), 'hex');
		if (bytes[0] === 0xfe && bytes[1] === 0xff) return bytes.subarray(2).swap16().toString('utf16le');
		return bytes.toString('latin1');
	}
	return value;
}

function streamData(json: QpdfJson, ref: unknown): Buffer {
	const data = qpdfObject(json, ref).stream?.data;
	if (data === undefined) throw new Error(`${String(ref)} is not a stream with data`);
	return Buffer.from(data, 'base64');
}

function xmpOf(json: QpdfJson): string {
	return streamData(json, catalog(json)['/Metadata']).toString('utf8');
}

function xmpValue(xmp: string, element: string): string | undefined {
	const m = new RegExp(`<${element}>(?:<rdf:(?:Alt|Seq)><rdf:li[^>]*>)?([^<]*)<`).exec(xmp);
	return m?.[1];
}

describe.each(CASES.map((c) => c.name))('a Factur-X e-invoice for the case "%s"', (name) => {
	describe.each(['EN16931', 'XRECHNUNG'] as const)('profile %s', (profile) => {
		const g = (): Generated => generated.get(key(name, profile))!;

		it('carries exactly the XML that was written, under the name the profile prescribes', () => {
			expect(g().attachments).toEqual([g().fileName]);
			expect(g().extracted.equals(g().written)).toBe(true);
		});

		it('passes the CII D16B schema and the Factur-X EN 16931 schema (xmllint)', () => {
			expect(xsdErrors(g().extractedPath, CII_XSD)).toEqual([]);
			expect(xsdErrors(g().extractedPath, FACTURX_XSD)).toEqual([]);
		});

		it('breaks no fatal rule of the EN 16931 schematron (Saxon-HE)', () => {
			expect(fatal(en16931Reports.get(g().extractedPath)!)).toEqual([]);
		});

		if (profile === 'XRECHNUNG') {
			it('breaks no fatal rule of the XRechnung 3.0 CII schematron (Saxon-HE)', () => {
				expect(fatal(xrechnungReports.get(g().extractedPath)!)).toEqual([]);
			});
		} else {
			it('breaks no rule of the Factur-X EN 16931 schematron (Saxon-HE)', () => {
				expect(errors(facturxReports.get(g().extractedPath)!)).toEqual([]);
			});
		}

		it('passes qpdf --check without errors or warnings', () => {
			const check = qpdfCheck(g().pdfPath);
			expect(check.output).toContain('No syntax or stream encoding errors found');
			expect(check.status).toBe(0);
		});

		it('lists the XML in the catalog /AF and /Names /EmbeddedFiles as /Alternative, text/xml, with ModDate and Size', () => {
			const { json } = g();
			const root = catalog(json);
			const af = qpdfObject(json, root['/AF']).value as string[];
			expect(af).toHaveLength(1);
			const spec = qpdfValue(json, af[0]);
			expect(spec['/Type']).toBe('/Filespec');
			expect(spec['/AFRelationship']).toBe('/Alternative');
			expect(text(spec['/F'])).toBe(g().fileName);
			expect(text(spec['/UF'])).toBe(g().fileName);
			const names = qpdfValue(json, qpdfValue(json, root['/Names'])['/EmbeddedFiles'])['/Names'] as unknown[];
			expect(text(names[0])).toBe(g().fileName);
			expect(names[1]).toBe(af[0]);
			const fileRef = (qpdfValue(json, spec['/EF']) as Record<string, unknown>)['/F'];
			const file = qpdfObject(json, fileRef).stream!;
			expect(file.dict['/Type']).toBe('/EmbeddedFile');
			expect(file.dict['/Subtype']).toBe('/text/xml');
			// in the file the slash of the MIME type is escaped, as a PDF name must be
			expect(readFileSync(g().pdfPath).toString('latin1')).toContain('/Subtype /text#2Fxml');
			const params = qpdfValue(json, file.dict['/Params']);
			expect(params['/Size']).toBe(g().written.length);
			expect(text(params['/ModDate'])).toMatch(/^D:\d{14}Z$/);
		});

		it('has an sRGB OutputIntent /GTS_PDFA1 with the embedded ICC profile (N 3)', () => {
			const { json } = g();
			const intents = qpdfObject(json, catalog(json)['/OutputIntents']).value as string[];
			expect(intents).toHaveLength(1);
			const intent = qpdfValue(json, intents[0]);
			expect(intent['/Type']).toBe('/OutputIntent');
			expect(intent['/S']).toBe('/GTS_PDFA1');
			expect(text(intent['/OutputConditionIdentifier'])).toBe('sRGB IEC61966-2.1');
			const profileStream = qpdfObject(json, intent['/DestOutputProfile']).stream!;
			expect(profileStream.dict['/N']).toBe(3);
			const icc = streamData(json, intent['/DestOutputProfile']);
			expect(icc.equals(Buffer.from(srgbIccProfile()))).toBe(true);
			// an ICC profile: its size in the header, the signature "acsp", an RGB display profile
			expect(icc.readUInt32BE(0)).toBe(icc.length);
			expect(icc.subarray(36, 40).toString('latin1')).toBe('acsp');
			expect(icc.subarray(12, 20).toString('latin1')).toBe('mntrRGB ');
		});

		it('has XMP metadata for PDF/A-3B and Factur-X that repeats the Info dictionary exactly', () => {
			const { json, invoice } = g();
			const metadataStream = qpdfObject(json, catalog(json)['/Metadata']).stream!;
			expect(metadataStream.dict['/Type']).toBe('/Metadata');
			expect(metadataStream.dict['/Subtype']).toBe('/XML');
			expect(metadataStream.dict['/Filter']).toBeUndefined();
			const xmp = xmpOf(json);
			expect(xmp.startsWith('<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>')).toBe(true);
			expect(xmpValue(xmp, 'pdfaid:part')).toBe('3');
			expect(xmpValue(xmp, 'pdfaid:conformance')).toBe('B');
			expect(xmpValue(xmp, 'fx:DocumentType')).toBe('INVOICE');
			expect(xmpValue(xmp, 'fx:DocumentFileName')).toBe(g().fileName);
			expect(xmpValue(xmp, 'fx:Version')).toBe('1.0');
			expect(xmpValue(xmp, 'fx:ConformanceLevel')).toBe(profile === 'XRECHNUNG' ? 'XRECHNUNG' : 'EN 16931');
			expect(xmp).toContain('<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>');
			expect(xmp).toContain('<pdfaSchema:prefix>fx</pdfaSchema:prefix>');
			for (const property of ['DocumentFileName', 'DocumentType', 'Version', 'ConformanceLevel']) {
				expect(xmp).toContain(`<pdfaProperty:name>${property}</pdfaProperty:name>`);
			}

			const meta = invoicePdfMetadata(invoice);
			const dict = info(json);
			const unescape = (value: string | undefined): string | undefined =>
				value?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
			expect(text(dict['/Title'])).toBe(meta.title);
			expect(unescape(xmpValue(xmp, 'dc:title'))).toBe(meta.title);
			expect(text(dict['/Author'])).toBe(meta.author);
			expect(unescape(xmpValue(xmp, 'dc:creator'))).toBe(meta.author);
			expect(text(dict['/Creator'])).toBe(meta.creator);
			expect(xmpValue(xmp, 'xmp:CreatorTool')).toBe(meta.creator);
			expect(text(dict['/Producer'])).toBe(meta.producer);
			expect(xmpValue(xmp, 'pdf:Producer')).toBe(meta.producer);
			const iso = meta.creationDate.toISOString().replace(/\.000Z$/, 'Z');
			const pdfDate = `D:${iso.replace(/[-:T]/g, '').replace(/Z$/, '')}Z`;
			expect(text(dict['/CreationDate'])).toBe(pdfDate);
			expect(text(dict['/ModDate'])).toBe(pdfDate);
			expect(xmpValue(xmp, 'xmp:CreateDate')).toBe(iso);
			expect(xmpValue(xmp, 'xmp:ModifyDate')).toBe(iso);
		});

		it('gives every glyph the width its embedded font program has (PDF/A-3 6.2.11.5)', async () => {
			const doc = await PDFDocument.load(readFileSync(g().pdfPath), { updateMetadata: false });
			let checked = 0;
			for (const [, object] of doc.context.enumerateIndirectObjects()) {
				if (!(object instanceof PDFDict) || object.get(PDFName.of('Subtype'))?.toString() !== '/CIDFontType2') continue;
				const descriptor = doc.context.lookup(object.get(PDFName.of('FontDescriptor'))) as PDFDict;
				const file = doc.context.lookup(descriptor.get(PDFName.of('FontFile2'))) as PDFRawStream;
				const font = fontkit.create(Buffer.from(decodePDFRawStream(file).decode()));
				const widths = (doc.context.lookup(object.get(PDFName.of('W'))) as PDFArray).asArray();
				for (let i = 0; i < widths.length; i += 2) {
					const first = (widths[i] as PDFNumber).asNumber();
					(doc.context.lookup(widths[i + 1]) as PDFArray).asArray().forEach((width, j) => {
						// CIDToGIDMap /Identity: the CID is the glyph index
						const glyph = font.getGlyph(first + j);
						expect(Math.abs((glyph.advanceWidth * 1000) / font.unitsPerEm - (width as PDFNumber).asNumber())).toBeLessThanOrEqual(1);
						checked++;
					});
				}
			}
			expect(checked).toBeGreaterThan(20);
		});

		it('embeds every font (pdffonts) and carries a document ID', () => {
			const result = spawnSync('pdffonts', [g().pdfPath], { encoding: 'utf8' });
			expect(result.status).toBe(0);
			const rows = result.stdout.split('\n').slice(2).filter((l) => l.trim() !== '');
			expect(rows.length).toBeGreaterThan(0);
			// columns: name type encoding emb sub uni object ID
			for (const row of rows) expect(row.split(/\s+/).slice(-5, -2)).toEqual(['yes', 'yes', 'yes']);
			const trailer = g().json.qpdf[1].trailer.value as Record<string, unknown>;
			expect((trailer['/ID'] as string[]).length).toBe(2);
		});
	});
});

describe('the multi-page Factur-X invoice', () => {
	it('really has several pages, and its one XML holds every line', () => {
		const g = generated.get(key('multi-page invoice', 'EN16931'))!;
		const pages = spawnSync('pdfinfo', [g.pdfPath], { encoding: 'utf8' }).stdout;
		expect(Number(/Pages:\s+(\d+)/.exec(pages)?.[1])).toBeGreaterThanOrEqual(3);
		expect(g.extracted.toString('utf8').match(/<ram:IncludedSupplyChainTradeLineItem>/g)).toHaveLength(90);
	});
});

describe('the same structure as Factur-X PDFs made by other software', () => {
	it('has every catalog entry Mustang writes for Factur-X (/AF, /Metadata, /Names, /OutputIntents)', () => {
		const ours = catalog(generated.get(key('one VAT rate', 'EN16931'))!.json);
		for (const reference of ['validV2PDF.pdf', 'validXRechnung.pdf']) {
			const json = qpdfJson(`${__dirname}/../../fixtures/facturx/reference-pdf/${reference}`);
			for (const entry of ['/AF', '/Metadata', '/Names', '/OutputIntents']) {
				expect(catalog(json)).toHaveProperty([entry]);
				expect(ours).toHaveProperty([entry]);
			}
			const theirs = xmpOf(json);
			expect(xmpValue(theirs, 'fx:DocumentType')).toBe('INVOICE');
			expect(xmpValue(theirs, 'fx:Version')).toBe('1.0');
		}
	});
});

describe('the schematron check', () => {
	it('catches an invoice whose line total does not add up (the check can fail)', () => {
		const g = generated.get(key('two VAT rates with a prepayment', 'XRECHNUNG'))!;
		const xml = g.written.toString('utf8');
		// the first line's amount raised by one euro, so that line amount, sums and VAT no longer agree
		const broken = xml.replace(
			/<ram:LineTotalAmount>89\.50<\/ram:LineTotalAmount>/,
			'<ram:LineTotalAmount>90.50</ram:LineTotalAmount>',
		);
		expect(broken).not.toBe(xml);
		const path = keep('broken-line-total.xml', broken);
		expect(xsdErrors(path, CII_XSD)).toEqual([]);
		const reports = schematron([path], EN16931_XSLT);
		const ids = fatal(reports.get(path)!).map((a) => a.id);
		// BR-CO-10: the sum of the line net amounts must equal the invoice's line total
		expect(ids).toContain('BR-CO-10');
		const facturx = errors(schematron([path], FACTURX_XSLT).get(path)!);
		expect(facturx.map((a) => a.text).join('\n')).toContain('BR-CO-10');
	});

	it('catches an XRechnung without the buyer reference (BR-DE-15), which the EN 16931 rules alone allow', () => {
		const g = generated.get(key('one VAT rate', 'XRECHNUNG'))!;
		const xml = g.written.toString('utf8');
		const broken = xml.replace(/\s*<ram:BuyerReference>[^<]*<\/ram:BuyerReference>/, '');
		expect(broken).not.toBe(xml);
		const path = keep('broken-no-buyer-reference.xml', broken);
		expect(fatal(schematron([path], EN16931_XSLT).get(path)!)).toEqual([]);
		const ids = fatal(schematron([path], XRECHNUNG_XSLT).get(path)!).map((a) => a.id);
		expect(ids).toContain('BR-DE-15');
	});

	it('finds the example invoices of the CEN repository free of fatal errors (the check does not refuse everything)', () => {
		const example = `${__dirname}/../../fixtures/en16931/examples/CII_example1.xml`;
		expect(readFileSync(example, 'utf8')).toContain('CrossIndustryInvoice');
		expect(xsdErrors(example, CII_XSD)).toEqual([]);
		expect(fatal(schematron([example], EN16931_XSLT).get(example)!)).toEqual([]);
	});
});
