import { colognePhonetics, colognePhoneticsRaw } from '../../../nodes/shared/documents/addresses/colognePhonetics';

describe('Kölner Phonetik', () => {
	it.each([
		['Müller', '657'],
		['Mueller', '657'],
		['Möller', '657'],
		['Meier', '67'],
		['Mayer', '67'],
		['Meyer', '67'],
		['Schmidt', '862'],
		['Schmitt', '862'],
	])('codes %s as %s, as the names sound alike', (name, code) => {
		expect(colognePhonetics(name)).toBe(code);
	});

	it('codes Schmitz as 868, apart from Schmidt: TZ sounds like S', () => {
		expect(colognePhonetics('Schmitz')).toBe('868');
		expect(colognePhoneticsRaw('Schmitz')).toBe('886088');
	});

	it('codes the published examples: Wikipedia → 3412, Breschnew → 17863', () => {
		expect(colognePhonetics('Wikipedia')).toBe('3412');
		expect(colognePhonetics('Breschnew')).toBe('17863');
	});

	it('goes through the three published steps for Müller-Lüdenscheidt: 60550750206880022 → 65752682', () => {
		expect(colognePhoneticsRaw('Müller-Lüdenscheidt')).toBe('60550750206880022');
		expect(colognePhonetics('Müller-Lüdenscheidt')).toBe('65752682');
	});

	it('keeps a leading zero, drops the others', () => {
		expect(colognePhonetics('Anna')).toBe('06');
		expect(colognePhonetics('Otto')).toBe('02');
	});

	it('codes PH as F (3) and P elsewhere as B (1)', () => {
		expect(colognePhoneticsRaw('Philipp')).toBe('305011');
		expect(colognePhonetics('Philipp')).toBe('351');
		expect(colognePhonetics('Filip')).toBe('351');
	});

	it('codes D and T before C, S or Z as 8, elsewhere as 2', () => {
		expect(colognePhoneticsRaw('Platz')).toBe('15088');
		expect(colognePhoneticsRaw('Tod')).toBe('202');
		expect(colognePhoneticsRaw('Stadt')).toBe('82022');
	});

	it('codes C by its neighbours: at the start before A/H/K/L/O/Q/R/U/X as 4, after S or Z as 8, before E or I as 8', () => {
		expect(colognePhoneticsRaw('Carl')).toBe('4075');
		expect(colognePhoneticsRaw('Cäsar')).toBe('40807');
		expect(colognePhoneticsRaw('Celle')).toBe('80550');
		expect(colognePhoneticsRaw('Schule')).toBe('88050');
		expect(colognePhoneticsRaw('Lucia')).toBe('50800');
		expect(colognePhoneticsRaw('Lucas')).toBe('50408');
	});

	it('codes X as 48, but as 8 after C, K or Q', () => {
		expect(colognePhoneticsRaw('Marx')).toBe('60748');
		expect(colognePhoneticsRaw('Kx')).toBe('48');
		expect(colognePhoneticsRaw('Hexe')).toBe('0480');
	});

	it('treats umlauts as their vowels and ß as S, so either spelling gives the same code', () => {
		expect(colognePhonetics('Strauß')).toBe(colognePhonetics('Strauss'));
		expect(colognePhonetics('Größe')).toBe(colognePhonetics('Groesse'));
		expect(colognePhonetics('Jörg')).toBe(colognePhonetics('Joerg'));
	});

	it('ignores case, blanks, hyphens and digits, and gives an empty code for text without letters', () => {
		expect(colognePhonetics('mÜLLER')).toBe('657');
		expect(colognePhonetics(' 12 - 14 ')).toBe('');
		expect(colognePhonetics('')).toBe('');
	});
});
