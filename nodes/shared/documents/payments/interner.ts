/**
 * One string for equal short values within one file: dates, currencies, booking texts, BICs, payer names and
 * IBANs repeat from entry to entry, and a big file's payments would otherwise each hold copies of them (a
 * quarter to a third of their memory). Bounded: long texts are not looked up, and past 50,000 distinct values
 * new ones are no longer remembered. The values handed out are equal to the ones given, so no output changes.
 */
export type Interner = <T extends string | undefined>(value: T) => T;

const LONGEST = 48;
const MOST = 50_000;

export function interner(): Interner {
	const seen = new Map<string, string>();
	return <T extends string | undefined>(value: T): T => {
		if (value === undefined || value.length > LONGEST) return value;
		const known = seen.get(value);
		if (known !== undefined) return known as T;
		if (seen.size < MOST) seen.set(value, value);
		return value;
	};
}
