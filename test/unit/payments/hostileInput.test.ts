import {
	findCreditorReferences,
	findInvoiceNumbers,
	isValidIban,
	parseCamt053,
	parseDatevBuchungsstapel,
	parseMt940,
	parsePaymentCsv,
	parsePaymentFile,
} from '../../../nodes/shared/documents/payments';
import { documentErrorOf, fixture } from './helpers';

/** Damaged and hostile payment files (issue 14): each is refused with a clear error, and in linear time. */

const datev = () => fixture('datev/EXTF_Buchungsstapel.csv');

describe('DATEV files that were cut off', () => {
	it('refuses a file cut inside its column names instead of importing 0 payments', () => {
		const text = datev().toString('latin1');
		const namesEnd = text.indexOf('\r\n', text.indexOf('\r\n') + 2);
		for (const at of [namesEnd - 300, namesEnd - 1]) {
			const cut = Buffer.from(text.slice(0, at), 'latin1');
			const error = documentErrorOf(() => parseDatevBuchungsstapel(cut, 'cut.csv'));
			expect(error.message).toMatch(/^cut\.csv: line 2: the file ends inside the column names \(line 2\) without a line break\. It was cut off/);
		}
	});

	it('refuses a file cut inside its header row or its last booking', () => {
		const text = datev().toString('latin1');
		expect(documentErrorOf(() => parseDatevBuchungsstapel(Buffer.from(text.slice(0, 120), 'latin1'), 'h.csv')).message).toMatch(/^h\.csv: line 1: /);
		const header = Buffer.from(text.slice(0, text.indexOf('\r\n')), 'latin1');
		expect(() => parseDatevBuchungsstapel(header, 'h.csv')).toThrow(/^h\.csv: line 2: line 2 \(the column names\) is missing/);
		const lastLineStart = text.lastIndexOf('\r\n', text.length - 3) + 2;
		const cut = Buffer.from(text.slice(0, lastLineStart + 2), 'latin1');
		expect(() => parseDatevBuchungsstapel(cut, 'b.csv')).toThrow(/^b\.csv: line 4: the file ends inside the last booking \(line 4\): 1 of 120 fields and no line break/);
	});

	it('refuses control characters in a booking, naming line and field', () => {
		const text = datev().toString('latin1').replace('"RE201802-135"', '"RE201802\u0000135"');
		const error = documentErrorOf(() => parseDatevBuchungsstapel(Buffer.from(text, 'latin1'), 'nul.csv'));
		expect(error).toMatchObject({ code: 'INVALID_VALUE', position: { line: 4, element: 'field 11' } });
		expect(error.message).toContain('control character U+0000');
	});
});

describe('bank CSV control characters', () => {
	it('refuses an ESC in the remittance text', () => {
		const csv = 'Buchungstag;Betrag;Verwendungszweck\n14.03.2025;1250,00;RE-2025-0042 \u001b[2J\n';
		const error = documentErrorOf(() => parsePaymentCsv(Buffer.from(csv), { columns: { amount: 'Betrag', bookingDate: 'Buchungstag', remittanceText: 'Verwendungszweck' } }, 'bank.csv'));
		expect(error.message).toBe('bank.csv: line 2, record 2, at field 3: control character U+001B in a value');
	});
});

describe('the invoice-number scanner stays linear', () => {
	it.each([
		['-RE', 16_000],
		['-RE1', 16_000],
		['RE 1,', 30_000],
		['RF12', 20_000],
		['Rechnung 4711 vom 3.2. Kunde 12345 ', 50_000],
	])('scans %p repeated %d times in well under a second', (unit, times) => {
		const text = unit.repeat(times);
		const started = performance.now();
		findInvoiceNumbers(text, ['RE-4711', '12345']);
		findCreditorReferences(text);
		expect(performance.now() - started).toBeLessThan(1500);
	});

	it('still finds the numbers a payer writes', () => {
		expect(findInvoiceNumbers('RECHNUNG RE-2025-0042 UND 0043')).toEqual(['RE-2025-0042', '0043']);
		expect(findInvoiceNumbers('Rg.Nr. 4711, 4712 + 4713')).toEqual(['4711', '4712', '4713']);
		// a run of number characters longer than any invoice number is none
		expect(findInvoiceNumbers(`RE ${'1-'.repeat(40)}1`)).toEqual([]);
	});
});

describe('size limits', () => {
	const mt940 = Buffer.from(':20:X\n:25:37040044/0532013000\n:60F:C250313EUR0,\n:62F:C250313EUR0,\n-\n');

	it('refuses a file above the limit with TOO_LARGE before reading it, in every parser', () => {
		const camt = fixture('camt053/camt053.v8.batch.xml');
		const limit = { maxBytes: 64 };
		const errors = [
			documentErrorOf(() => parseMt940(mt940, 'a.sta', limit)),
			documentErrorOf(() => parseCamt053(camt, 'a.xml', [], limit)),
			documentErrorOf(() => parseDatevBuchungsstapel(datev(), 'a.csv', limit)),
			documentErrorOf(() => parsePaymentCsv(datev(), { columns: { amount: 1 } }, 'b.csv', limit)),
			documentErrorOf(() => parsePaymentFile(camt, 'auto', { fileName: 'c.xml', maxBytes: 64 })),
		];
		expect(errors.map((e) => e.code)).toEqual(['TOO_LARGE', 'TOO_LARGE', 'TOO_LARGE', 'TOO_LARGE', 'TOO_LARGE']);
		expect(errors[0].message).toBe(`a.sta: the MT940 file has ${mt940.length} bytes, more than the 64 bytes a payment file may have; it is not read`);
		expect(parseMt940(mt940, 'a.sta', { maxBytes: mt940.length })).toHaveLength(1);
	});
});

describe('IBAN checks', () => {
	it.each([
		['DE89 3704 0044 0532 0130 00', true],
		['NL91ABNA0417164300', true],
		['NO9386011117947', true],
		['CH9300762011623852957', true],
		['MT84MALT011000012345MTLCAST001S', true],
		['GB82WEST12345698765432', true],
		// right check digits but the wrong length for the country
		['DE8937040044053201300', false],
		['DE89370400440532013000', true],
		['DE89370400440532013001', false],
		['XX89370400440532013000', false],
	])('%s is %s', (iban, valid) => {
		expect(isValidIban(iban)).toBe(valid);
	});
});
