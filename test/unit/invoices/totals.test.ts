import { computeTotals } from '../../../nodes/shared/documents/invoices';
import type { InvoiceLine } from '../../../nodes/shared/documents/invoices';
import { documentErrorOf } from './helpers';
import { line, sampleInvoice } from './sampleInvoices';

function totalsOf(...lines: InvoiceLine[]) {
	return computeTotals(sampleInvoice({ lines }));
}

describe('computeTotals', () => {
	it('adds one rate: 2 × 50.00 at 19 % is 100.00 net, 19.00 VAT, 119.00 gross', () => {
		const totals = totalsOf(line('Beratung', '2', '50'));
		expect(totals).toEqual({
			lineNetAmounts: ['100.00'],
			vatBreakdown: [{ category: 'S', rate: '19', netAmount: '100.00', vatAmount: '19.00' }],
			netTotal: '100.00',
			vatTotal: '19.00',
			grossTotal: '119.00',
			prepaidAmount: '0.00',
			amountDue: '119.00',
		});
	});

	it('breaks two rates down separately, 19 % before 7 %, and rounds 7 % of 89.50 (6.265) up to 6.27', () => {
		const totals = totalsOf(line('Torte', '1', '89.50', '7'), line('Aufbau', '2.5', '48.00'), line('Geschirr', '40', '0.85'));
		expect(totals.lineNetAmounts).toEqual(['89.50', '120.00', '34.00']);
		expect(totals.vatBreakdown).toEqual([
			{ category: 'S', rate: '19', netAmount: '154.00', vatAmount: '29.26' },
			{ category: 'S', rate: '7', netAmount: '89.50', vatAmount: '6.27' },
		]);
		expect([totals.netTotal, totals.vatTotal, totals.grossTotal]).toEqual(['243.50', '35.53', '279.03']);
	});

	it('treats "19", "19.0" and "19.00" as the same rate', () => {
		const totals = totalsOf(line('a', '1', '1', '19'), line('b', '1', '1', '19.0'), line('c', '1', '1', '19.00'));
		expect(totals.vatBreakdown).toHaveLength(1);
		expect(totals.vatBreakdown[0]).toMatchObject({ rate: '19', netAmount: '3.00', vatAmount: '0.57' });
	});

	it('gives 0 % lines without a category the category Z and no VAT', () => {
		const totals = totalsOf(line('Photovoltaikmodul', '2', '150', '0'));
		expect(totals.vatBreakdown).toEqual([{ category: 'Z', rate: '0', netAmount: '300.00', vatAmount: '0.00' }]);
		expect(totals.grossTotal).toBe('300.00');
	});

	it('keeps a reverse-charge line apart from a 19 % line and gives it the German reverse-charge wording', () => {
		const totals = totalsOf(
			line('Wartung', '1', '100'),
			{ ...line('Montage Lüftungsanlage', '10', '55', '0', 'HUR'), vatCategory: 'AE' },
		);
		expect(totals.vatBreakdown).toEqual([
			{ category: 'S', rate: '19', netAmount: '100.00', vatAmount: '19.00' },
			{
				category: 'AE',
				rate: '0',
				netAmount: '550.00',
				vatAmount: '0.00',
				exemptionReason: 'Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)',
			},
		]);
		expect(totals.grossTotal).toBe('669.00');
	});

	it("uses a line's own exemption reason for its breakdown, and the English wording when asked", () => {
		const exempt = { ...line('Heilbehandlung', '1', '80', '0'), vatCategory: 'E' as const };
		const own = computeTotals(sampleInvoice({ lines: [{ ...exempt, vatExemptionReason: 'Steuerfrei nach § 4 Nr. 14 UStG' }] }));
		expect(own.vatBreakdown[0].exemptionReason).toBe('Steuerfrei nach § 4 Nr. 14 UStG');
		const english = computeTotals(sampleInvoice({ lines: [{ ...exempt, vatCategory: 'K' }] }), 'en');
		expect(english.vatBreakdown[0].exemptionReason).toBe('VAT-exempt intra-community supply');
	});

	it('rounds each line half-up to cents: 3 × 0.335 = 1.005 becomes 1.01', () => {
		const totals = totalsOf(line('Schrauben', '3', '0.335'));
		expect(totals.lineNetAmounts).toEqual(['1.01']);
		expect(totals.netTotal).toBe('1.01');
		expect(totals.vatTotal).toBe('0.19');
	});

	it('rounds 1 × 1.005 to 1.01 where floating point gives 1.00', () => {
		expect((1 * 1.005).toFixed(2)).toBe('1.00');
		expect(totalsOf(line('Mutter M6', '1', '1.005')).lineNetAmounts).toEqual(['1.01']);
	});

	it('computes VAT on the sum per rate: 100 lines of 0.01 € carry 0.19 € VAT, not 100 × 0.00', () => {
		const totals = totalsOf(...Array.from({ length: 100 }, (_, i) => line(`Klammer ${i + 1}`, '1', '0.01')));
		expect(totals.lineNetAmounts.every((amount) => amount === '0.01')).toBe(true);
		expect(totals.netTotal).toBe('1.00');
		expect(totals.vatTotal).toBe('0.19');
		expect(totals.grossTotal).toBe('1.19');
	});

	it('rounds VAT half-up: 7 % of 0.50 (0.035) is 0.04', () => {
		expect(totalsOf(line('Brötchen', '1', '0.50', '7')).vatTotal).toBe('0.04');
	});

	it('sums a negative line (a return) and rounds it away from zero like a positive one', () => {
		const totals = totalsOf(line('Lieferung', '10', '2.50'), line('Rücknahme', '-3', '0.335'));
		expect(totals.lineNetAmounts).toEqual(['25.00', '-1.01']);
		expect(totals.netTotal).toBe('23.99');
		expect(totals.vatTotal).toBe('4.56');
	});

	it('gives a credit note the same positive amounts as the invoice it corrects', () => {
		const lines = [line('Storno Torte', '1', '89.50', '7'), line('Storno Aufbau', '2.5', '48')];
		const invoice = computeTotals(sampleInvoice({ lines }));
		const creditNote = computeTotals(sampleInvoice({ type: 'creditNote', number: 'GS-1', lines }));
		expect(creditNote).toEqual(invoice);
		expect(creditNote.grossTotal).toBe('238.57');
	});

	it('deducts a prepayment from the amount due', () => {
		const totals = computeTotals(sampleInvoice({ lines: [line('Anzahlung verrechnet', '1', '1000')], prepaidAmount: '500' }));
		expect([totals.grossTotal, totals.prepaidAmount, totals.amountDue]).toEqual(['1190.00', '500.00', '690.00']);
	});

	it('writes every amount with exactly two decimals', () => {
		const totals = totalsOf(line('Pauschale', '1', '5', '19', 'LS'), line('x', '0.5', '0.1', '7'));
		for (const amount of [...totals.lineNetAmounts, totals.netTotal, totals.vatTotal, totals.grossTotal, totals.amountDue]) {
			expect(amount).toMatch(/^-?\d+\.\d{2}$/);
		}
		for (const entry of totals.vatBreakdown) {
			expect(entry.netAmount).toMatch(/^-?\d+\.\d{2}$/);
			expect(entry.vatAmount).toMatch(/^-?\d+\.\d{2}$/);
		}
	});

	it('refuses a quantity with a decimal comma, naming the line and field', () => {
		const error = documentErrorOf(() => totalsOf(line('a', '1', '1'), line('b', '1,5', '1')));
		expect(error.code).toBe('INVALID_VALUE');
		expect(error.position.element).toBe('lines[2].quantity');
	});

	it.each(['+3', '.5', '1e3', '3 Stk', ''])('refuses the quantity "%s" with a DocumentError', (quantity) => {
		const error = documentErrorOf(() => totalsOf(line('a', quantity, '1')));
		expect(error.position.element).toBe('lines[1].quantity');
	});

	it('refuses a standard-rated line at 0 % and a reverse-charge line at 19 %', () => {
		const standardAtZero = documentErrorOf(() => totalsOf({ ...line('a', '1', '1', '0'), vatCategory: 'S' }));
		expect(standardAtZero.position.element).toBe('lines[1].vatRate');
		expect(standardAtZero.message).toMatch(/category S/);
		const reverseAt19 = documentErrorOf(() => totalsOf({ ...line('a', '1', '1', '19'), vatCategory: 'AE' }));
		expect(reverseAt19.code).toBe('INVALID_VALUE');
		expect(reverseAt19.message).toMatch(/AE needs the rate 0 %/);
	});

	it('refuses an invoice without lines', () => {
		expect(documentErrorOf(() => totalsOf()).code).toBe('MISSING_FIELD');
	});
});
