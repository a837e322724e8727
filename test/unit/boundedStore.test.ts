import { BoundedStore } from '../../nodes/shared/boundedStore';
import { SentLedger } from '../../nodes/InvoiceBulkMailer/sentLedger';

const isString = (v: unknown): v is string => typeof v === 'string';

describe('BoundedStore: the one size-limited record in workflow static data', () => {
	it('keeps the most recently used entries up to the limit and writes the record back only on save', () => {
		const data: Record<string, unknown> = {};
		const store = new BoundedStore<string>(data, { key: 'seen', limit: 2, shape: { kind: 'object' }, isValue: isString });
		store.set('a', '1');
		store.set('b', '2');
		store.touch('a');
		store.set('c', '3');
		expect(data.seen).toBeUndefined();
		store.save();
		expect(data.seen).toEqual({ a: '1', c: '3' });
		expect(new BoundedStore<string>(data, { key: 'seen', limit: 2, shape: { kind: 'object' }, isValue: isString }).entries()).toEqual([
			['a', '1'],
			['c', '3'],
		]);
	});

	it('stores a list of values that know their key, ignores stored entries that are not values, and drops old ones by age', () => {
		const data: Record<string, unknown> = {
			files: [{ p: '/a', t: 100 }, 'garbage', { p: '/b', t: 1_000 }],
		};
		const isEntry = (v: unknown): v is { p: string; t: number } => typeof v === 'object' && v !== null && typeof (v as { p?: unknown }).p === 'string';
		const store = new BoundedStore(data, {
			key: 'files',
			limit: 10,
			shape: { kind: 'list', keyOf: (v: { p: string; t: number }) => v.p },
			isValue: isEntry,
			lastUsed: (v) => v.t,
			maxAgeSeconds: 500,
			now: () => 1_200,
		});
		expect(store.size).toBe(2);
		store.save();
		expect(data.files).toEqual([{ p: '/b', t: 1_000 }]);
	});

	it('keeps every entry used in this run with keepUsedThisRun and says it is over the limit', () => {
		const data: Record<string, unknown> = {};
		const store = new BoundedStore<string>(data, { key: 'k', limit: 1, shape: { kind: 'object' }, isValue: isString, keepUsedThisRun: true });
		store.set('x', '1');
		store.set('y', '2');
		store.save();
		expect(Object.keys(data.k as object)).toEqual(['x', 'y']);
		expect(store.overLimit).toBe(true);
	});

	it('writes a record through at once, in place, dropping the oldest beyond the limit, with any key as a plain entry', () => {
		const data: Record<string, unknown> = { sent: { old: 'h0 1' } };
		const stored = data.sent;
		const store = new BoundedStore<string>(data, { key: 'sent', limit: 2, shape: { kind: 'object' }, isValue: isString });
		store.record('__proto__', 'h1 2');
		store.record('R2', 'h2 3');
		expect(data.sent).toBe(stored);
		expect(Object.keys(data.sent as object)).toEqual(['__proto__', 'R2']);
		expect(Object.getPrototypeOf(data.sent)).toBe(Object.prototype);
		store.record('__proto__', 'h1 4');
		expect(Object.entries(data.sent as object)).toEqual([
			['R2', 'h2 3'],
			['__proto__', 'h1 4'],
		]);
	});

	it('leaves the static data untouched until the mailer records a sent invoice (a dry run records nothing)', () => {
		const staticData = {};
		const ledger = new SentLedger(staticData, 2);
		expect(ledger.lookup('R1')).toBeUndefined();
		expect(staticData).toEqual({});
		ledger.record('R1', 'abc', new Date(1_000_000), true);
		expect(ledger.lookup('R1')).toEqual({ hash: 'abc', sentAt: new Date(1_000_000), uncertain: true });
		expect(Object.keys(staticData)).toEqual(['sentInvoices', 'lastSentAt']);
	});
});
