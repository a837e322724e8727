import { parseDatevBuchungsstapel, readDelimited } from '../../../nodes/shared/documents/payments';
import { documentErrorOf, fixture } from './helpers';

/**
 * The real export from ledermann/datev, and variants of it built here: its own header and column line
 * with other booking lines. Windows-1252 bytes map one to one onto latin1 strings, so editing the text
 * as latin1 and writing it back keeps every other byte (the "–" in the column names included).
 */
const original = () => fixture('datev/EXTF_Buchungsstapel.csv').toString('latin1');
const [headerLine, columnLine, bookLine, invoiceLine] = original().split('\r\n');

/** A variant with these booking lines (each one the fixture's invoice booking with some fields replaced). */
function variant(bookings: string[], header = headerLine, columns = columnLine): Buffer {
	return Buffer.from([header, columns, ...bookings, ''].join('\r\n'), 'latin1');
}

/** The fixture's invoice booking (5950,00 S 10000 an 8400, Belegfeld 1 RE201802-135) with fields replaced by position. */
function booking(changes: Record<number, string>): string {
	const fields = readDelimited(invoiceLine, ';')[0].fields;
	return fields.map((f, i) => (i in changes ? changes[i] : f)).map(quote).join(';');
}

const quote = (field: string) => (/^[\d,]*$/.test(field) ? field : `"${field.replace(/"/g, '""')}"`);

describe('parseDatevBuchungsstapel', () => {
	it('reads the header (Mandant, Berater, period) and books the bank account in Haben as money paid out', () => {
		const statement = parseDatevBuchungsstapel(fixture('datev/EXTF_Buchungsstapel.csv'), 'EXTF_Buchungsstapel.csv');
		expect(statement).toMatchObject({
			format: 'datev',
			clientNumber: '456',
			adviserNumber: '1001',
			currency: 'EUR',
			statementId: 'Beispiel-Buchungen',
			period: { from: '2018-02-01', to: '2018-02-28' },
			charset: 'windows-1252',
		});
		expect(statement.payments).toEqual([
			expect.objectContaining({
				amount: '24.95',
				currency: 'EUR',
				direction: 'debit',
				bookingDate: '2018-02-21',
				remittanceText: 'Fachbuch: Controlling für Dummies',
				transactionCode: '8',
				accountNumber: '1200',
				clientNumber: '456',
				invoiceNumbers: [],
				position: { statement: 1, entry: 1, line: 3 },
			}),
		]);
		expect(statement.payments[0].raw).toMatchObject({ Konto: '1200', 'Gegenkonto (ohne BU-Schlüssel)': '4940', 'Soll/Haben-Kennzeichen': 'H' });
	});

	it('skips the invoice booking "Debitor an Erlöse", which touches no bank account, and says why', () => {
		const statement = parseDatevBuchungsstapel(fixture('datev/EXTF_Buchungsstapel.csv'), 'EXTF_Buchungsstapel.csv');
		expect(statement.skipped).toBe(1);
		expect(statement.skippedEntries).toEqual([
			{ position: { statement: 1, entry: 2, line: 4 }, reason: expect.stringMatching(/Konto 10000 nor Gegenkonto 8400 is a bank account/) },
		]);
	});

	it('reads a customer payment with the bank in Konto or in Gegenkonto, taking Belegfeld 1 as the invoice number', () => {
		const bytes = variant([
			booking({ 0: '5950,00', 1: 'S', 6: '1200', 7: '10000', 9: '2802', 13: 'Zahlung Honorar FiBu-Seminar' }),
			booking({ 0: '119,00', 1: 'H', 6: '10000', 7: '1200', 9: '102', 10: 'RE201802-140', 13: 'Ausgleich RE201802-140' }),
			booking({ 0: '50,00', 1: 'S', 6: '70000', 7: '1200', 9: '1502', 10: '', 13: 'Lieferant' }),
		]);
		const statement = parseDatevBuchungsstapel(bytes, 'payments.csv');
		expect(statement.payments.map((p) => [p.direction, p.amount, p.bookingDate, p.accountNumber, p.invoiceNumbers])).toEqual([
			['credit', '5950.00', '2018-02-28', '1200', ['RE201802-135']],
			// H on the Debitor in Konto: the bank in Gegenkonto is in Soll, money came in; "102" lost its leading zero
			['credit', '119.00', '2018-02-01', '1200', ['RE201802-140']],
			['debit', '50.00', '2018-02-15', '1200', []],
		]);
		expect(statement.skipped).toBe(0);
	});

	it('finds columns by name, wherever they stand', () => {
		const swap = (line: string) => {
			const fields = line.split(';');
			[fields[0], fields[6]] = [fields[6], fields[0]];
			[fields[9], fields[13]] = [fields[13], fields[9]];
			return fields.join(';');
		};
		const statement = parseDatevBuchungsstapel(variant([swap(bookLine)], headerLine, swap(columnLine)));
		expect(statement.payments[0]).toMatchObject({ amount: '24.95', direction: 'debit', bookingDate: '2018-02-21', remittanceText: 'Fachbuch: Controlling für Dummies' });
	});

	it('follows the bank accounts the caller names instead of the chart of accounts', () => {
		const statement = parseDatevBuchungsstapel(fixture('datev/EXTF_Buchungsstapel.csv'), 'x.csv', { bankAccounts: ['1800'] });
		expect(statement.payments).toHaveLength(0);
		expect(statement.skipped).toBe(2);
		const skr04 = headerLine.split(';');
		skr04[26] = '"04"';
		const bySkr04 = parseDatevBuchungsstapel(variant([bookLine, booking({ 1: 'S', 6: '1800', 7: '10000', 9: '2802' })], skr04.join(';')));
		expect(bySkr04.payments.map((p) => [p.accountNumber, p.direction])).toEqual([['1800', 'credit']]);
	});

	it('puts Belegdatum into the fiscal year when the header gives no period: a July fiscal year ends in the next calendar year', () => {
		const header = headerLine.split(';');
		header[12] = '20170701';
		header[14] = '';
		header[15] = '';
		const statement = parseDatevBuchungsstapel(variant([bookLine, booking({ 1: 'S', 6: '1200', 7: '10000', 9: '2808' })], header.join(';')));
		expect(statement.payments.map((p) => p.bookingDate)).toEqual(['2018-02-21', '2017-08-28']);
	});

	it('rejects other DATEV categories, a missing column, a bad amount and an impossible Belegdatum, naming the line', () => {
		const debitors = headerLine.replace('"EXTF";700;21;"Buchungsstapel"', '"EXTF";700;16;"Debitoren/Kreditoren"');
		expect(documentErrorOf(() => parseDatevBuchungsstapel(variant([bookLine], debitors))).code).toBe('UNSUPPORTED_FORMAT');
		const noDate = documentErrorOf(() => parseDatevBuchungsstapel(variant([bookLine], headerLine, columnLine.replace('Belegdatum', 'Datum')), 'nodate.csv'));
		expect(noDate).toMatchObject({ code: 'MISSING_FIELD', file: 'nodate.csv', position: { line: 2 } });
		const badAmount = documentErrorOf(() => parseDatevBuchungsstapel(variant([bookLine, bookLine.replace('24,95', '24.95')]), 'amount.csv'));
		expect(badAmount.message).toBe('amount.csv: line 4: Umsatz "24.95" is not an amount (digits with a decimal comma, no sign)');
		const badDate = documentErrorOf(() => parseDatevBuchungsstapel(variant([bookLine.replace(';2102;', ';3102;')]), 'date.csv'));
		expect(badDate.message).toBe('date.csv: line 3: Belegdatum "3102" is not a date TTMM');
		expect(documentErrorOf(() => parseDatevBuchungsstapel(Buffer.from('Datum;Betrag\r\n'), 'plain.csv')).code).toBe('UNSUPPORTED_FORMAT');
	});
});
