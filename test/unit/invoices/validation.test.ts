import { isValidIban, renderInvoicePdf, validateInvoiceForPdf } from '../../../nodes/shared/documents/invoices';
import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import { documentErrorOf } from './helpers';
import { line, sampleInvoice } from './sampleInvoices';

describe('validateInvoiceForPdf (§14 UStG)', () => {
	it('accepts the sample invoice and returns its totals', () => {
		expect(validateInvoiceForPdf(sampleInvoice()).grossTotal).toBe('279.03');
	});

	it('names seller.vatId when the seller has neither VAT ID nor tax number', () => {
		const invoice = sampleInvoice();
		invoice.seller = { ...invoice.seller, vatId: undefined, taxNumber: ' ' };
		const error = documentErrorOf(() => validateInvoiceForPdf(invoice));
		expect(error.code).toBe('MISSING_FIELD');
		expect(error.position.element).toBe('seller.vatId');
		expect(error.message).toMatch(/VAT ID .* or tax number/);
		expect(error.message).toMatch(/§14 Abs\. 4 Nr\. 2 UStG/);
	});

	it('accepts a tax number in place of the VAT ID', () => {
		const invoice = sampleInvoice();
		invoice.seller = { ...invoice.seller, vatId: undefined };
		expect(() => validateInvoiceForPdf(invoice)).not.toThrow();
	});

	it.each([
		['number', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, number: '' })],
		['issueDate', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, issueDate: '' })],
		['deliveryDate', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, deliveryDate: undefined })],
		['seller.street', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, seller: { ...i.seller, street: '' } })],
		['buyer.name', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, buyer: { ...i.buyer, name: '  ' } })],
		['buyer.zip', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, buyer: { ...i.buyer, zip: '' } })],
		['buyer.city', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, buyer: { ...i.buyer, city: '' } })],
		['lines', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, lines: [] })],
		['lines[2].description', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, lines: [i.lines[0], { ...i.lines[1], description: '' }] })],
		['lines[1].quantity', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, lines: [{ ...i.lines[0], quantity: '' }] })],
		['lines[3].unit', (i: ReturnType<typeof sampleInvoice>) => ({ ...i, lines: [i.lines[0], i.lines[1], { ...i.lines[2], unit: '' }] })],
	])('names %s when it is missing', (element, change) => {
		const error = documentErrorOf(() => validateInvoiceForPdf(change(sampleInvoice())));
		expect(error.code).toBe('MISSING_FIELD');
		expect(error.position.element).toBe(element);
	});

	it('accepts a service period in place of a delivery date, and refuses one that ends before it starts', () => {
		const period = sampleInvoice({ deliveryDate: undefined, servicePeriod: { from: '2025-03-01', to: '2025-03-31' } });
		expect(() => validateInvoiceForPdf(period)).not.toThrow();
		const backwards = sampleInvoice({ deliveryDate: undefined, servicePeriod: { from: '2025-03-31', to: '2025-03-01' } });
		expect(documentErrorOf(() => validateInvoiceForPdf(backwards)).position.element).toBe('servicePeriod');
	});

	it('refuses a date that is not in the calendar', () => {
		const error = documentErrorOf(() => validateInvoiceForPdf(sampleInvoice({ issueDate: '2025-02-30' })));
		expect(error.code).toBe('INVALID_VALUE');
		expect(error.position.element).toBe('issueDate');
	});

	it('refuses an IBAN whose check digits are wrong', () => {
		const invoice = sampleInvoice({ bankAccount: { iban: 'DE89370400440532013001' } });
		const error = documentErrorOf(() => validateInvoiceForPdf(invoice));
		expect(error.position.element).toBe('bankAccount.iban');
		expect(isValidIban('DE89 3704 0044 0532 0130 00')).toBe(true);
	});

	it("requires the buyer's VAT ID for an intra-community supply (§14a UStG)", () => {
		const invoice = sampleInvoice({ lines: [{ ...line('Mehl', '10', '20', '0', 'XSA'), vatCategory: 'K' }] });
		invoice.buyer = { ...invoice.buyer, country: 'AT', vatId: undefined };
		const error = documentErrorOf(() => validateInvoiceForPdf(invoice));
		expect(error.position.element).toBe('buyer.vatId');
		invoice.buyer.vatId = 'ATU12345678';
		expect(() => validateInvoiceForPdf(invoice)).not.toThrow();
	});

	it('refuses a quantity or customer number given as a number, naming the field, rather than crash later', () => {
		const quantity = sampleInvoice();
		(quantity.lines[1] as unknown as Record<string, unknown>).quantity = 2.5;
		const error = documentErrorOf(() => validateInvoiceForPdf(quantity));
		expect(error.code).toBe('INVALID_VALUE');
		expect(error.position.element).toBe('lines[2].quantity');
		expect(error.message).toMatch(/decimal strings/);
		const customer = sampleInvoice();
		(customer.buyer as unknown as Record<string, unknown>).customerNumber = 10023;
		expect(documentErrorOf(() => validateInvoiceForPdf(customer)).position.element).toBe('buyer.customerNumber');
	});

	it('takes null for an optional field as absent, in the check and in the PDF', async () => {
		const invoice = JSON.parse(JSON.stringify(sampleInvoice({ dueDate: undefined }))) as Record<string, unknown>;
		Object.assign(invoice, { dueDate: null, notes: null, orderReference: null, servicePeriod: null, precedingInvoice: null });
		Object.assign(invoice.buyer as object, { name2: null, customerNumber: null, vatId: null });
		Object.assign(invoice.seller as object, { website: null, phone: null });
		expect(() => validateInvoiceForPdf(invoice as never)).not.toThrow();
		expect((await renderInvoicePdf(invoice as never)).length).toBeGreaterThan(1000);
	});

	it('refuses a country that is not an ISO code', () => {
		const invoice = sampleInvoice();
		invoice.buyer = { ...invoice.buyer, country: 'Deutschland' };
		expect(documentErrorOf(() => validateInvoiceForPdf(invoice)).position.element).toBe('buyer.country');
	});

	it('makes renderInvoicePdf reject an invoice without seller VAT ID or tax number', async () => {
		const invoice = sampleInvoice();
		invoice.seller = { ...invoice.seller, vatId: undefined, taxNumber: undefined };
		await expect(renderInvoicePdf(invoice)).rejects.toBeInstanceOf(DocumentError);
		await expect(renderInvoicePdf(invoice)).rejects.toMatchObject({ code: 'MISSING_FIELD', position: { element: 'seller.vatId' } });
	});
});
