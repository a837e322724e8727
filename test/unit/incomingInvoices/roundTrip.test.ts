import Big from 'big.js';
import { computeTotals } from '../../../nodes/shared/documents/invoices';
import type { Invoice } from '../../../nodes/shared/documents/invoices';
import { writeCiiInvoice } from '../../../nodes/shared/documents/invoices/cii';
import { makeFacturX } from '../../../nodes/shared/documents/invoices/facturx';
import { checkEInvoice, readEInvoice, readInvoiceXml } from '../../../nodes/shared/documents/incomingInvoices';
import type { ReceivedInvoice } from '../../../nodes/shared/documents/incomingInvoices';
import { CASES, forAuthority, twoRates } from '../einvoice/einvoiceSamples';

/** The package's own e-invoices read back: every value the writer put in comes out the same. */

const same = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && new Big(a).eq(new Big(b));

function expectSameValues(written: Invoice, read: ReceivedInvoice): void {
	const totals = computeTotals(written);
	expect(read).toMatchObject({
		number: written.number,
		type: written.type,
		issueDate: written.issueDate,
		currency: written.currency ?? 'EUR',
		seller: { name: written.seller.name, vatId: written.seller.vatId },
		buyer: { name: written.buyer.name },
	});
	if (written.dueDate) expect(read.dueDate).toBe(written.dueDate);
	if (written.deliveryDate) expect(read.deliveryDate).toBe(written.deliveryDate);
	if (written.orderReference) expect(read.orderReference).toBe(written.orderReference);
	if (written.buyer.buyerReference) expect(read.buyerReference).toBe(written.buyer.buyerReference);
	if (written.precedingInvoice) expect(read.precedingInvoices).toEqual([written.precedingInvoice]);
	if (written.type === 'invoice' && written.bankAccount) expect(read.payment.accounts[0]).toMatchObject({ iban: written.bankAccount.iban, bic: written.bankAccount.bic });
	expect(read.lines).toHaveLength(written.lines.length);
	written.lines.forEach((line, i) => {
		const got = read.lines[i];
		expect(got.name).toBe(line.description);
		expect(got.sellerArticleId).toBe(line.articleNumber);
		expect([i, same(got.quantity, line.quantity), same(got.netPrice, line.netUnitPrice), same(got.vatRate, line.vatRate)]).toEqual([i, true, true, true]);
		expect(got.lineTotal).toBe(totals.lineNetAmounts[i]);
	});
	expect(read.vatBreakdown.map((v) => [v.category, v.rate, v.taxableAmount, v.taxAmount])).toEqual(
		totals.vatBreakdown.map((v) => [v.category, v.rate, v.netAmount, v.vatAmount]),
	);
	expect(read.totals).toMatchObject({ lineTotal: totals.netTotal, taxBasisTotal: totals.netTotal, vatTotal: totals.vatTotal, grandTotal: totals.grossTotal, amountDue: totals.amountDue });
	expect(checkEInvoice(read).filter((p) => p.severity === 'error')).toEqual([]);
}

describe('round trip: the package writes an e-invoice, reads it back, gets the same values', () => {
	it.each(CASES.map((c) => [c.name, c.make]))('CII, %s', (_name, make) => {
		const invoice = make();
		const { invoice: read } = readInvoiceXml(writeCiiInvoice(invoice, 'EN16931'), 'written.xml');
		expect(read.profile).toBe('EN 16931');
		expectSameValues(invoice, read);
	});

	it('XRechnung CII of an invoice to a public authority', () => {
		const invoice = forAuthority(twoRates());
		const { invoice: read } = readInvoiceXml(writeCiiInvoice(invoice, 'XRECHNUNG'), 'written.xml');
		expect(read.profile).toBe('XRECHNUNG');
		expectSameValues(invoice, read);
	});

	it('a Factur-X PDF reads to the same invoice as its XML', async () => {
		const invoice = twoRates();
		const xml = writeCiiInvoice(invoice, 'EN16931');
		const pdf = await makeFacturX(invoice, xml, 'EN16931');
		const fromPdf = await readEInvoice(pdf, { fileName: 'RE-2025-0102.pdf' });
		expect(fromPdf).toMatchObject({ container: 'pdf', embeddedFileName: 'factur-x.xml' });
		expect(fromPdf.invoice).toEqual(readInvoiceXml(xml, 'factur-x.xml').invoice);
		expectSameValues(invoice, fromPdf.invoice);
	});
});
