import {
	houseNumberSimilarity,
	jaroWinkler,
	nameKey,
	nameTokens,
	normaliseCity,
	normaliseName,
	normaliseZip,
	parseStreet,
} from '../../../nodes/shared/documents/addresses/similarity';

describe('jaroWinkler', () => {
	it.each([
		['MARTHA', 'MARHTA', 0.961],
		['DWAYNE', 'DUANE', 0.84],
		['DIXON', 'DICKSONX', 0.813],
	])("gives Winkler's published value for %s / %s (%d)", (a, b, expected) => {
		expect(jaroWinkler(a, b)).toBeCloseTo(expected, 3);
	});

	it('is 1 for equal strings, 0 when nothing matches or one side is empty, and symmetric', () => {
		expect(jaroWinkler('mueller', 'mueller')).toBe(1);
		expect(jaroWinkler('abc', 'xyz')).toBe(0);
		expect(jaroWinkler('', 'abc')).toBe(0);
		expect(jaroWinkler('schmidt', 'schmitz')).toBeCloseTo(jaroWinkler('schmitz', 'schmidt'), 10);
	});

	it('rates a common prefix higher: Schmidt is closer to Schmitt than Meier to Mayer', () => {
		expect(jaroWinkler('schmidt', 'schmitt')).toBeGreaterThan(jaroWinkler('meier', 'mayer'));
	});
});

describe('normaliseName', () => {
	it.each([
		['Müller GmbH & Co. KG', 'mueller'],
		['Müller GmbH u. Co KG', 'mueller'],
		['Schulz G.m.b.H.', 'schulz'],
		['Bäckerei Schmidt e.K.', 'baeckerei schmidt'],
		['Meier & Co.', 'meier'],
		['Weber AG', 'weber'],
		['Strauß OHG', 'strauss'],
		['Förderverein Grünanlage e.V.', 'foerderverein gruenanlage'],
		['Fa. Dr. Anna Keller', 'anna keller'],
		['Hoffmann UG (haftungsbeschränkt)', 'hoffmann'],
	])('turns "%s" into "%s"', (name, normal) => {
		expect(normaliseName(name)).toBe(normal);
	});

	it('keeps names that merely contain the letters of a legal form', () => {
		expect(normaliseName('Agathe Kgosi')).toBe('agathe kgosi');
		expect(normaliseName('Ekkehard Sever')).toBe('ekkehard sever');
	});

	it('gives the same words for "Hans Müller" and "Müller, Hans"', () => {
		expect(nameTokens('Müller, Hans')).toEqual(nameTokens('Hans Müller'));
	});
});

describe('nameKey', () => {
	it('ignores case, blanks and punctuation but not umlauts: Müller and Mueller are two real surnames', () => {
		expect(nameKey('Müller G.m.b.H.')).toBe(nameKey('MÜLLER GmbH'));
		expect(nameKey('Müller')).not.toBe(nameKey('Mueller'));
	});
});

describe('parseStreet', () => {
	it('gives "Musterstraße 12", "Musterstr. 12", "Muster Strasse 12" and "Muster-Straße 12" the same key', () => {
		const keys = ['Musterstraße 12', 'Musterstr. 12', 'Muster Strasse 12', 'Muster-Straße 12', 'Musterstr.12'].map(
			(s) => parseStreet(s).key,
		);
		expect(new Set(keys)).toEqual(new Set(['musterstr 12']));
	});

	it.each([
		['Königstraße 12 a', 'koenigstr', '12a'],
		['Hauptstr. 12-14', 'hauptstr', '12-14'],
		['Lindenallee 7 / 9', 'lindenallee', '7/9'],
		['Straße des 17. Juni 135', 'strdes17juni', '135'],
		['Am Markt', 'ammarkt', ''],
		['Strandweg 3', 'strandweg', '3'],
		['Goethepl. 1', 'goetheplatz', '1'],
	])('splits "%s" into street "%s" and house number "%s"', (street, name, houseNumber) => {
		expect(parseStreet(street)).toEqual(expect.objectContaining({ name, houseNumber }));
	});

	it('rates house numbers: the same 1, 12 vs 12a or one missing 0.5, different 0', () => {
		expect(houseNumberSimilarity('12', '12')).toBe(1);
		expect(houseNumberSimilarity('12', '12a')).toBe(0.5);
		expect(houseNumberSimilarity('', '12')).toBe(0.5);
		expect(houseNumberSimilarity('12', '21')).toBe(0);
	});
});

describe('normaliseCity and normaliseZip', () => {
	it('makes Köln and Koeln one city and D-50667 the postcode 50667', () => {
		expect(normaliseCity('Köln')).toBe(normaliseCity('Koeln'));
		expect(normaliseZip('D-50667')).toBe('50667');
		expect(normaliseZip(' 50667 ')).toBe('50667');
	});
});
