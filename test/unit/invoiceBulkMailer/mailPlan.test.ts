/** The list cleaning and grouping of the Invoice Bulk Mailer, without n8n and without a server. */
import type { IDataObject } from 'n8n-workflow';
import { fieldNames, calendarDate, decimalText, valueAt, yes } from '../../../nodes/InvoiceBulkMailer/invoiceItems';
import { planMailing, type PlanSettings } from '../../../nodes/InvoiceBulkMailer/mailPlan';
import { SentLedger } from '../../../nodes/InvoiceBulkMailer/sentLedger';
import { distinctFileNames, fileBaseName } from '../../../nodes/InvoiceBulkMailer/attachments';

const seller = { name: 'Bäckerei Weiß', street: 'Hauptstraße 5', zip: '50667', city: 'Köln', vatId: 'DE123456789' };

function item(invoiceNumber: string, customer: Record<string, unknown>, extra: Record<string, unknown> = {}) {
	return {
		invoiceNumber,
		invoiceDate: '2025-03-14',
		deliveryDate: '2025-03-14',
		customer: { name: 'Kunde', street: 'Weg 1', zip: '10115', city: 'Berlin', ...customer },
		lines: [{ description: 'Brot', quantity: 2, unit: 'Stk', netUnitPrice: 1.5, vatRate: 7 }],
		...extra,
	};
}

function settings(staticData: IDataObject = {}, overrides: Partial<PlanSettings> = {}): PlanSettings {
	return {
		names: fieldNames(),
		seller,
		timeZone: 'Europe/Berlin',
		language: 'de',
		pdfSource: 'generate',
		groupPerCustomer: true,
		sendAgain: false,
		ledger: new SentLedger(staticData),
		...overrides,
	};
}

const plan = (jsons: unknown[], s = settings()) => planMailing(jsons.map((json, itemIndex) => ({ itemIndex, json })), s);

describe('planMailing', () => {
	it('groups invoices per customer number and addresses, in input order', async () => {
		const result = await plan([
			item('R1', { number: 'K1', email: 'a@kunde.de' }),
			item('R2', { number: 'K2', email: 'b@kunde.de' }),
			item('R3', { number: 'K1', email: 'A@Kunde.de' }),
			item('R4', { number: 'K3', email: 'a@kunde.de' }),
		]);
		expect(result.groups.map((g) => g.invoices.map((i) => i.invoice.number))).toEqual([['R1', 'R3'], ['R2'], ['R4']]);
		expect(result.skipped).toEqual([]);
		expect(result.failed).toEqual([]);
	});

	it('makes one group per invoice when grouping is off', async () => {
		const result = await plan([item('R1', { email: 'a@kunde.de' }), item('R2', { email: 'a@kunde.de' })], settings({}, { groupPerCustomer: false }));
		expect(result.groups).toHaveLength(2);
	});

	it('reads several addresses from one field and mails them together', async () => {
		const result = await plan([item('R1', { email: 'Kunde GmbH <rechnung@kunde.de>; buchhaltung@kunde.de' })]);
		expect(result.groups[0].recipients).toEqual(['rechnung@kunde.de', 'buchhaltung@kunde.de']);
	});

	it('checks by post before the address, and the address before the invoice data', async () => {
		const result = await plan([
			item('R1', { invoiceByPost: 'X' }),
			item('R2', { email: 'kaputt' }, { lines: [] }),
			item('R3', { email: 'ok@kunde.de', street: '' }),
		]);
		expect(result.skipped.map((s) => [s.invoiceNumber, s.reason])).toEqual([
			['R1', 'invoice by post'],
			['R2', 'invalid e-mail'],
		]);
		expect(result.failed.map((f) => [f.invoiceNumber, f.code, f.field, f.element])).toEqual([['R3', 'MISSING_FIELD', 'customer.street', 'buyer.street']]);
	});

	it('skips an invoice that was sent before, telling whether its content changed', async () => {
		const staticData: IDataObject = {};
		const first = await plan([item('R1', { email: 'a@kunde.de' })], settings(staticData));
		new SentLedger(staticData).record('R1', first.groups[0].invoices[0].hash);
		const same = await plan([item('R1', { email: 'a@kunde.de' })], settings(staticData));
		const changed = await plan([item('R1', { email: 'a@kunde.de', name: 'Neuer Name' })], settings(staticData));
		expect(same.skipped).toMatchObject([{ reason: 'already sent', contentChanged: false }]);
		expect(changed.skipped).toMatchObject([{ reason: 'already sent', contentChanged: true }]);
		const again = await plan([item('R1', { email: 'a@kunde.de' })], settings(staticData, { sendAgain: true }));
		expect(again.groups).toHaveLength(1);
	});

	it('mails an invoice that appears twice once, and refuses two different invoices under one number', async () => {
		const result = await plan([
			item('R1', { email: 'a@kunde.de' }),
			item('R1', { email: 'a@kunde.de' }),
			item('R1', { email: 'a@kunde.de', name: 'Anderer Kunde' }),
		]);
		expect(result.groups[0].invoices.map((i) => i.itemIndex)).toEqual([0]);
		expect(result.skipped).toMatchObject([{ itemIndex: 1, reason: 'already sent' }]);
		expect(result.failed).toMatchObject([{ itemIndex: 2, code: 'DUPLICATE_INVOICE_NUMBER' }]);
	});

	it('refuses an item whose stated gross total differs from its lines', async () => {
		const result = await plan([item('R1', { email: 'a@kunde.de' }, { grossTotal: 3 })]);
		expect(result.failed).toMatchObject([{ code: 'INVALID_VALUE', field: 'grossTotal' }]);
		const right = await plan([item('R1', { email: 'a@kunde.de' }, { grossTotal: '3.21' })]);
		expect(right.failed).toEqual([]);
	});

	it('uses the mapped field names, including flat spreadsheet columns', async () => {
		const names = fieldNames({ invoiceNumber: 'Rechnungsnr', customerEmail: 'Kunde E-Mail', customerName: 'Kunde' });
		const json = { ...item('', {}), Rechnungsnr: 'R9', 'Kunde E-Mail': 'k@kunde.de', Kunde: 'Flach GmbH' };
		const result = await plan([json], settings({}, { names }));
		expect(result.groups[0].customer).toEqual({ name: 'Flach GmbH', email: 'k@kunde.de' });
	});
});

describe('reading item values', () => {
	it('reads a database timestamp as the calendar day in the workflow time zone', () => {
		expect(calendarDate('2025-03-13T23:00:00.000Z', 'd', 'Europe/Berlin')).toBe('2025-03-14');
		expect(calendarDate('2025-03-13T23:00:00.000Z', 'd', 'UTC')).toBe('2025-03-13');
		expect(calendarDate('2025-03-14T10:00:00', 'd', 'America/New_York')).toBe('2025-03-14');
		expect(calendarDate('4.3.2025', 'd', 'UTC')).toBe('2025-03-04');
	});

	it('writes numbers as decimal text without exponent, and reads yes in several spellings', () => {
		expect(decimalText(1e-7)).toBe('0.0000001');
		expect(decimalText(89.5)).toBe('89.5');
		expect(['ja', 'X', 'true', '1', 1, true].map(yes)).toEqual([true, true, true, true, true, true]);
		expect(['nein', '', 0, false, null].map(yes)).toEqual([false, false, false, false, false]);
	});

	it('prefers a key of the exact name to a dotted path', () => {
		expect(valueAt({ 'customer.email': 'flat', customer: { email: 'nested' } }, 'customer.email')).toBe('flat');
		expect(valueAt({ customer: { email: 'nested' } }, 'customer.email')).toBe('nested');
		expect(valueAt({ lines: [{ unit: 'Stk' }] }, 'lines.0.unit')).toBe('Stk');
	});
});

describe('attachment file names', () => {
	it('keeps umlauts and replaces what file systems refuse', () => {
		expect(fileBaseName('RE/2025/Ä-01')).toBe('RE_2025_Ä-01');
		expect(fileBaseName('..')).toBe('invoice');
		const names = distinctFileNames([
			{ filename: 'R 1.pdf', content: Buffer.alloc(0), contentType: 'application/pdf' },
			{ filename: 'r 1.pdf', content: Buffer.alloc(0), contentType: 'application/pdf' },
		]).map((a) => a.filename);
		expect(names).toEqual(['R 1.pdf', 'r 1 (2).pdf']);
	});
});

describe('planMailing: what the PDF cannot print', () => {
	it('puts an invoice whose customer name the PDF font cannot print on Failed naming the input field, and plans the others', async () => {
		const result = await plan([item('R1', { name: '山田商事 GmbH', email: 'yamada@kunde.de' }), item('R2', { email: 'b@kunde.de' })]);
		expect(result.failed.map((f) => [f.invoiceNumber, f.code, f.field, f.element])).toEqual([['R1', 'INVALID_VALUE', 'customer.name', 'buyer.name']]);
		expect(result.failed[0].message).toMatch(/^R1: buyer\.name: the character "山" \(U\+5C71\) cannot be printed on the invoice PDF/);
		expect(result.groups.map((g) => g.invoices.map((i) => i.invoice.number))).toEqual([['R2']]);
	});

	it('plans each invoice with the checked invoice its PDF and e-invoice are made from, totalled once', async () => {
		const result = await plan([item('R1', { email: 'a@kunde.de; b@kunde.de' })]);
		const planned = result.groups[0].invoices[0];
		expect(planned.checked?.totals).toBe(planned.totals);
		// the e-invoice's buyer address (BT-49) is one address: the first
		expect(planned.checked?.invoice.buyer.email).toBe('a@kunde.de');
	});
});
