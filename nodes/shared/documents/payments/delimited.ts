import { csvRows, readCsv, type CsvOptions } from '../csv';

/**
 * DATEV and bank CSV files through the shared CSV reader, with the policy bank exports need: text after a
 * closing quote is kept (as spreadsheet programs do), blank lines are no records, control characters refused.
 */

export interface DelimitedRecord {
	fields: string[];
	/** 1-based line where the record starts */
	line: number;
}

export function bankCsvOptions(delimiter: string, file?: string): CsvOptions {
	return { delimiter, file, afterClosingQuote: 'keep', blankLines: 'skip', refuseControlCharacters: true };
}

/** The records with the line each starts on. */
export function readDelimited(text: string, delimiter: string, file?: string): DelimitedRecord[] {
	return readCsv(text, bankCsvOptions(delimiter, file)).map(({ fields, line }) => ({ fields, line }));
}

/** The records one at a time, for parsers that handle each as it comes. */
export function* delimitedRecords(text: string, delimiter: string, file?: string): Generator<DelimitedRecord> {
	for (const { fields, line } of csvRows(text, bankCsvOptions(delimiter, file))) yield { fields, line };
}
