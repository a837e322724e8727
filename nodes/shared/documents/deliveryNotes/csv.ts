import { DocumentError } from '../DocumentError';
import { decodeText } from '../text';
import type { DeliveryNote, DeliveryNoteLine } from './types';
import { addOnce, normaliseDate, normaliseDecimal, withoutEmpty } from './values';

/**
 * Supplier CSV delivery notes. There is no standard, so the user maps columns to fields once per supplier.
 * One row is one delivery note line; rows with the same delivery note number make one DeliveryNote.
 */

/** A header name (when the file has a header row) or a 1-based column number. */
export type CsvColumn = string | number;

export interface CsvColumns {
	deliveryNoteNumber: CsvColumn;
	/** the delivery note's date (Lieferscheindatum) → `documentDate` */
	date?: CsvColumn;
	orderNumber?: CsvColumn;
	/** the supplier's article number */
	articleNumber?: CsvColumn;
	gtin?: CsvColumn;
	description?: CsvColumn;
	quantity: CsvColumn;
	unit?: CsvColumn;
	/** when not mapped, lines are numbered 1, 2, … within each delivery note */
	lineNumber?: CsvColumn;
}

export interface CsvMapping {
	/** one character: ',', ';', '|' or a tab (also accepted written as `\t`) */
	delimiter: string;
	decimalSeparator: '.' | ',';
	/** used unless the file starts with a byte-order mark */
	encoding: 'utf-8' | 'windows-1252' | 'iso-8859-1';
	headerRow: boolean;
	columns: CsvColumns;
}

export interface CsvRecord {
	fields: string[];
	/** 1-based record number, counting the header and blank lines: the row number a spreadsheet shows */
	record: number;
	/** the line the record starts on (differs from `record` after a quoted field with line breaks) */
	line: number;
}

type Field = keyof CsvColumns;

interface ResolvedColumn {
	index: number;
	/** how the user will recognise the column in an error message */
	label: string;
}

export function parseDeliveryNoteCsv(bytes: Uint8Array, mapping: CsvMapping, file?: string): DeliveryNote[] {
	const delimiter = delimiterOf(mapping.delimiter, file);
	const records = readCsvRecords(decodeText(bytes, mapping.encoding, file), delimiter, file).filter(
		(r) => r.fields.some((f) => f.trim() !== ''),
	);
	const header = mapping.headerRow ? records.shift() : undefined;
	if (!records.length) {
		// an empty attachment is a failed export, not a delivery of nothing: let the mail go to the error folder
		throw new DocumentError('MISSING_FIELD', header ? 'the file has a header row but no data rows' : 'the file is empty', file);
	}
	const columns = resolveColumns(mapping.columns, header, file);

	const notes = new Map<string, DeliveryNote>();
	for (const row of records) {
		const cell = (field: Field): string | undefined => {
			const column = columns.get(field);
			const text = column ? (row.fields[column.index] ?? '').trim() : '';
			return text === '' ? undefined : text;
		};
		const fail = (code: 'MISSING_FIELD' | 'INVALID_VALUE', field: Field, reason: string): never => {
			const position = { record: row.record, element: columns.get(field)!.label };
			throw new DocumentError(code, reason, file, row.line !== row.record ? { line: row.line, ...position } : position);
		};

		const deliveryNoteNumber =
			cell('deliveryNoteNumber') ?? fail('MISSING_FIELD', 'deliveryNoteNumber', 'the delivery note number is empty');
		const rawQuantity = cell('quantity') ?? fail('MISSING_FIELD', 'quantity', 'the quantity is empty');
		const quantity =
			normaliseDecimal(rawQuantity, mapping.decimalSeparator, true) ??
			fail(
				'INVALID_VALUE',
				'quantity',
				`"${rawQuantity}" is not a number with decimal separator "${mapping.decimalSeparator}"`,
			);
		const rawDate = cell('date');
		const date =
			rawDate === undefined
				? undefined
				: (normaliseDate(rawDate) ??
					fail('INVALID_VALUE', 'date', `"${rawDate}" is not a date (YYYY-MM-DD, DD.MM.YYYY, DD.MM.YY or YYYYMMDD)`));

		let note = notes.get(deliveryNoteNumber);
		if (!note) {
			note = { format: 'csv', deliveryNoteNumber, orderNumbers: [], parties: [], lines: [] };
			if (file) note.sourceFile = file;
			notes.set(deliveryNoteNumber, note);
		}
		if (date && !note.documentDate) note.documentDate = date;
		const orderNumber = cell('orderNumber');
		addOnce(note.orderNumbers, orderNumber);
		const line: DeliveryNoteLine = withoutEmpty({
			lineNumber: cell('lineNumber') ?? String(note.lines.length + 1),
			supplierArticleNumber: cell('articleNumber'),
			gtin: cell('gtin'),
			description: cell('description'),
			quantity,
			unit: cell('unit'),
			orderNumber,
		});
		note.lines.push(line);
	}
	return [...notes.values()];
}

function delimiterOf(given: string, file?: string): string {
	const delimiter = given === '\\t' || given.toLowerCase() === 'tab' ? '\t' : given;
	if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
		throw new DocumentError('INVALID_VALUE', `the CSV delimiter must be one character other than a quote, not "${given}"`, file);
	}
	return delimiter;
}

function resolveColumns(columns: CsvColumns, header: CsvRecord | undefined, file?: string): Map<Field, ResolvedColumn> {
	const resolved = new Map<Field, ResolvedColumn>();
	const names = header?.fields.map((f) => f.trim());
	for (const field of Object.keys(columns) as Field[]) {
		const spec = columns[field];
		if (spec === undefined || spec === '') continue;
		const text = String(spec).trim();
		const byName = names?.findIndex((n) => n.toLowerCase() === text.toLowerCase()) ?? -1;
		if (byName >= 0) {
			resolved.set(field, { index: byName, label: `column "${names![byName]}"` });
		} else if (/^[1-9]\d*$/.test(text)) {
			const index = Number(text) - 1;
			const label = names?.[index] ? `column ${text} ("${names[index]}")` : `column ${text}`;
			resolved.set(field, { index, label });
		} else if (names) {
			throw new DocumentError(
				'MISSING_FIELD',
				`the header row has no column "${text}" (mapped to ${field}); it has: ${names.map((n) => `"${n}"`).join(', ')}`,
				file,
				{ record: header!.record, element: `column "${text}"` },
			);
		} else {
			throw new DocumentError(
				'INVALID_VALUE',
				`the file has no header row, so ${field} must name a column by number (1 = first), not "${text}"`,
				file,
			);
		}
	}
	return resolved;
}

/**
 * RFC 4180 records: fields in double quotes may hold the delimiter, line breaks and doubled quotes (`""`).
 * CRLF, LF and lone CR all end a record. A quote inside an unquoted field is kept as text (`12" Rohr`), as
 * spreadsheets do; text after a closing quote is an error, since it means the quoting is broken.
 */
export function readCsvRecords(text: string, delimiter: string, file?: string): CsvRecord[] {
	const records: CsvRecord[] = [];
	let fields: string[] = [];
	let field = '';
	let inQuotes = false;
	let afterQuote = false;
	let line = 1;
	let column = 1;
	let recordLine = 1;
	let quoteStart = { line: 1, column: 1 };

	const endRecord = () => {
		fields.push(field);
		records.push({ fields, record: records.length + 1, line: recordLine });
		fields = [];
		field = '';
		afterQuote = false;
	};

	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (inQuotes) {
			if (c === '"') {
				if (text[i + 1] === '"') {
					field += '"';
					i++;
					column++;
				} else {
					inQuotes = false;
					afterQuote = true;
				}
			} else {
				field += c;
			}
			if (c === '\n') {
				line++;
				column = 1;
			} else column++;
			continue;
		}
		if (c === '\r' || c === '\n') {
			if (c === '\r' && text[i + 1] === '\n') i++;
			endRecord();
			line++;
			column = 1;
			recordLine = line;
			continue;
		}
		if (c === delimiter) {
			fields.push(field);
			field = '';
			afterQuote = false;
		} else if (afterQuote) {
			throw new DocumentError(
				'PARSE_ERROR',
				`unexpected "${c}" after the closing quote of a field (a quote inside a quoted field must be doubled: "")`,
				file,
				{ line, column, record: records.length + 1 },
			);
		} else if (c === '"' && field.trim() === '') {
			inQuotes = true;
			field = '';
			quoteStart = { line, column };
		} else {
			field += c;
		}
		column++;
	}
	if (inQuotes) {
		throw new DocumentError(
			'PARSE_ERROR',
			'a quoted field is never closed; the file may be truncated',
			file,
			{ ...quoteStart, record: records.length + 1 },
		);
	}
	if (field !== '' || fields.length || afterQuote) endRecord();
	return records;
}
