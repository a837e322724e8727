/**
 * The Receive rules of the Order Exchange node without transport or n8n: number ranges, the overlap check of
 * the configuration, and the bounded memory of imported documents.
 */
import {
	ImportMemory,
	inRange,
	MEMORY_KEY,
	siteRule,
	SiteConfigurationError,
	SiteDirectory,
} from '../../../nodes/OrderExchange/importRules';

describe('Order Exchange number ranges', () => {
	it('checks a prefix case-insensitively and the digits after it against the range', () => {
		const rule = siteRule({ siteId: 'homeoffice-7', numberPrefix: 'AN-7-', rangeFrom: '1', rangeTo: '999' });
		expect(inRange(rule, 'AN-7-0815')).toBe(true);
		expect(inRange(rule, 'an-7-12')).toBe(true);
		expect(inRange(rule, 'AN-7-1000')).toBe(false);
		expect(inRange(rule, 'AN-8-0815')).toBe(false);
		expect(inRange(rule, 'AN-7-12a')).toBe(false);
	});

	it('compares long numbers exactly, beyond the precision of a float', () => {
		const rule = siteRule({ siteId: 's', rangeFrom: '90071992547409920', rangeTo: '90071992547409921' });
		expect(inRange(rule, '90071992547409921')).toBe(true);
		expect(inRange(rule, '90071992547409922')).toBe(false);
	});

	it('names the site and the range of a number outside it, and an unknown site', () => {
		const sites = new SiteDirectory([siteRule({ siteId: 'Filiale-A', rangeFrom: '20000', rangeTo: '29999' })]);
		expect(sites.check({ site: 'filiale-a', number: '20001' })).toMatchObject({ ok: true, site: { id: 'Filiale-A' } });
		expect(sites.check({ site: 'Filiale-A', number: '30001' })).toEqual({
			ok: false,
			reason: 'numberOutOfRange',
			message: 'the number "30001" is outside the number range of site "Filiale-A" (20000–29999)',
		});
		expect(sites.check({ site: 'Filiale-B', number: '20001' })).toMatchObject({ ok: false, reason: 'unknownSite' });
	});

	it('refuses overlapping ranges, a range that ends before it starts, and a site listed twice; a site without range is not checked', () => {
		const make = (...entries: Array<Parameters<typeof siteRule>[0]>) => () => new SiteDirectory(entries.map(siteRule));
		expect(make({ siteId: 'a', rangeFrom: '1', rangeTo: '100' }, { siteId: 'b', rangeFrom: '100', rangeTo: '200' })).toThrow(SiteConfigurationError);
		expect(make({ siteId: 'a', numberPrefix: 'A-' }, { siteId: 'b', numberPrefix: 'a-' })).toThrow('overlap');
		expect(make({ siteId: 'a', rangeFrom: '5', rangeTo: '1' })).toThrow('starts at 5, after its end 1');
		expect(make({ siteId: 'a' }, { siteId: 'A' })).toThrow('listed twice');
		expect(make()).toThrow('Add at least one site');
		expect(make({ siteId: 'a', rangeFrom: '1', rangeTo: '100' }, { siteId: 'b', rangeFrom: '101' }, { siteId: 'c' })).not.toThrow();
	});
});

describe('Order Exchange memory of imported documents', () => {
	it('tells new, duplicate, changed and conflicting documents apart, only after a confirmed import', () => {
		const data: Record<string, unknown> = {};
		const memory = new ImportMemory(data);
		const reg = memory.registration('a/order/1', 'order/1', 'a', 'hash-1');
		expect(memory.judge('a/order/1', 'order/1', 'a', 'hash-1')).toEqual({ kind: 'new' });
		memory.stage([reg]);
		// staged: the same document later in the run is a duplicate, but nothing is saved yet
		expect(memory.judge('a/order/1', 'order/1', 'a', 'hash-1')).toEqual({ kind: 'duplicate' });
		memory.discard([reg]);
		memory.save();
		expect(new ImportMemory(data).judge('a/order/1', 'order/1', 'a', 'hash-1')).toEqual({ kind: 'new' });

		memory.confirm([reg]);
		memory.save();
		const next = new ImportMemory(data);
		expect(next.judge('a/order/1', 'order/1', 'a', 'hash-1')).toEqual({ kind: 'duplicate' });
		expect(next.judge('a/order/1', 'order/1', 'a', 'hash-2')).toEqual({ kind: 'changed', previousHash: 'hash-1' });
		expect(next.judge('c/order/1', 'order/1', 'c', 'hash-1')).toEqual({ kind: 'conflict', otherSite: 'a' });
		expect(next.judge('c/quote/1', 'quote/1', 'c', 'hash-1')).toEqual({ kind: 'new' });
	});

	it('keeps the most recently seen documents up to its limit', () => {
		const data: Record<string, unknown> = {};
		let now = 1000;
		const memory = new ImportMemory(data, 3, () => now++);
		for (const n of ['1', '2', '3', '4']) memory.confirm([memory.registration(`a/order/${n}`, `order/${n}`, 'a', `h${n}`)]);
		// seen again: moves to the end, so it outlives 2
		memory.confirm([memory.registration('a/order/1', 'order/1', 'a', 'h1')]);
		memory.save();
		expect(Object.keys(data[MEMORY_KEY] as object)).toEqual(['a/order/3', 'a/order/4', 'a/order/1']);
	});
});
