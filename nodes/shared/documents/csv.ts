import { DocumentError } from './DocumentError';
import { refuseControlCharacters } from './text';

/**
 * The one CSV reader (RFC 4180) of the documents layer, for delivery-note CSV, DATEV and bank exports.
 *
 * Fields are separated by one character and may be quoted with `"`; inside quotes a doubled `""` is one quote
 * and the delimiter and line breaks are text. CRLF, LF and a lone CR all end a record, also inside quotes for
 * the line count. A quote inside an unquoted field is text (`12" Rohr`), as spreadsheets write it.
 *
 * The reader walks the text once, taking each run of plain characters as one slice, so time is linear in the
 * length of the text whatever the line ends are, and rows are handed out one at a time (`csvRows`), so that a
 * caller need not hold them all. Where formats differ the caller says so by option:
 * - `afterClosingQuote`: `'error'` (text between a closing quote and the next delimiter means the quoting is
 *   broken; delivery notes) or `'keep'` (appended to the field, as spreadsheet programs do; bank exports);
 * - `blankLines`: `'keep'` (a blank line is a row of one empty field) or `'skip'`;
 * - `quoteAfterBlanks`: a quote after leading blanks still opens a quoted field (the blanks are dropped);
 * - `refuseControlCharacters`: a field holding a control character (NUL, ESC …) is an error naming the place.
 */

export interface CsvOptions {
	/** one character other than a quote or a line break */
	delimiter: string;
	/** the file's name, for error messages */
	file?: string;
	afterClosingQuote?: 'error' | 'keep';
	blankLines?: 'keep' | 'skip';
	quoteAfterBlanks?: boolean;
	refuseControlCharacters?: boolean;
}

export interface CsvRow {
	fields: string[];
	/** 1-based record number, counting blank lines (also skipped ones): the row number a spreadsheet shows */
	record: number;
	/** 1-based line the record starts on (differs from `record` after a quoted field with line breaks) */
	line: number;
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

export function checkDelimiter(delimiter: string, file?: string): number {
	if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
		throw new DocumentError('INVALID_VALUE', `the delimiter must be one character other than a quote or line break, not "${delimiter}"`, file);
	}
	return delimiter.charCodeAt(0);
}

/** Every row of the text, in order; see the module comment for the options. */
export function readCsv(text: string, options: CsvOptions): CsvRow[] {
	return [...csvRows(text, options)];
}

/** The rows one at a time: a parser that handles each row as it comes holds only its own results. */
export function* csvRows(text: string, options: CsvOptions): Generator<CsvRow> {
	const reader = new CsvReader(text, options);
	for (let row = reader.next(); row; row = reader.next()) {
		const blank = row.fields.length === 1 && row.fields[0] === '';
		if (!blank || options.blankLines === 'keep') yield row;
	}
}

class CsvReader {
	private i = 0;
	private line = 1;
	private lineStart = 0;
	private record = 0;
	private readonly delimiter: number;

	constructor(
		private readonly text: string,
		private readonly options: CsvOptions,
	) {
		this.delimiter = checkDelimiter(options.delimiter, options.file);
	}

	next(): CsvRow | undefined {
		const { text } = this;
		if (this.i >= text.length) return undefined;
		this.record++;
		const row: CsvRow = { fields: [], record: this.record, line: this.line };
		for (;;) {
			const value = this.field();
			if (this.options.refuseControlCharacters) {
				refuseControlCharacters(value, this.options.file, { line: row.line, record: row.record, element: `field ${row.fields.length + 1}` });
			}
			row.fields.push(value);
			if (this.i < text.length && text.charCodeAt(this.i) === this.delimiter) {
				this.i++;
				continue;
			}
			if (this.i < text.length) this.lineBreak();
			return row;
		}
	}

	/** Reads one field and leaves `i` on the delimiter, the line break or the end of the text after it. */
	private field(): string {
		const { text } = this;
		const begin = this.i;
		let start = begin;
		if (this.options.quoteAfterBlanks) {
			while (start < text.length && this.isBlank(text.charCodeAt(start))) start++;
		}
		if (start >= text.length || text.charCodeAt(start) !== QUOTE) {
			this.i = this.plainEnd(begin);
			return text.slice(begin, this.i);
		}
		let value = this.quoted(start);
		const end = this.plainEnd(this.i);
		if (end > this.i) {
			if (this.options.afterClosingQuote !== 'keep') {
				throw new DocumentError(
					'PARSE_ERROR',
					`unexpected "${text[this.i]}" after the closing quote of a field (a quote inside a quoted field must be doubled: "")`,
					this.options.file,
					{ line: this.line, column: this.i - this.lineStart + 1, record: this.record },
				);
			}
			value += text.slice(this.i, end);
			this.i = end;
		}
		return value;
	}

	private isBlank(c: number): boolean {
		return (c === SPACE || c === TAB) && c !== this.delimiter;
	}

	/** The index of the next delimiter or line break from `from`, or the text's end. */
	private plainEnd(from: number): number {
		const { text, delimiter } = this;
		let e = from;
		for (; e < text.length; e++) {
			const c = text.charCodeAt(e);
			if (c === delimiter || c === LF || c === CR) break;
		}
		return e;
	}

	/** Reads a quoted field whose opening quote is at `open`; counts the line breaks inside it. */
	private quoted(open: number): string {
		const { text } = this;
		const opened = { line: this.line, column: open - this.lineStart + 1, record: this.record };
		let value = '';
		let from = open + 1;
		for (;;) {
			const quote = text.indexOf('"', from);
			if (quote < 0) {
				throw new DocumentError('PARSE_ERROR', 'a quoted field is never closed; the file may be truncated', this.options.file, opened);
			}
			this.countLines(from, quote);
			const doubled = text.charCodeAt(quote + 1) === QUOTE;
			value += text.slice(from, doubled ? quote + 1 : quote);
			from = quote + (doubled ? 2 : 1);
			if (!doubled) break;
		}
		this.i = from;
		return value;
	}

	private countLines(from: number, to: number): void {
		const { text } = this;
		for (let k = from; k < to; k++) {
			const c = text.charCodeAt(k);
			if (c === LF || (c === CR && text.charCodeAt(k + 1) !== LF)) {
				this.line++;
				this.lineStart = k + 1;
			}
		}
	}

	private lineBreak(): void {
		const { text } = this;
		this.i += text.charCodeAt(this.i) === CR && text.charCodeAt(this.i + 1) === LF ? 2 : 1;
		this.line++;
		this.lineStart = this.i;
	}
}
