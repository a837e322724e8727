import {
	AddressIndex,
	SIMILAR_THRESHOLD,
	type AddressBookEntry,
	type MatchableAddress,
} from '../../../nodes/shared/documents/addresses/addressIndex';

const at = (name: string, street: string, zip: string, city: string): MatchableAddress => ({ name, street, zip, city });

function entry(id: string, a: MatchableAddress): AddressBookEntry {
	return { id, ...a };
}

describe('AddressIndex.match', () => {
	const book = [
		entry('1', at('Müller', 'Musterstraße 12', '50667', 'Köln')),
		entry('2', at('Meier', 'Hauptstr. 5', '80331', 'München')),
		entry('3', at('Schmidt', 'Lindenweg 3', '10115', 'Berlin')),
		entry('4', at('Weber GmbH', 'Bahnhofstraße 1', '20095', 'Hamburg')),
	];
	const index = new AddressIndex(book);

	it('finds an identical address as exact', () => {
		const result = index.match(at('Müller', 'Musterstraße 12', '50667', 'Köln'));
		expect(result.kind).toBe('exact');
		expect(result.candidates[0].entry.id).toBe('1');
		expect(result.candidates[0].score).toBe(1);
		expect(result.candidates[0].reasons[0]).toBe('identical address');
	});

	it('still calls it exact when only the street abbreviation, the case or the spelling of the city differ', () => {
		expect(index.match(at('MÜLLER', 'Musterstr. 12', '50667', 'Koeln')).kind).toBe('exact');
		expect(index.match(at('Weber G.m.b.H.', 'Bahnhof Strasse 1', 'D-20095', 'Hamburg')).kind).toBe('exact');
	});

	it('returns none, without candidates, for an unrelated address', () => {
		expect(index.match(at('Fischer', 'Gartenweg 7', '01067', 'Dresden'))).toEqual({ kind: 'none', candidates: [] });
	});

	it('lists the candidate, explained, with the phonetic code that brought it up', () => {
		const [best] = index.match(at('Möller', 'Musterstraße 12', '50667', 'Köln')).candidates;
		expect(best.reasons).toEqual(
			expect.arrayContaining(['name sounds alike (Kölner Phonetik 657)', 'same street', 'same postcode', 'same city']),
		);
	});
});

describe('names that sound alike at the same address', () => {
	const groups = [
		['Müller', 'Mueller', 'Möller'],
		['Meier', 'Mayer', 'Meyer'],
		['Schmidt', 'Schmitt'],
	];
	const pairs = groups.flatMap((g) => g.flatMap((a) => g.filter((b) => b !== a).map((b) => [a, b] as const)));

	it.each(pairs)('finds %s in the book as similar when %s arrives at the same street and postcode', (inBook, arriving) => {
		const index = new AddressIndex([entry('1', at(inBook, 'Lindenstraße 4', '70173', 'Stuttgart'))]);
		const result = index.match(at(arriving, 'Lindenstr. 4', '70173', 'Stuttgart'));
		expect(result.kind).toBe('similar');
		expect(result.candidates[0].score).toBeGreaterThanOrEqual(SIMILAR_THRESHOLD);
	});

	it('scores Schmidt against Schmitz lower than against Schmitt, and not as similar', () => {
		const index = new AddressIndex([entry('1', at('Schmidt', 'Lindenweg 3', '10115', 'Berlin'))]);
		const schmitt = index.match(at('Schmitt', 'Lindenweg 3', '10115', 'Berlin'));
		const schmitz = index.match(at('Schmitz', 'Lindenweg 3', '10115', 'Berlin'));
		expect(schmitz.candidates[0].score).toBeLessThan(schmitt.candidates[0].score);
		expect(schmitz.kind).toBe('none');
	});

	it('does not call a neighbour with another name in the same house similar', () => {
		const index = new AddressIndex([entry('1', at('Müller', 'Musterstraße 12', '50667', 'Köln'))]);
		expect(index.match(at('Schulze', 'Musterstraße 12', '50667', 'Köln')).kind).toBe('none');
	});

	it('does not call another member of the family at the same address similar, but lists them for a look', () => {
		const index = new AddressIndex([entry('1', at('Anna Müller', 'Lindenstraße 4', '70173', 'Stuttgart'))]);
		const result = index.match(at('Peter Müller', 'Lindenstraße 4', '70173', 'Stuttgart'));
		// the address alone scores above the similar threshold; the name's agreement is what keeps it out
		expect(result.candidates[0].score).toBeGreaterThanOrEqual(SIMILAR_THRESHOLD);
		expect(result.kind).toBe('none');
	});

	it('calls an order for "Müller" similar to "Anna Müller" at the same address', () => {
		const index = new AddressIndex([entry('1', at('Anna Müller', 'Lindenstraße 4', '70173', 'Stuttgart'))]);
		expect(index.match(at('Müller', 'Lindenstraße 4', '70173', 'Stuttgart')).kind).toBe('similar');
	});

	it('calls the same name in the same street with another house number similar, and says so', () => {
		const index = new AddressIndex([entry('1', at('Müller', 'Musterstraße 12', '50667', 'Köln'))]);
		const result = index.match(at('Müller', 'Musterstraße 14', '50667', 'Köln'));
		expect(result.kind).toBe('similar');
		expect(result.candidates[0].reasons).toContain('different house number');
	});

	it('does not call the same common name in another town similar', () => {
		const index = new AddressIndex([entry('1', at('Müller', 'Hauptstraße 1', '50667', 'Köln'))]);
		expect(index.match(at('Müller', 'Hauptstraße 1', '01067', 'Dresden')).kind).toBe('none');
	});

	it('calls a different address of the same customer number similar', () => {
		const index = new AddressIndex([{ ...entry('1', at('Müller', 'Musterstraße 12', '50667', 'Köln')), customerNumber: 'K-77' }]);
		const moved = { ...at('Müller', 'Ringstraße 2', '80331', 'München'), customerNumber: 'K-77' };
		const result = index.match(moved);
		expect(result.kind).toBe('similar');
		expect(result.candidates[0].reasons).toContain('same customer number');
	});
});

describe('AddressIndex lookups', () => {
	/** A deterministic book of 20,000 addresses spread over 2,000 postcodes. */
	function bigBook(): AddressBookEntry[] {
		const names = ['Becker', 'Wagner', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Schwarz', 'Zimmermann'];
		const streets = ['Ahornweg', 'Birkenstraße', 'Eichendorffstraße', 'Gartenstraße', 'Kirchplatz'];
		const out: AddressBookEntry[] = [];
		for (let i = 0; i < 20_000; i++) {
			const zip = String(10000 + (i % 2000) * 37).padStart(5, '0');
			out.push(entry(String(i), at(`${names[i % 10]} ${i}`, `${streets[i % 5]} ${1 + (i % 90)}`, zip, `Ort${i % 2000}`)));
		}
		out.push(entry('needle', at('Müller', 'Musterstraße 12', '50667', 'Köln')));
		return out;
	}
	const index = new AddressIndex(bigBook());

	it('scores only the entries that share postcode or name sound, not the whole book', () => {
		const query = at('Möller', 'Musterstr. 12', '50667', 'Köln');
		expect(index.size).toBe(20_001);
		expect(index.poolSize(query)).toBeLessThan(50);
		expect(index.match(query).candidates[0].entry.id).toBe('needle');
	});

	it('finds an entry whose postcode was mistyped, through the sound of name and city', () => {
		const result = index.match(at('Mueller', 'Musterstraße 12', '50676', 'Köln'));
		expect(result.candidates[0].entry.id).toBe('needle');
		expect(result.kind).toBe('similar');
	});

	it('ranks an exact entry before similar ones and returns at most `limit` candidates', () => {
		const small = new AddressIndex([
			entry('a', at('Meyer', 'Hauptstraße 5', '80331', 'München')),
			entry('b', at('Meier', 'Hauptstraße 5', '80331', 'München')),
			entry('c', at('Mayer', 'Hauptstraße 5', '80331', 'München')),
		]);
		const result = small.match(at('Meier', 'Hauptstr. 5', '80331', 'München'), 2);
		expect(result.kind).toBe('exact');
		expect(result.candidates.map((c) => [c.entry.id, c.kind])).toEqual([
			['b', 'exact'],
			['a', 'similar'],
		]);
	});
});
