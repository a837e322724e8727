import Big from 'big.js';

import {
	matchPayments,
	nameSimilarity,
	parseCamt053,
	parseDatevBuchungsstapel,
	parseMt940,
	type OpenInvoice,
	type Payment,
} from '../../../nodes/shared/documents/payments';
import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import { fixture } from './helpers';

const v8 = () => parseCamt053(fixture('camt053/camt053.v8.batch.xml'), 'camt053.v8.batch.xml')[0].payments;

/** A credit of `amount` EUR with this remittance text, for the rules that need no file. */
function credit(amount: string, remittanceText: string, extra: Partial<Payment> = {}): Payment {
	return { amount, currency: 'EUR', direction: 'credit', remittanceText, invoiceNumbers: [], ...extra };
}

describe('matchPayments', () => {
	it('marks an invoice named in the remittance text as paid when the amount equals what is open', () => {
		const [, mueller] = v8();
		const [result] = matchPayments([mueller], [{ invoiceNumber: 'RE-2025-0042', openAmount: '250.00', customerName: 'Müller & Söhne GmbH' }]);
		expect(result).toMatchObject({
			payerName: 'Müller & Söhne GmbH',
			status: 'paid',
			matchedBy: 'invoice number',
			unappliedAmount: '0.00',
			matchedInvoices: [{ invoiceNumber: 'RE-2025-0042', openAmount: '250.00', appliedAmount: '250.00', remainingAmount: '0.00' }],
		});
	});

	it('finds the invoice behind an ISO 11649 creditor reference, by the reference printed on it or by the number it carries', () => {
		const [schmidt] = v8();
		expect(matchPayments([schmidt], [{ invoiceNumber: 'RE-2025-0041', openAmount: '1000.00' }])[0]).toMatchObject({
			status: 'paid',
			matchedBy: 'creditor reference',
			matchedInvoices: [{ invoiceNumber: 'RE-2025-0041', appliedAmount: '1000.00' }],
		});
		const printed: OpenInvoice = { invoiceNumber: '2025/41', openAmount: '1000.00', creditorReference: 'RF76 RE20 2500 41' };
		expect(matchPayments([schmidt], [printed])[0]).toMatchObject({ status: 'paid', matchedInvoices: [{ invoiceNumber: '2025/41' }] });
	});

	it('reports partially paid and overpaid payments with what remains on either side', () => {
		const [, mueller] = v8();
		const partial = matchPayments([mueller], [{ invoiceNumber: 'RE-2025-0042', openAmount: '300.00' }])[0];
		expect(partial).toMatchObject({
			status: 'partially paid',
			unappliedAmount: '0.00',
			matchedInvoices: [{ openAmount: '300.00', appliedAmount: '250.00', remainingAmount: '50.00' }],
		});
		const over = matchPayments([mueller], [{ invoiceNumber: 'RE-2025-0042', openAmount: '199.99' }])[0];
		expect(over).toMatchObject({
			status: 'overpaid',
			unappliedAmount: '50.01',
			matchedInvoices: [{ appliedAmount: '199.99', remainingAmount: '0.00' }],
		});
	});

	it('leaves payments unmatched that name nothing open, pay out money, or are reversals', () => {
		const [, mueller, telekom, reversal] = v8();
		const results = matchPayments([mueller, telekom, reversal], [
			{ invoiceNumber: 'RE-2025-0039', openAmount: '45.00', customerName: 'Hofladen Weber' },
			{ invoiceNumber: 'RE-2025-0050', openAmount: '89.90' },
		]);
		expect(results.map((r) => [r.status, r.unappliedAmount, r.matchedInvoices.length])).toEqual([
			['unmatched', '250.00', 0],
			['unmatched', '89.90', 0],
			['unmatched', '45.00', 0],
		]);
		expect(results[2].matchNote).toMatch(/reversal/);
	});

	it('applies a payment that names two invoices in the order it names them', () => {
		const invoices = (): OpenInvoice[] => [
			{ invoiceNumber: 'RE-1001', openAmount: '100.00' },
			{ invoiceNumber: 'RE-1002', openAmount: '80.00' },
		];
		const short = matchPayments([credit('150.00', 'Rechnungen RE-1002 und RE-1001')], invoices())[0];
		expect(short.status).toBe('partially paid');
		expect(short.matchedInvoices).toEqual([
			{ invoiceNumber: 'RE-1002', openAmount: '80.00', appliedAmount: '80.00', remainingAmount: '0.00' },
			{ invoiceNumber: 'RE-1001', openAmount: '100.00', appliedAmount: '70.00', remainingAmount: '30.00' },
		]);
		expect(matchPayments([credit('180.00', 'RE-1001, RE-1002')], invoices())[0].status).toBe('paid');
	});

	it('carries open amounts from payment to payment, so two partial payments settle one invoice', () => {
		const results = matchPayments(
			[credit('600.00', 'RE-2025-0042 1. Rate'), credit('400.00', 'RE-2025-0042 2. Rate'), credit('1.00', 'RE-2025-0042')],
			[{ invoiceNumber: 'RE-2025-0042', openAmount: '1000.00' }],
		);
		expect(results.map((r) => [r.status, r.matchedInvoices[0].openAmount, r.matchedInvoices[0].remainingAmount])).toEqual([
			['partially paid', '1000.00', '400.00'],
			['paid', '400.00', '0.00'],
			['overpaid', '0.00', '0.00'],
		]);
	});

	it('matches a DATEV payment by its Belegfeld 1', () => {
		const lines = fixture('datev/EXTF_Buchungsstapel.csv').toString('latin1').split('\r\n');
		// the fixture's own invoice booking, turned into its payment: Bank 1200 an Debitor 10000
		lines[3] = lines[3].replace('"S";"";;;"";10000;8400;"";2202', '"S";"";;;"";1200;10000;"";2802');
		const statement = parseDatevBuchungsstapel(Buffer.from(lines.join('\r\n'), 'latin1'));
		const payment = statement.payments.find((p) => p.direction === 'credit')!;
		expect(matchPayments([payment], [{ invoiceNumber: 'RE201802-135', openAmount: '5950.00' }])[0]).toMatchObject({
			status: 'paid',
			matchedBy: 'invoice number',
			matchedInvoices: [{ invoiceNumber: 'RE201802-135', appliedAmount: '5950.00' }],
		});
	});

	it('falls back to amount and payer name when the text names no invoice, tolerating spacing and legal forms', () => {
		// sepa_snippet.sta: 50990.05 from "KARL        KAUFMANN", text "Verw CTSc-01 BC-PPP TFNr 22 004"
		const [karl] = parseMt940(fixture('mt940/betterplace/sepa_snippet.sta'), undefined, { checkBalances: false })[0].payments;
		const invoices: OpenInvoice[] = [
			{ invoiceNumber: 'R-77', openAmount: '50990.05', customerName: 'Quentin Quast' },
			{ invoiceNumber: 'R-78', openAmount: '50990.05', customerName: 'Karl Kaufmann e.K.' },
			{ invoiceNumber: 'R-79', openAmount: '50990.00', customerName: 'Karl Kaufmann' },
		];
		expect(matchPayments([karl], invoices)[0]).toMatchObject({
			status: 'paid',
			matchedBy: 'amount and payer',
			matchedInvoices: [{ invoiceNumber: 'R-78', appliedAmount: '50990.05' }],
		});
		const byIban = matchPayments([karl], [{ invoiceNumber: 'R-80', openAmount: '50990.05', customerName: 'Kaufmann Holding', customerIban: 'DE14 5088 0050 0194 7850 00' }]);
		expect(byIban[0].status).toBe('paid');
		const ambiguous = matchPayments([karl], [...invoices, { invoiceNumber: 'R-81', openAmount: '50990.05', customerName: 'KAUFMANN, KARL' }]);
		expect(ambiguous[0]).toMatchObject({ status: 'unmatched', matchNote: expect.stringContaining('R-78, R-81') });
	});

	it('compares names without legal forms, umlauts spelt out, word order ignored', () => {
		expect(nameSimilarity('Bäckerei Schmidt e.K.', 'BAECKEREI SCHMIDT')).toBe(1);
		expect(nameSimilarity('Müller & Söhne GmbH', 'Mueller und Soehne GmbH & Co. KG')).toBe(1);
		expect(nameSimilarity('Kaufmann, Karl', 'Karl Kaufmann')).toBe(1);
		expect(nameSimilarity('Meier Bau GmbH', 'Schulze Transporte AG')).toBeLessThan(0.7);
	});

	it('never applies an invoice in another currency', () => {
		const [, mueller] = v8();
		const [result] = matchPayments([mueller], [{ invoiceNumber: 'RE-2025-0042', openAmount: '250.00', currency: 'CHF' }]);
		expect(result).toMatchObject({ status: 'unmatched', matchNote: expect.stringContaining('CHF') });
	});

	it('settles an invoice of 0.30 with payments of 0.10 and 0.20 exactly, where floating point would leave 0.30000000000000004', () => {
		const results = matchPayments([credit('0.10', 'RE 4711'), credit('0.20', 'RE 4711')], [{ invoiceNumber: '4711', openAmount: '0.30' }]);
		expect(results.map((r) => r.status)).toEqual(['partially paid', 'paid']);
		expect(results[1]).toMatchObject({ unappliedAmount: '0.00', matchedInvoices: [{ openAmount: '0.20', appliedAmount: '0.20', remainingAmount: '0.00' }] });
	});

	it('adds 1,000 payments of 0.01 up to exactly 10.00', () => {
		const payments = Array.from({ length: 1001 }, (_, i) => credit('0.01', `Rate ${i + 1} Rechnung 2025-100`));
		const results = matchPayments(payments, [{ invoiceNumber: '2025-100', openAmount: '10.00' }]);
		expect(results.slice(0, 999).every((r) => r.status === 'partially paid')).toBe(true);
		expect(results[999]).toMatchObject({ status: 'paid', matchedInvoices: [{ openAmount: '0.01', remainingAmount: '0.00' }] });
		expect(results[1000]).toMatchObject({ status: 'overpaid', unappliedAmount: '0.01' });
		const applied = results.reduce((sum, r) => sum.plus(r.matchedInvoices[0].appliedAmount), new Big(0));
		expect(applied.toFixed(2)).toBe('10.00');
	});

	it('refuses an open amount that is not a decimal number', () => {
		expect(() => matchPayments([credit('1.00', 'RE 4711')], [{ invoiceNumber: '4711', openAmount: '1,00' }])).toThrow(DocumentError);
	});
});
