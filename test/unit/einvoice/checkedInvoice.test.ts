import { checkInvoice, isCheckedInvoice, renderInvoicePdf } from '../../../nodes/shared/documents/invoices';
import { checkEInvoice, writeCiiInvoice } from '../../../nodes/shared/documents/invoices/cii';
import { makeFacturX } from '../../../nodes/shared/documents/invoices/facturx';
import { XmlWriter } from '../../../nodes/shared/documents/xmlWriter';
import { line, sampleInvoice } from '../invoices/sampleInvoices';

/**
 * One checked invoice: validated and totalled once, then taken by the PDF renderer, the CII writer and the
 * Factur-X step as it is, and one XML writer that never writes an empty element.
 */

describe('the checked invoice', () => {
	it('carries the totals, keeps a frozen copy of the invoice and cannot be faked by a look-alike object', () => {
		const invoice = sampleInvoice();
		const checked = checkInvoice(invoice);
		expect(checked.totals.grossTotal).toMatch(/^\d+\.\d{2}$/);
		expect(Object.isFrozen(checked.invoice.lines[0])).toBe(true);
		invoice.lines[0].netUnitPrice = '1000000';
		expect(checked.invoice.lines[0].netUnitPrice).not.toBe('1000000');
		expect(isCheckedInvoice(checked)).toBe(true);
		expect(isCheckedInvoice({ ...checked })).toBe(false);
	});

	it('is taken by the CII writer and the PDF renderer as it is, giving the same bytes as an invoice they check themselves', async () => {
		const checked = checkEInvoice(sampleInvoice(), 'EN16931');
		expect(checkEInvoice(checked, 'EN16931')).toBe(checked);
		expect(writeCiiInvoice(checked, 'EN16931').equals(writeCiiInvoice(sampleInvoice(), 'EN16931'))).toBe(true);
		expect(Buffer.from(await renderInvoicePdf(checked)).equals(Buffer.from(await renderInvoicePdf(sampleInvoice())))).toBe(true);
	});

	it('gives Factur-X the facts of the XML its writer noted, and refuses XML bytes the writer did not write (even an exact copy)', async () => {
		const xml = writeCiiInvoice(sampleInvoice(), 'EN16931');
		await expect(makeFacturX(sampleInvoice(), Buffer.from(xml), 'EN16931')).rejects.toThrow(/not a CII invoice written by writeCiiInvoice/);
		expect((await makeFacturX(checkInvoice(sampleInvoice()), xml, 'EN16931')).length).toBeGreaterThan(10_000);
	});
});

describe('the XML writer', () => {
	it('leaves out an element whose value is nothing but control characters or blanks, never writing it empty', () => {
		const xml = new XmlWriter().open('a').leaf('b', '\u0007\u0001').leaf('c', '  ').leaf('d', 'x\u0000y').wrapped('e', 'f', '\u001b').close('a').toString();
		expect(xml).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<a>\n\t<d>xy</d>\n</a>\n');
	});

	it('writes no empty element into the CII when a note or an article number is only control characters', () => {
		const invoice = sampleInvoice({ notes: ['\u0007\u0008'], lines: [{ ...line('Brötchen', '1', '2.50', '7'), articleNumber: '\u0001' }] });
		const xml = writeCiiInvoice(invoice, 'EN16931').toString('utf8');
		expect(xml).not.toMatch(/<([\w:]+)[^>]*>\s*<\/\1>/);
		expect(xml).not.toContain('IncludedNote');
		expect(xml).not.toContain('SellerAssignedID');
	});
});
