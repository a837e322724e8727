import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as fontkit from '@pdf-lib/fontkit';
import { PDFDocument, StandardFonts, cmyk, rgb } from 'pdf-lib';

import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import { createInvoicePdfDocument, renderInvoicePdf } from '../../../nodes/shared/documents/invoices';
import { writeCiiInvoice } from '../../../nodes/shared/documents/invoices/cii';
import { canMakeFacturX, makeFacturX } from '../../../nodes/shared/documents/invoices/facturx';
import { sampleInvoice } from '../invoices/sampleInvoices';
import { FIXTURES, detach, keep, qpdfCheck, qpdfJson, qpdfValue } from './validators';

/**
 * A PDF given as binary input (made by an ERP, a word processor, a scanner) becomes a Factur-X only where
 * PDF/A-3 allows it; otherwise the user learns why, in words, instead of receiving a file that claims to be
 * PDF/A and is not.
 */

async function foreignPdf(draw: (doc: PDFDocument) => Promise<void>): Promise<Uint8Array> {
	const doc = await PDFDocument.create();
	await draw(doc);
	return doc.save();
}

async function refusedFor(bytes: Uint8Array): Promise<string[]> {
	const check = await canMakeFacturX(bytes);
	if (check.ok) throw new Error('expected the PDF to be refused');
	expect(check.reason).toMatch(/^the PDF cannot be made PDF\/A-3 \(Factur-X\): /);
	return check.reasons;
}

const xml = (): Buffer => writeCiiInvoice(sampleInvoice(), 'EN16931');

describe('canMakeFacturX', () => {
	it('accepts the invoice PDF this package renders, and makeFacturX turns its bytes into a valid Factur-X', async () => {
		const bytes = await renderInvoicePdf(sampleInvoice());
		expect(await canMakeFacturX(bytes)).toEqual({ ok: true });
		const path = keep('from-bytes-facturx.pdf', await makeFacturX(bytes, xml(), 'EN16931'));
		expect(qpdfCheck(path).status).toBe(0);
		expect(detach(path).get('factur-x.xml')?.equals(xml())).toBe(true);
		const json = qpdfJson(path);
		const trailer = json.qpdf[1].trailer.value as Record<string, unknown>;
		const root = qpdfValue(json, trailer['/Root']);
		expect(root).toHaveProperty(['/OutputIntents']);
		expect(root).toHaveProperty(['/AF']);
		expect(qpdfValue(json, trailer['/Info'])['/CreationDate']).toBe('u:D:20250314000000Z');
	});

	it('accepts a PDF of other code that embeds its TrueType font and paints in RGB', async () => {
		const bytes = await foreignPdf(async (doc) => {
			doc.registerFontkit(fontkit);
			const font = await doc.embedFont(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSerif.ttf')), { subset: true });
			const page = doc.addPage();
			page.drawText('Rechnung 4711 – Größe', { x: 50, y: 700, size: 14, font, color: rgb(0.1, 0.2, 0.3) });
		});
		expect(await canMakeFacturX(bytes)).toEqual({ ok: true });
		const path = keep('foreign-rgb-facturx.pdf', await makeFacturX(bytes, xml(), 'EN16931'));
		expect(qpdfCheck(path).status).toBe(0);
		const xmp = readFileSync(path, 'latin1');
		// the foreign PDF's own dates and producer, repeated in the XMP
		expect(xmp).toMatch(/<pdf:Producer>pdf-lib \(https:\/\/github.com\/Hopding\/pdf-lib\)<\/pdf:Producer>/);
	});

	it('refuses a PDF whose font is not embedded, naming the font', async () => {
		const bytes = await foreignPdf(async (doc) => {
			const font = await doc.embedFont(StandardFonts.Helvetica);
			doc.addPage().drawText('Rechnung', { x: 50, y: 700, font });
		});
		expect(await refusedFor(bytes)).toContain('the font Helvetica is not embedded');
		const error = await makeFacturX(bytes, xml(), 'EN16931').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DocumentError);
		expect((error as DocumentError).code).toBe('UNSUPPORTED_FORMAT');
		expect((error as DocumentError).message).toContain('Helvetica is not embedded');
	});

	it('refuses an encrypted PDF', async () => {
		const plain = keep('to-encrypt.pdf', await renderInvoicePdf(sampleInvoice()));
		const encrypted = join(__dirname, '..', '..', '.tmp', 'einvoice', 'encrypted.pdf');
		const result = spawnSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, encrypted], { encoding: 'utf8' });
		expect(result.status).toBe(0);
		expect((await refusedFor(readFileSync(encrypted))).join('; ')).toContain('it is encrypted');
	});

	it('refuses a PDF with JavaScript', async () => {
		const bytes = await foreignPdf(async (doc) => {
			doc.addPage();
			doc.addJavaScript('hello', 'app.alert("Hallo");');
		});
		expect(await refusedFor(bytes)).toContain('it contains JavaScript');
	});

	it('refuses a PDF painted in DeviceCMYK, which the sRGB output intent does not cover', async () => {
		const bytes = await foreignPdf(async (doc) => {
			doc.addPage().drawRectangle({ x: 40, y: 40, width: 100, height: 50, color: cmyk(0, 0.9, 0.9, 0) });
		});
		expect((await refusedFor(bytes)).join('; ')).toMatch(/DeviceCMYK colours .* sRGB output intent/);
	});

	it('refuses a PDF that already carries attachments, such as a Factur-X made by other software', async () => {
		const bytes = readFileSync(join(FIXTURES, 'facturx', 'reference-pdf', 'validV2PDF.pdf'));
		expect((await refusedFor(bytes)).join('; ')).toContain('already carries an attached file (ZUGFeRD-invoice.xml)');
	});

	it('refuses bytes that are not a PDF at all, saying it cannot be read', async () => {
		const reasons = await refusedFor(Buffer.from('Rechnung als Text, kein PDF'));
		expect(reasons[0]).toMatch(/^the PDF cannot be read/);
	});
});

describe('makeFacturX', () => {
	it('gives the same bytes for the same invoice, from the data or from its unsaved PDF document', async () => {
		const first = await makeFacturX(sampleInvoice(), xml(), 'EN16931');
		const second = await makeFacturX(sampleInvoice(), xml(), 'EN16931');
		expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
		const fromDocument = await makeFacturX(await createInvoicePdfDocument(sampleInvoice()), xml(), 'EN16931');
		expect(Buffer.from(fromDocument).equals(Buffer.from(first))).toBe(true);
	});

	it('refuses an XML written for another profile than the one asked for', async () => {
		await expect(makeFacturX(sampleInvoice(), xml(), 'XRECHNUNG')).rejects.toThrow(/not for the profile XRECHNUNG/);
	});

	it('refuses an XML that is not a CII invoice', async () => {
		await expect(makeFacturX(sampleInvoice(), Buffer.from('<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'), 'EN16931')).rejects.toThrow(
			/not a CII invoice/,
		);
	});
});
