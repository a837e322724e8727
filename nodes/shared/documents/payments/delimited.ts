import { DocumentError } from '../DocumentError';

/**
 * A small RFC 4180 reader for DATEV and bank CSV files: fields separated by one character, quoted
 * with `"`, a doubled `""` inside quotes is one quote, and a quoted field may span lines. CRLF, LF and
 * CR all end a record. Each record remembers the line it starts on, for error messages.
 */

export interface DelimitedRecord {
	fields: string[];
	/** 1-based line where the record starts */
	line: number;
}

export function readDelimited(text: string, delimiter: string, file?: string): DelimitedRecord[] {
	if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
		throw new DocumentError('INVALID_VALUE', `the delimiter must be one character other than a quote or line break, not "${delimiter}"`, file);
	}
	const records: DelimitedRecord[] = [];
	let fields: string[] = [];
	let field = '';
	let line = 1;
	let recordLine = 1;
	let i = 0;
	let atFieldStart = true;

	const endField = () => {
		fields.push(field);
		field = '';
		atFieldStart = true;
	};
	const endRecord = () => {
		endField();
		// a blank line is no record
		if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
		fields = [];
	};

	while (i < text.length) {
		const ch = text[i];
		if (atFieldStart && ch === '"') {
			const quoteLine = line;
			const quoteColumn = i - text.lastIndexOf('\n', i - 1);
			i++;
			for (;;) {
				if (i >= text.length) {
					throw new DocumentError('PARSE_ERROR', 'a quoted field is not closed before the end of the file', file, {
						line: quoteLine,
						column: quoteColumn,
					});
				}
				const c = text[i];
				if (c === '"') {
					if (text[i + 1] === '"') {
						field += '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (c === '\n') line++;
				else if (c === '\r' && text[i + 1] !== '\n') line++;
				field += c;
				i++;
			}
			atFieldStart = false;
			// text between the closing quote and the next delimiter is kept, as spreadsheet programs do
			continue;
		}
		atFieldStart = false;
		if (ch === delimiter) {
			endField();
			i++;
		} else if (ch === '\r' || ch === '\n') {
			endRecord();
			i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
			line++;
			recordLine = line;
		} else {
			field += ch;
			i++;
		}
	}
	if (field !== '' || fields.length > 0) endRecord();
	return records;
}
