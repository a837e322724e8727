/** The attachments per E-Invoice option, and the input fields the e-invoice rules need, without n8n and without a server. */
import { PDFDocument, StandardFonts } from 'pdf-lib';

import {
	attachmentBuilder,
	facturX,
	isEInvoiceFormat,
	PdfNotConvertibleError,
	pdfOnly,
	xRechnung,
	type AttachmentContext,
	type InvoicePdf,
} from '../../../nodes/InvoiceBulkMailer/attachments';
import { properties } from '../../../nodes/InvoiceBulkMailer/description';
import { fieldNames, readInvoiceItem, sourceOf } from '../../../nodes/InvoiceBulkMailer/invoiceItems';
import { renderInvoicePdf } from '../../../nodes/shared/documents/invoices';
import type { Invoice } from '../../../nodes/shared/documents/invoices';
import { EInvoiceError, writeCiiInvoice } from '../../../nodes/shared/documents/invoices/cii';
import { makeFacturX } from '../../../nodes/shared/documents/invoices/facturx';
import { sampleInvoice } from '../invoices/sampleInvoices';

const LEITWEG_ID = '05315-12345678-06';
const context = (overrides: Partial<AttachmentContext> = {}): AttachmentContext => ({ baseName: 'RE-2025-0042', language: 'de', generated: true, ...overrides });

/** A PDF source that counts how often it is asked for. */
function counted(bytes?: Uint8Array): InvoicePdf & { calls: number } {
	const source = Object.assign(
		async () => {
			source.calls++;
			return bytes ?? (await renderInvoicePdf(sampleInvoice()));
		},
		{ calls: 0 },
	);
	return source;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e as Error,
	);
	if (!error) throw new Error('expected a rejection');
	return error;
}

describe('attachmentBuilder', () => {
	it('picks the builder of each E-Invoice option, and the PDF alone for none', () => {
		expect(attachmentBuilder('none')).toBe(pdfOnly);
		expect(attachmentBuilder()).toBe(pdfOnly);
		expect(attachmentBuilder('facturx')).toBe(facturX);
		expect(attachmentBuilder('xrechnung')).toBe(xRechnung);
	});

	it('offers exactly the values the builder switch knows, None first and by default', () => {
		const parameter = properties.find((p) => p.name === 'eInvoice');
		expect(parameter?.default).toBe('none');
		const values = (parameter?.options ?? []).map((o) => ('value' in o ? o.value : undefined));
		expect(values).toEqual(['none', 'xrechnung', 'facturx']);
		expect(values.every(isEInvoiceFormat)).toBe(true);
		expect(isEInvoiceFormat('basicwl')).toBe(false);
		expect(parameter?.hint).toMatch(/MINIMUM and BASIC WL are not invoices in Germany/);
	});
});

describe('the builders', () => {
	it('attaches the PDF alone, named by the invoice number, when no e-invoice is chosen', async () => {
		const pdf = counted();
		const [attachment, ...rest] = await pdfOnly(sampleInvoice(), pdf, context());
		expect(rest).toEqual([]);
		expect([attachment.filename, attachment.contentType, attachment.content.subarray(0, 5).toString()]).toEqual(['RE-2025-0042.pdf', 'application/pdf', '%PDF-']);
		expect(pdf.calls).toBe(1);
	});

	it('makes the Factur-X of a generated invoice from the invoice itself, byte for byte what the document layer makes, without asking for the plain PDF', async () => {
		const invoice = sampleInvoice();
		const pdf = counted();
		const attachments = await facturX(invoice, pdf, context());
		expect(attachments.map((a) => [a.filename, a.contentType])).toEqual([['RE-2025-0042.pdf', 'application/pdf']]);
		const expected = await makeFacturX(invoice, writeCiiInvoice(invoice, 'EN16931'), 'EN16931');
		expect(attachments[0].content.equals(Buffer.from(expected))).toBe(true);
		expect(pdf.calls).toBe(0);
	});

	it('writes XRechnung as <number>.xml of type application/xml first, then the PDF as a readable copy', async () => {
		const invoice = sampleInvoice({ buyer: { ...sampleInvoice().buyer, buyerReference: LEITWEG_ID } });
		const attachments = await xRechnung(invoice, counted(), context());
		expect(attachments.map((a) => [a.filename, a.contentType])).toEqual([
			['RE-2025-0042.xml', 'application/xml'],
			['RE-2025-0042.pdf', 'application/pdf'],
		]);
		expect(attachments[0].content.equals(writeCiiInvoice(invoice, 'XRECHNUNG'))).toBe(true);
	});

	it('refuses an XRechnung without buyer reference with BR-DE-15 and the element, before any PDF is made', async () => {
		const pdf = counted();
		const error = await rejection(xRechnung(sampleInvoice(), pdf, context()));
		expect(error).toBeInstanceOf(EInvoiceError);
		expect((error as EInvoiceError).rule).toBe('BR-DE-15');
		expect((error as EInvoiceError).position.element).toBe('buyer.buyerReference');
		expect(pdf.calls).toBe(0);
	});

	it('gives the buyer one electronic address, the first of several e-mail addresses the mail goes to', async () => {
		const invoice = sampleInvoice({
			buyer: { ...sampleInvoice().buyer, email: 'Müßig GmbH <rechnung@muessig.example>; buchhaltung@muessig.example', buyerReference: LEITWEG_ID },
		});
		const [xml] = await xRechnung(invoice, counted(), context());
		// the Leitweg-ID is the electronic address of an authority; without one, the e-mail address
		expect(xml.content.toString()).toContain(`<ram:URIID schemeID="0204">${LEITWEG_ID}</ram:URIID>`);
		const noLeitwegId = { ...invoice, buyer: { ...invoice.buyer, buyerReference: 'Bestellung 4711' } };
		const [second] = await xRechnung(noLeitwegId, counted(), context());
		expect(second.content.toString()).toContain('<ram:URIID schemeID="EM">rechnung@muessig.example</ram:URIID>');
	});

	it('turns a suitable ready-made PDF into Factur-X, and refuses one with an unembedded font, listing the reasons', async () => {
		const good = await facturX(sampleInvoice(), counted(await renderInvoicePdf(sampleInvoice())), context({ generated: false }));
		expect(good[0].content.includes('factur-x.xml')).toBe(true);

		const doc = await PDFDocument.create();
		doc.addPage().drawText('Rechnung', { x: 50, y: 700, font: await doc.embedFont(StandardFonts.Helvetica) });
		const error = await rejection(facturX(sampleInvoice(), counted(await doc.save()), context({ generated: false })));
		expect(error).toBeInstanceOf(PdfNotConvertibleError);
		expect((error as PdfNotConvertibleError).reasons).toEqual(['the font Helvetica is not embedded']);
		expect((error as PdfNotConvertibleError).code).toBe('UNSUPPORTED_FORMAT');
		expect((error as PdfNotConvertibleError).reason).toMatch(/^the PDF given as binary input cannot become a Factur-X \(PDF\/A-3\): the font Helvetica is not embedded\. Export it as PDF\/A-3/);
	});
});

describe('the input fields e-invoices need', () => {
	const seller = sampleInvoice().seller;
	const item = (line: Record<string, unknown>) => ({
		invoiceNumber: 'R1',
		customer: { name: 'Amt', buyerReference: LEITWEG_ID, vatId: 'ATU12345678' },
		lines: [{ description: 'Montage', quantity: 1, unit: 'Std', netUnitPrice: 100, vatRate: 0, ...line }],
	});

	it('reads the VAT category (in any case) and exemption reason of a line from the default fields', () => {
		const { invoice } = readInvoiceItem(item({ vatCategory: 'ae', vatExemptionReason: 'Steuerschuldnerschaft des Leistungsempfängers' }), fieldNames(), seller, undefined, 'Europe/Berlin');
		expect(invoice.lines[0]).toMatchObject({ vatCategory: 'AE', vatExemptionReason: 'Steuerschuldnerschaft des Leistungsempfängers' });
		expect(invoice.buyer).toMatchObject({ buyerReference: LEITWEG_ID, vatId: 'ATU12345678' });
	});

	it('reads them from the fields the user mapped, and names those fields for an error in them', () => {
		const names = fieldNames({ lineVatCategory: 'Steuerart', lineVatExemptionReason: 'Befreiungsgrund', buyerReference: 'Leitweg-ID' });
		const json = { ...item({ Steuerart: 'K', Befreiungsgrund: 'Innergemeinschaftliche Lieferung' }), 'Leitweg-ID': '991-01234-44' };
		const { invoice } = readInvoiceItem(json, names, seller, undefined, 'Europe/Berlin');
		expect(invoice.lines[0]).toMatchObject({ vatCategory: 'K', vatExemptionReason: 'Innergemeinschaftliche Lieferung' });
		expect(invoice.buyer.buyerReference).toBe('991-01234-44');
		expect(sourceOf('lines[1].vatCategory', names)).toBe('lines[1].Steuerart');
		expect(sourceOf('lines[2].vatExemptionReason', names)).toBe('lines[2].Befreiungsgrund');
		expect(sourceOf('buyer.buyerReference', names)).toBe('Leitweg-ID');
		expect(sourceOf('seller.phone', names)).toBe('Seller parameter "phone"');
	});

	it('leaves the category to the rate when the line has none', () => {
		const invoice: Invoice = readInvoiceItem(item({}), fieldNames(), seller, undefined, 'Europe/Berlin').invoice;
		expect(invoice.lines[0]).not.toHaveProperty('vatCategory');
		expect(invoice.lines[0]).not.toHaveProperty('vatExemptionReason');
	});
});
