import {
	findCreditorReferences,
	findInvoiceNumbers,
	isValidCreditorReference,
	isValidIban,
	makeCreditorReference,
	parseMt940,
} from '../../../nodes/shared/documents/payments';
import { fixture } from './helpers';

describe('findInvoiceNumbers', () => {
	it('finds a known invoice number whatever the case, spacing and kind of hyphen', () => {
		expect(findInvoiceNumbers('zahlung re 2025 0042 danke', ['RE-2025-0042'])).toEqual(['RE-2025-0042']);
		expect(findInvoiceNumbers('Zahlung RE–2025–0042', ['RE-2025-0042'])).toEqual(['RE-2025-0042']);
		expect(findInvoiceNumbers('RE20250042', ['re-2025-0042'])).toEqual(['re-2025-0042']);
	});

	it('finds a known number that the bank cut across two ?2x lines of a real MT940 file', () => {
		// sepa_mt9401.sta: "?24SVWZ+Verwend CTSc-01 eB" + line break + "B TF?25Nr 21005" — "TFNr 21005" arrives in two subfields
		const payment = parseMt940(fixture('mt940/betterplace/sepa_mt9401.sta'))
			.flatMap((s) => s.payments)
			.find((p) => p.bankReference === '0724710352954937' && p.direction === 'debit')!;
		expect(payment.remittanceText).toBe('Verwend CTSc-01 eBB TFNr 21005');
		expect(findInvoiceNumbers(payment.remittanceText, ['TFNR-21005', 'TFNR-21007'])).toEqual(['TFNR-21005']);
		expect(findInvoiceNumbers('RECHNUNG RE-2025-00 42 VIELEN DANK', ['RE-2025-0042'])).toEqual(['RE-2025-0042']);
	});

	it('does not find a known number inside a longer number, but after letters glued to it', () => {
		expect(findInvoiceNumbers('Kunde 147112 Betrag 47110', ['4711'])).toEqual([]);
		expect(findInvoiceNumbers('KD4711', ['4711'])).toEqual(['4711']);
		expect(findInvoiceNumbers('Rechnung 42', ['42'])).toEqual(['42']); // by keyword: too short to be looked for as a known number
		expect(findInvoiceNumbers('Miete 42 Euro', ['42'])).toEqual([]);
	});

	it('does not list a known number twice when a keyword is glued to it', () => {
		expect(findInvoiceNumbers('Ausgleich RE-4711', ['4711'])).toEqual(['4711']);
		expect(findInvoiceNumbers('Rechnungen 4711 und 47112', ['4711'])).toEqual(['4711', '47112']);
	});

	it('lists several known numbers in the order the text names them', () => {
		expect(findInvoiceNumbers('RE-1002 und RE-1001', ['RE-1001', 'RE-1002', 'RE-1003'])).toEqual(['RE-1002', 'RE-1001']);
	});

	it('finds numbers after the usual keywords when no open invoice is known', () => {
		const cases: Array<[string, string[]]> = [
			['Rechnung 4711', ['4711']],
			['RECHN. 2025-17 vom 01.03.', ['2025-17']],
			['RE-NR. 2025/17', ['2025/17']],
			['Re Nr 88', ['88']],
			['RG-NR 88', ['88']],
			['RGNR:12345', ['12345']],
			['Invoice No. INV-2024-0077', ['INV-2024-0077']],
			['INV 991', ['991']],
			['Beleg 555 Skonto', ['555']],
			['Rechnungen 1001, 1002 und 1003', ['1001', '1002', '1003']],
			['RE20250042', ['RE20250042']],
			['Storno Gutschrift RE-2025-0039', ['RE-2025-0039']],
			['RE 2025-0042', ['2025-0042']],
			['Rechnung vom 12.03.2025', []],
			['Miete November', []],
			['Referenz 4711', []],
		];
		for (const [text, numbers] of cases) expect([text, findInvoiceNumbers(text)]).toEqual([text, numbers]);
	});
});

describe('creditor references (ISO 11649)', () => {
	it('accepts RF references whose mod-97 check holds, printed or compact, and refuses altered ones', () => {
		expect(isValidCreditorReference('RF18539007547034')).toBe(true);
		expect(isValidCreditorReference('RF18 5390 0754 7034')).toBe(true);
		expect(isValidCreditorReference('rf76re20250041')).toBe(true);
		expect(isValidCreditorReference('RF19539007547034')).toBe(false);
		expect(isValidCreditorReference('RF18539007547035')).toBe(false);
		expect(isValidCreditorReference('RF18')).toBe(false);
		expect(isValidCreditorReference('RF18539007547034539007547034')).toBe(false);
	});

	it('builds references that check, for an invoice to print', () => {
		expect(makeCreditorReference('539007547034')).toBe('RF18539007547034');
		expect(makeCreditorReference('RE-2025-0041')).toBe('RF76RE20250041');
		expect(() => makeCreditorReference('')).toThrow(RangeError);
	});

	it('finds a printed reference in text, stopping where the checksum says the reference ends', () => {
		expect(findCreditorReferences('Zahlung RF18 5390 0754 7034 Danke')).toEqual(['RF18539007547034']);
		expect(findCreditorReferences('RF76RE20250041, RF18539007547034')).toEqual(['RF76RE20250041', 'RF18539007547034']);
		expect(findCreditorReferences('RF19 5390 0754 7034')).toEqual([]);
		expect(findCreditorReferences('PERF18539007547034')).toEqual([]);
	});
});

describe('isValidIban', () => {
	it('checks the IBAN of a real MT940 counterparty and refuses a changed digit', () => {
		expect(isValidIban('DE14 5088 0050 0194 7850 00')).toBe(true);
		expect(isValidIban('DE14508800500194785001')).toBe(false);
	});
});
