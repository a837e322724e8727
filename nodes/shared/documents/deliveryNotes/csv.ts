import { DocumentError } from '../DocumentError';
import { csvRows, readCsv, type CsvOptions, type CsvRow } from '../csv';
import { decodeText } from '../text';
import type { DeliveryNote, DeliveryNoteLine } from './types';
import { addOnce, normaliseDate, normaliseDecimal } from './values';

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

/** One record: its fields, its record number (counting the header and blank lines) and its first line. */
export type CsvRecord = CsvRow;

type Field = keyof CsvColumns;

interface ResolvedColumn {
	index: number;
	/** how the user will recognise the column in an error message */
	label: string;
}

export function parseDeliveryNoteCsv(bytes: Uint8Array, mapping: CsvMapping, file?: string): DeliveryNote[] {
	const delimiter = delimiterOf(mapping.delimiter, file);
	const notes = new Map<string, DeliveryNote>();
	let header: CsvRecord | undefined;
	let columns: Map<Field, ResolvedColumn> | undefined;
	for (const row of csvRows(decodeText(bytes, mapping.encoding, file), csvOptions(delimiter, file))) {
		if (!row.fields.some((f) => f.trim() !== '')) continue;
		if (mapping.headerRow && !header) {
			header = row;
			continue;
		}
		columns ??= resolveColumns(mapping.columns, header, file);
		addRow(notes, row, columns, mapping, file);
	}
	if (!columns) {
		// an empty attachment is a failed export, not a delivery of nothing: let the mail go to the error folder
		throw new DocumentError('MISSING_FIELD', header ? 'the file has a header row but no data rows' : 'the file is empty', file);
	}
	return [...notes.values()];
}

/** Delivery notes are strict about quoting: text after a closing quote is an error, not part of the field. */
function csvOptions(delimiter: string, file?: string): CsvOptions {
	return { delimiter, file, afterClosingQuote: 'error', blankLines: 'keep', quoteAfterBlanks: true, refuseControlCharacters: true };
}

function addRow(notes: Map<string, DeliveryNote>, row: CsvRecord, columns: Map<Field, ResolvedColumn>, mapping: CsvMapping, file?: string): void {
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
		fail('INVALID_VALUE', 'quantity', `"${rawQuantity}" is not a number with decimal separator "${mapping.decimalSeparator}"`);
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
	const line = { lineNumber: cell('lineNumber') ?? String(note.lines.length + 1) } as DeliveryNoteLine;
	// keys are only ever added (never deleted, which would turn each of a million line objects into a hash table)
	setIfGiven(line, 'supplierArticleNumber', cell('articleNumber'));
	setIfGiven(line, 'gtin', cell('gtin'));
	setIfGiven(line, 'description', cell('description'));
	line.quantity = quantity;
	setIfGiven(line, 'unit', cell('unit'));
	setIfGiven(line, 'orderNumber', orderNumber);
	note.lines.push(line);
}

function setIfGiven(line: DeliveryNoteLine, key: 'supplierArticleNumber' | 'gtin' | 'description' | 'unit' | 'orderNumber', value: string | undefined): void {
	if (value !== undefined && value !== '') line[key] = value;
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

/** The records of a delivery-note CSV text, blank lines included, read by the shared CSV reader. */
export function readCsvRecords(text: string, delimiter: string, file?: string): CsvRecord[] {
	return readCsv(text, csvOptions(delimiter, file));
}
