import { parsePaymentCsv, readDelimited, type PaymentCsvMapping } from '../../../nodes/shared/documents/payments';
import { documentErrorOf } from './helpers';

/**
 * A Sparkasse "CSV-CAMT" export as German banks write it: Windows-1252, `;`, every field quoted,
 * DD.MM.YY dates, signed amounts with decimal comma. Written here because no public sample has a
 * licence that allows copying it; the column names are the bank's.
 */
const SPARKASSE = [
	'"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";"Kundenreferenz (End-to-End)";"Beguenstigter/Zahlungspflichtiger";"Kontonummer/IBAN";"BIC (SWIFT-Code)";"Betrag";"Waehrung";"Info"',
	'"DE89370400440532013000";"14.03.25";"14.03.25";"GUTSCHR. UEBERWEISUNG";"Rechnung RE-2025-0042 Kd-Nr. 4711";"NOTPROVIDED";"Müller & Söhne GmbH";"DE12 5001 0517 0648 4898 90";"INGDDEFFXXX";"250,00";"EUR";"Umsatz gebucht"',
	'"DE89370400440532013000";"14.03.25";"14.03.25";"FOLGELASTSCHRIFT";"Kundenkonto 123456789 ""Maerz""";"TK-2025-03-88123";"Telekom Deutschland GmbH";"DE75512108001245126199";"DEUTDEDBXXX";"-89,90";"EUR";"Umsatz gebucht"',
	'"DE89370400440532013000";"17.03.25";"17.03.25";"GUTSCHR. UEBERWEISUNG";"RF18 5390 0754 7034\nzweite Zeile";"E2E-7";"Bäckerei Schmidt e.K.";"DE02120300000000202051";"BYLADEM1001";"1.000,00";"EUR";"Umsatz gebucht"',
	'"DE89370400440532013000";"17.03.25";"17.03.25";"ABSCHLUSS";"";"";"";"";"";"0,00";"EUR";"Umsatz gebucht"',
].join('\r\n');

const sparkasseMapping: PaymentCsvMapping = {
	encoding: 'windows-1252',
	accountIban: 'DE89370400440532013000',
	columns: {
		amount: 'Betrag',
		currency: 'Waehrung',
		bookingDate: 'Buchungstag',
		valueDate: 'Valutadatum',
		payerName: 'Beguenstigter/Zahlungspflichtiger',
		payerIban: 'Kontonummer/IBAN',
		payerBic: 'BIC (SWIFT-Code)',
		remittanceText: 'Verwendungszweck',
		endToEndId: 'Kundenreferenz (End-to-End)',
	},
};

describe('parsePaymentCsv', () => {
	it('reads a Windows-1252 bank export with quoted fields, doubled quotes, a line break inside a field and signed amounts', () => {
		const statement = parsePaymentCsv(Buffer.from(SPARKASSE, 'latin1'), sparkasseMapping, 'umsaetze.csv');
		expect(statement).toMatchObject({ format: 'csv', accountIban: 'DE89370400440532013000', charset: 'windows-1252' });
		expect(statement.payments).toHaveLength(3);
		expect(statement.payments[0]).toMatchObject({
			amount: '250.00',
			currency: 'EUR',
			direction: 'credit',
			bookingDate: '2025-03-14',
			valueDate: '2025-03-14',
			payerName: 'Müller & Söhne GmbH',
			payerIban: 'DE12500105170648489890',
			payerBic: 'INGDDEFFXXX',
			remittanceText: 'Rechnung RE-2025-0042 Kd-Nr. 4711',
			invoiceNumbers: ['RE-2025-0042'],
			position: { statement: 1, entry: 1, line: 2 },
		});
		expect(statement.payments[0].endToEndId).toBeUndefined();
		expect(statement.payments[1]).toMatchObject({
			amount: '89.90',
			direction: 'debit',
			remittanceText: 'Kundenkonto 123456789 "Maerz"',
			endToEndId: 'TK-2025-03-88123',
		});
		expect(statement.payments[2]).toMatchObject({
			amount: '1000.00',
			payerName: 'Bäckerei Schmidt e.K.',
			remittanceText: 'RF18 5390 0754 7034\nzweite Zeile',
			creditorReference: 'RF18539007547034',
			position: { entry: 3, line: 4 },
		});
		// the zero-amount closing entry is no payment; it starts on line 6 because a field above spans two lines
		expect(statement.skippedEntries).toEqual([{ position: { statement: 1, entry: 4, line: 6 }, reason: 'the amount is zero' }]);
	});

	it('takes the direction from an S/H column with unsigned amounts', () => {
		const csv = 'Datum;Betrag;S/H;Name;Zweck\n2025-03-14;250,00;H;Müller;RE 4711\n2025-03-14;89,90;S;Telekom;Rechnung 0815\n';
		const statement = parsePaymentCsv(Buffer.from(csv), {
			columns: { amount: 'Betrag', direction: 'S/H', bookingDate: 'Datum', payerName: 'Name', remittanceText: 'Zweck' },
		});
		expect(statement.payments.map((p) => [p.direction, p.amount, p.bookingDate, p.invoiceNumbers])).toEqual([
			['credit', '250.00', '2025-03-14', ['4711']],
			['debit', '89.90', '2025-03-14', ['0815']],
		]);
		const wrong = documentErrorOf(() =>
			parsePaymentCsv(Buffer.from(csv.replace(';H;', ';X;')), { columns: { amount: 'Betrag', direction: 'S/H' } }, 'sh.csv'),
		);
		expect(wrong.message).toMatch(/^sh\.csv: line 2, record 1, at "S\/H": "X" is neither a credit/);
	});

	it('reads separate Soll and Haben columns, thousands separators and a sign written last', () => {
		const csv = 'Buchung;Soll;Haben;Text\n01.03.2025;;1.234,56;Zahlung A\n02.03.2025;12,00-;;Gebuehr\n';
		const statement = parsePaymentCsv(Buffer.from(csv), {
			columns: { debitAmount: 'Soll', creditAmount: 'Haben', bookingDate: 'Buchung', remittanceText: 'Text' },
		});
		expect(statement.payments.map((p) => [p.direction, p.amount, p.bookingDate])).toEqual([
			['credit', '1234.56', '2025-03-01'],
			['debit', '12.00', '2025-03-02'],
		]);
	});

	it('reads a comma-separated file without header by column numbers, with decimal points and several text columns', () => {
		const csv = '2025-03-14,USD,-1500.5,"ACME, Inc.",Invoice INV-2025-7,PO 99\n2025-03-15,USD,20,Jane Doe,Refund,\n';
		const statement = parsePaymentCsv(Buffer.from(csv), {
			delimiter: ',',
			decimalSeparator: '.',
			headerRow: false,
			columns: { bookingDate: 1, currency: 2, amount: 3, payerName: 4, remittanceText: [5, 6] },
		});
		expect(statement.payments.map((p) => [p.amount, p.currency, p.direction, p.payerName, p.remittanceText])).toEqual([
			['1500.50', 'USD', 'debit', 'ACME, Inc.', 'Invoice INV-2025-7 PO 99'],
			['20.00', 'USD', 'credit', 'Jane Doe', 'Refund'],
		]);
		expect(statement.payments[0].invoiceNumbers).toEqual(['INV-2025-7']);
	});

	it('names the line and column of a bad amount or date, and of an unclosed quote', () => {
		const badAmount = documentErrorOf(() =>
			parsePaymentCsv(Buffer.from(SPARKASSE.replace('"-89,90"', '"-89.9.0"'), 'latin1'), sparkasseMapping, 'umsaetze.csv'),
		);
		expect(badAmount).toMatchObject({ code: 'INVALID_VALUE', file: 'umsaetze.csv', position: { line: 3, record: 2, element: '"Betrag"' } });
		const badDate = documentErrorOf(() =>
			parsePaymentCsv(Buffer.from(SPARKASSE.replace('"17.03.25";"17.03.25"', '"31.02.25";"17.03.25"'), 'latin1'), sparkasseMapping),
		);
		expect(badDate.message).toMatch(/line 4, record 3, at "Buchungstag": "31.02.25" is not a date/);
		const unclosed = documentErrorOf(() => parsePaymentCsv(Buffer.from('Betrag;Text\n1,00;"offen\n2,00;x\n'), { columns: { amount: 'Betrag' } }, 'q.csv'));
		expect(unclosed).toMatchObject({ code: 'PARSE_ERROR', position: { line: 2, column: 6 } });
		const missing = documentErrorOf(() => parsePaymentCsv(Buffer.from(SPARKASSE, 'latin1'), { ...sparkasseMapping, columns: { amount: 'Umsatz' } }));
		expect(missing.code).toBe('MISSING_FIELD');
	});

	it('refuses UTF-8 settings for Windows-1252 bytes instead of guessing', () => {
		const error = documentErrorOf(() => parsePaymentCsv(Buffer.from(SPARKASSE, 'latin1'), { ...sparkasseMapping, encoding: 'utf-8' }, 'umsaetze.csv'));
		expect(error).toMatchObject({ code: 'ENCODING_ERROR', position: { line: 2 } });
	});
});

describe('readDelimited', () => {
	it('keeps doubled quotes, delimiters and line breaks inside quotes, and the line each record starts on', () => {
		expect(readDelimited('a;"b;""c""\nd";e\r\n\r\nf;;\n', ';')).toEqual([
			{ fields: ['a', 'b;"c"\nd', 'e'], line: 1 },
			{ fields: ['f', '', ''], line: 4 },
		]);
	});
});
