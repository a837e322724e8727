import { readCsv } from '../../nodes/shared/documents/csv';
import { DocumentError } from '../../nodes/shared/documents/DocumentError';
import { readDelimited } from '../../nodes/shared/documents/payments';
import { readCsvRecords } from '../../nodes/shared/documents/deliveryNotes/csv';

function errorOf(fn: () => unknown): DocumentError {
	try {
		fn();
	} catch (error) {
		if (error instanceof DocumentError) return error;
		throw error;
	}
	throw new Error('expected a DocumentError');
}

describe('the shared CSV reader', () => {
	it.each([
		['CR', '\r'],
		['LF', '\n'],
		['CRLF', '\r\n'],
	])('reads 64,000 quoted rows with %s line ends in linear time', (_name, eol) => {
		const text = Array.from({ length: 64_000 }, (_, i) => `"LS-${i}";"Zeile ${eol}zwei";"1,5"`).join(eol);
		const started = performance.now();
		const rows = readCsv(text, { delimiter: ';' });
		expect(performance.now() - started).toBeLessThan(3000);
		expect(rows).toHaveLength(64_000);
		expect(rows[63_999]).toEqual({ fields: ['LS-63999', `Zeile ${eol}zwei`, '1,5'], record: 64_000, line: 127_999 });
	});

	it('counts a lone CR inside quotes as a line break, so later positions stay right', () => {
		const error = errorOf(() => readCsv('"a\rb";1\r"c" x;2', { delimiter: ';', file: 'cr.csv' }));
		expect(error.message).toBe('cr.csv: line 3, column 4, record 2: unexpected " " after the closing quote of a field (a quote inside a quoted field must be doubled: "")');
	});

	it('keeps text after a closing quote under the lenient policy, as bank exports need', () => {
		expect(readCsv('"12" Zoll;5', { delimiter: ';', afterClosingQuote: 'keep' })[0].fields).toEqual(['12 Zoll', '5']);
		expect(readDelimited('"12" Zoll;5', ';')[0].fields).toEqual(['12 Zoll', '5']);
		expect(() => readCsvRecords('"12" Zoll;5', ';')).toThrow(/after the closing quote/);
	});

	it('skips or keeps blank lines by option', () => {
		expect(readCsv('a\n\nb', { delimiter: ';' }).map((r) => r.record)).toEqual([1, 3]);
		expect(readCsv('a\n\nb', { delimiter: ';', blankLines: 'keep' }).map((r) => r.fields)).toEqual([['a'], [''], ['b']]);
	});

	it('opens a quote after blanks only when told to', () => {
		expect(readCsv('a; "b;c"', { delimiter: ';', quoteAfterBlanks: true })[0].fields).toEqual(['a', 'b;c']);
		expect(readCsv('a; "b;c"', { delimiter: ';' })[0].fields).toEqual(['a', ' "b', 'c"']);
	});

	it('refuses control characters in a field, naming line, record and field', () => {
		const error = errorOf(() => readDelimited('Datum;Betrag\n01.03.2025;"12\u0000,00"', ';', 'bank.csv'));
		expect(error).toMatchObject({ code: 'INVALID_VALUE', position: { line: 2, record: 2, element: 'field 2' } });
		expect(error.message).toContain('U+0000');
		expect(() => readCsvRecords('LS-1;\u001b[31m;5', ';')).toThrow(/U\+001B/);
	});

	it('names where an unclosed quote opened', () => {
		const error = errorOf(() => readCsv('a;b\nc;"open\rnever closed', { delimiter: ';', file: 'cut.csv' }));
		expect(error).toMatchObject({ code: 'PARSE_ERROR', position: { line: 2, column: 3, record: 2 } });
	});

	it('refuses a delimiter that is a quote or a line break', () => {
		expect(() => readCsv('a', { delimiter: '"' })).toThrow(/delimiter/);
		expect(() => readCsv('a', { delimiter: ';;' })).toThrow(/delimiter/);
	});
});
