/**
 * The Receive rules of the Order Exchange node without transport or n8n: number ranges, the overlap check of
 * the configuration, and the bounded memory of imported documents.
 */
import {
	ImportMemory,
	type Candidate,
	type DocumentLedger,
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
	it('tells new, duplicate, changed and conflicting documents apart, only after a confirmed import', async () => {
		const data: Record<string, unknown> = {};
		const memory = new ImportMemory(data);
		const reg = memory.registration('a/order/1', 'order/1', 'a', 'hash-1');
		expect(memory.judge('a/order/1', 'order/1', 'a', 'hash-1')).toEqual({ kind: 'new' });
		memory.stage([reg]);
		// staged: the same document later in the run is a duplicate, but nothing is saved yet
		expect(memory.judge('a/order/1', 'order/1', 'a', 'hash-1')).toEqual({ kind: 'duplicate' });
		memory.discard([reg]);
		await memory.save();
		expect(new ImportMemory(data).judge('a/order/1', 'order/1', 'a', 'hash-1')).toEqual({ kind: 'new' });

		memory.confirm([reg]);
		await memory.save();
		const next = new ImportMemory(data);
		expect(next.judge('a/order/1', 'order/1', 'a', 'hash-1')).toEqual({ kind: 'duplicate' });
		expect(next.judge('a/order/1', 'order/1', 'a', 'hash-2')).toEqual({ kind: 'changed', previousHash: 'hash-1' });
		expect(next.judge('c/order/1', 'order/1', 'c', 'hash-1')).toEqual({ kind: 'conflict', otherSite: 'a' });
		expect(next.judge('c/quote/1', 'quote/1', 'c', 'hash-1')).toEqual({ kind: 'new' });
	});

	it('keeps the most recently seen documents up to its limit', async () => {
		const data: Record<string, unknown> = {};
		let now = 1000;
		const memory = new ImportMemory(data, 3, () => now++);
		for (const n of ['1', '2', '3', '4']) memory.confirm([memory.registration(`a/order/${n}`, `order/${n}`, 'a', `h${n}`)]);
		// seen again: moves to the end, so it outlives 2
		memory.confirm([memory.registration('a/order/1', 'order/1', 'a', 'h1')]);
		await memory.save();
		expect(Object.keys(data[MEMORY_KEY] as object)).toEqual(['a/order/3', 'a/order/4', 'a/order/1']);
	});

	/** the rules of the ledger's answers; the ledger itself is n8n's store in test/integration/orderExchangeRecords.test.ts */
	class SetLedger implements DocumentLedger {
		readonly values = new Set<string>();
		written: string[] = [];
		async recorded(values: string[]) {
			return new Set(values.filter((v) => this.values.has(v)));
		}
		async record(values: string[], superseded: string[] = []) {
			this.written.push(...values);
			for (const v of values) this.values.add(v);
			for (const v of superseded) this.values.delete(v);
		}
		async carryOver(values: string[]) {
			await this.record(values);
		}
	}
	const doc = (site: string, number: string, hash: string): Candidate => ({ key: `${site}/order/${number}`, numberKey: `order/${number}`, site, hash });
	const judged = async (memory: ImportMemory, c: Candidate) => {
		await memory.lookup([c], ['a', 'b']);
		return memory.judge(c.key, c.numberKey, c.site, c.hash);
	};

	it('asks the ledger what static data does not know: duplicate, changed (no earlier hash), the number at another site', async () => {
		const ledger = new SetLedger();
		const first = new ImportMemory({}, 10, undefined, ledger);
		expect(await judged(first, doc('a', '1', 'h1'))).toEqual({ kind: 'new' });
		first.confirm([first.registration('a/order/1', 'order/1', 'a', 'h1')]);
		// recorded only when the run hands its documents over (save), not at confirm
		expect(ledger.values.size).toBe(0);
		await first.save();
		expect(ledger.values.size).toBe(3);

		// another process, or a manual run: empty static data, the same ledger
		const other = () => new ImportMemory({}, 10, undefined, ledger);
		expect(await judged(other(), doc('a', '1', 'h1'))).toEqual({ kind: 'duplicate' });
		expect(await judged(other(), doc('a', '1', 'h2'))).toEqual({ kind: 'changed' });
		expect(await judged(other(), doc('b', '1', 'h1'))).toEqual({ kind: 'conflict', otherSite: 'a' });
		expect(await judged(other(), doc('a', '2', 'h1'))).toEqual({ kind: 'new' });
		// without asking first, the ledger's knowledge is not there: a judge never guesses
		expect(other().judge('a/order/1', 'order/1', 'a', 'h1')).toEqual({ kind: 'new' });
	});

	it('records what an earlier version kept in static data once, and nothing that was only staged or discarded', async () => {
		const data: Record<string, unknown> = {};
		const old = new ImportMemory(data);
		old.confirm([old.registration('a/order/7', 'order/7', 'a', 'h7')]);
		await old.save();

		const ledger = new SetLedger();
		const upgraded = new ImportMemory(data, 10, undefined, ledger);
		await upgraded.carryOver();
		await upgraded.carryOver();
		expect(ledger.written).toHaveLength(3);
		expect(await judged(new ImportMemory({}, 10, undefined, ledger), doc('a', '7', 'h7'))).toEqual({ kind: 'duplicate' });

		const staged = upgraded.registration('a/order/8', 'order/8', 'a', 'h8');
		upgraded.stage([staged]);
		upgraded.discard([staged]);
		await upgraded.save();
		expect(ledger.written).toHaveLength(3);
	});

	it('trusts the ledger over stale static data, and an order changed back to its earlier content is an update again', async () => {
		const ledger = new SetLedger();
		const data: Record<string, unknown> = {};
		const here = new ImportMemory(data, 10, undefined, ledger);
		await judged(here, doc('a', '3', 'h1'));
		here.confirm([here.registration('a/order/3', 'order/3', 'a', 'h1')]);
		await here.save();

		// another process received the changed order (h2); this node's static data still says h1
		const there = new ImportMemory({}, 10, undefined, ledger);
		expect(await judged(there, doc('a', '3', 'h2'))).toEqual({ kind: 'changed' });
		there.confirm([there.registration('a/order/3', 'order/3', 'a', 'h2')]);
		await there.save();
		expect(await judged(new ImportMemory(data, 10, undefined, ledger), doc('a', '3', 'h2'))).toEqual({ kind: 'duplicate' });

		// here, where the static data knows h2's predecessor: h3 replaces it (as judgeUnit registers an update), then
		// the order goes back to h1 — an update, not a duplicate
		const data2: Record<string, unknown> = {};
		const once = new ImportMemory(data2, 10, undefined, ledger);
		await judged(once, doc('a', '4', 'h1'));
		once.confirm([once.registration('a/order/4', 'order/4', 'a', 'h1')]);
		await once.save();
		const twice = new ImportMemory(data2, 10, undefined, ledger);
		const verdict = await judged(twice, doc('a', '4', 'h3'));
		expect(verdict).toEqual({ kind: 'changed', previousHash: 'h1' });
		twice.confirm([{ ...twice.registration('a/order/4', 'order/4', 'a', 'h3'), replaces: verdict.kind === 'changed' ? verdict.previousHash : undefined }]);
		await twice.save();
		expect(await judged(new ImportMemory({}, 10, undefined, ledger), doc('a', '4', 'h1'))).toEqual({ kind: 'changed' });
		expect(await judged(new ImportMemory({}, 10, undefined, ledger), doc('a', '4', 'h3'))).toEqual({ kind: 'duplicate' });
	});
});
