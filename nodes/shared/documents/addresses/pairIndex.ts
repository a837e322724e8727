/**
 * Entry numbers filed under a pair of strings (a name code and a postcode, a postcode and a street code …),
 * kept small for an address book of hundreds of thousands: each string becomes a small integer once (shared by
 * all the indexes of one book), the pair a map within a map keyed by those integers, and a list of one entry
 * is the entry's number itself rather than an array.
 */
export class PairIndex {
	private readonly outer = new Map<number, Map<number, number | number[]>>();

	constructor(private readonly ids: Map<string, number>) {}

	add(a: string, b: string, entry: number): void {
		const x = this.id(a);
		const y = this.id(b);
		let inner = this.outer.get(x);
		if (!inner) {
			inner = new Map();
			this.outer.set(x, inner);
		}
		const list = inner.get(y);
		if (list === undefined) inner.set(y, entry);
		else if (typeof list === 'number') inner.set(y, [list, entry]);
		else list.push(entry);
	}

	/** The entries filed under the pair, handed one by one to `take`. */
	forEach(a: string, b: string, take: (entry: number) => void): void {
		const x = this.ids.get(a);
		const y = this.ids.get(b);
		if (x === undefined || y === undefined) return;
		const list = this.outer.get(x)?.get(y);
		if (list === undefined) return;
		if (typeof list === 'number') take(list);
		else for (const entry of list) take(entry);
	}

	private id(s: string): number {
		let n = this.ids.get(s);
		if (n === undefined) {
			n = this.ids.size;
			this.ids.set(s, n);
		}
		return n;
	}
}
