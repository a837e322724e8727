import { UNIT_CODES, unitCodeFor, unitLabel } from '../../../nodes/shared/documents/invoices';

describe('unit codes', () => {
	it.each([
		['C62', 'C62'],
		['kgm', 'KGM'],
		['Stk.', 'C62'],
		['Stück', 'C62'],
		['St', 'C62'],
		['ST', 'C62'],
		['pcs', 'C62'],
		['Std', 'HUR'],
		['Stunden', 'HUR'],
		['h', 'HUR'],
		['kg', 'KGM'],
		['m²', 'MTK'],
		['qm', 'MTK'],
		['l', 'LTR'],
		['Paket', 'XPK'],
		['Pauschale', 'LS'],
		['psch.', 'LS'],
		[' lump  sum ', 'LS'],
		['NIU', 'NIU'],
	])('reads "%s" as %s', (input, code) => {
		expect(unitCodeFor(input)).toBe(code);
	});

	it.each(['', 'Eimerchen', 'niu', 'ABCD'])('knows no code for "%s"', (input) => {
		expect(unitCodeFor(input)).toBeUndefined();
	});

	it('labels codes in German and English, and prints an unknown code as it is', () => {
		expect(unitLabel('HUR')).toBe('Stunde');
		expect(unitLabel('C62')).toBe('Stück');
		expect(unitLabel('HUR', 'en')).toBe('hour');
		expect(unitLabel('LS')).toBe('Pauschale');
		expect(unitLabel('NIU')).toBe('NIU');
	});

	it('has every code once, each written as a Rec. 20 code', () => {
		const codes = UNIT_CODES.map((u) => u.code);
		expect(new Set(codes).size).toBe(codes.length);
		for (const code of codes) expect(code).toMatch(/^[A-Z0-9]{2,3}$/);
	});
});
