import { detectPaymentFormat, parsePaymentFile } from '../../../nodes/shared/documents/payments';
import { documentErrorOf, fixture } from './helpers';

describe('detectPaymentFormat', () => {
	it('tells every sample file by its content, not its name', () => {
		const cases: Array<[string, string]> = [
			['camt053/camt053.v2.minimal.xml', 'camt053'],
			['camt053/camt053.v4.xml', 'camt053'],
			['camt053/camt053.v8.batch.xml', 'camt053'],
			['mt940/betterplace/sepa_mt9401.sta', 'mt940'],
			['mt940/betterplace/empty_line.sta', 'mt940'],
			['mt940/cmxl/mt940.sta', 'mt940'],
			['datev/EXTF_Buchungsstapel.csv', 'datev'],
		];
		for (const [path, format] of cases) expect([path, detectPaymentFormat(fixture(path), 'upload.bin')]).toEqual([path, format]);
	});

	it('knows a FIN envelope, a BOM and a bank CSV, and answers undefined for anything else', () => {
		const envelope = Buffer.from(`{1:F01DRESDEFFAXXX0000000000}{2:O940}{4:\n${fixture('mt940/betterplace/sepa_snippet.sta').toString('utf8')}-}`);
		expect(detectPaymentFormat(envelope)).toBe('mt940');
		const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fixture('camt053/camt053.v4.xml')]);
		expect(detectPaymentFormat(bom)).toBe('camt053');
		expect(detectPaymentFormat(Buffer.from('"Buchungstag";"Betrag"\r\n"14.03.25";"1,00"\r\n'))).toBe('csv');
		const camt052 = fixture('camt053/camt053.v2.minimal.xml').toString('utf8').replace(/camt\.053/g, 'camt.052');
		expect(detectPaymentFormat(Buffer.from(camt052))).toBe('camt052');
		expect(detectPaymentFormat(Buffer.from('%PDF-1.7\n\u0000\u0001binary'), 'statement.pdf')).toBeUndefined();
		expect(detectPaymentFormat(Buffer.from(''))).toBeUndefined();
	});
});

describe('parsePaymentFile', () => {
	it('detects and reads each format, returning all payments of all statements in file order', () => {
		const camt = parsePaymentFile(fixture('camt053/camt053.v2.multi.statement.xml'), 'auto', { fileName: 'multi.xml' });
		expect(camt.format).toBe('camt053');
		expect(camt.payments.map((p) => [p.amount, p.sourceFile])).toEqual([
			['8.85', 'multi.xml'],
			['7.00', 'multi.xml'],
		]);
		const mt940 = parsePaymentFile(fixture('mt940/betterplace/sepa_mt9401.sta'), 'auto', { knownInvoiceNumbers: ['TFNR-21005'] });
		expect(mt940.statements).toHaveLength(26);
		expect(mt940.payments.filter((p) => p.invoiceNumbers.includes('TFNR-21005')).map((p) => p.amount)).toEqual(['50990.05', '50990.05']);
		const datev = parsePaymentFile(fixture('datev/EXTF_Buchungsstapel.csv'), 'auto');
		expect(datev).toMatchObject({ format: 'datev', payments: [{ amount: '24.95', direction: 'debit' }] });
		const csv = parsePaymentFile(Buffer.from('Datum;Betrag\n14.03.2025;-5,00\n'), 'csv', { csvMapping: { columns: { amount: 'Betrag', bookingDate: 'Datum' } } });
		expect(csv.payments).toEqual([expect.objectContaining({ amount: '5.00', direction: 'debit', bookingDate: '2025-03-14' })]);
	});

	it('says clearly when the format is unknown or a CSV comes without a mapping', () => {
		const unknown = documentErrorOf(() => parsePaymentFile(Buffer.from('%PDF-1.7\n\u0000'), 'auto', { fileName: 'scan.pdf' }));
		expect(unknown).toMatchObject({ code: 'UNSUPPORTED_FORMAT', file: 'scan.pdf' });
		const noMapping = documentErrorOf(() => parsePaymentFile(Buffer.from('Datum;Betrag\n'), 'auto', { fileName: 'bank.csv' }));
		expect(noMapping.message).toMatch(/^bank\.csv: a CSV payment file needs a column mapping/);
	});
});
