import { parseDeliveryNoteCsv, readCsvRecords, type CsvMapping } from '../../../nodes/shared/documents/deliveryNotes/csv';
import { expectDocumentError, fixture } from './helpers';

const MUELLER = 'lieferschein-mueller-semikolon-cp1252.csv';
const muellerBytes = fixture('csv', MUELLER);
const muellerMapping: CsvMapping = {
	delimiter: ';',
	decimalSeparator: ',',
	encoding: 'windows-1252',
	headerRow: true,
	columns: {
		deliveryNoteNumber: 'Lieferschein-Nr.',
		date: 'Lieferdatum',
		orderNumber: 'Bestell-Nr.',
		lineNumber: 'Pos.',
		articleNumber: 'Artikel-Nr.',
		gtin: 'EAN',
		description: 'Bezeichnung',
		quantity: 'Menge',
		unit: 'Einheit',
	},
};

const NO_HEADER = 'delivery-note-comma-utf8-no-header.csv';
const noHeaderBytes = fixture('csv', NO_HEADER);
const noHeaderMapping: CsvMapping = {
	delimiter: ',',
	decimalSeparator: '.',
	encoding: 'utf-8',
	headerRow: false,
	columns: {
		deliveryNoteNumber: '1',
		date: '2',
		orderNumber: '3',
		lineNumber: '4',
		articleNumber: '5',
		description: '6',
		quantity: '7',
		unit: 8,
	},
};

/** The Müller file with `edit` applied to its text, re-encoded as Windows-1252. */
function muellerWith(edit: (text: string) => string): Buffer {
	const text = muellerBytes.toString('latin1');
	const edited = edit(text);
	expect(edited).not.toBe(text);
	return Buffer.from(edited, 'latin1');
}

describe('parseDeliveryNoteCsv with a semicolon, decimal-comma, Windows-1252 file with header row', () => {
	const notes = parseDeliveryNoteCsv(muellerBytes, muellerMapping, MUELLER);

	it('groups the rows into one delivery note per number, in file order', () => {
		expect(notes.map((n) => n.deliveryNoteNumber)).toEqual(['LS-2024-0815', 'LS-2024-0816']);
		expect(notes.map((n) => n.lines.length)).toEqual([3, 1]);
		expect(notes.every((n) => n.format === 'csv' && n.sourceFile === MUELLER && n.parties.length === 0)).toBe(true);
	});

	it('converts DD.MM.YYYY dates and collects the order numbers', () => {
		expect(notes.map((n) => n.documentDate)).toEqual(['2024-03-05', '2024-03-06']);
		expect(notes.map((n) => n.orderNumbers)).toEqual([['B-4711', 'B-4712'], ['B-4713']]);
	});

	it('reads umlauts, quoted fields with doubled quotes and delimiters, and quantities with thousands points', () => {
		expect(notes[0].lines).toEqual([
			{
				lineNumber: '1',
				supplierArticleNumber: 'SCH-M6-20',
				gtin: '4006381333931',
				description: 'Schraube M6 verzinkt, Größe 20 mm',
				quantity: '1250',
				unit: 'Stk',
				orderNumber: 'B-4711',
			},
			{
				lineNumber: '2',
				supplierArticleNumber: 'MUT-M6',
				gtin: '4006381333948',
				description: 'Sechskantmutter M6 "DIN 934"; verzinkt',
				quantity: '500',
				unit: 'Stk',
				orderNumber: 'B-4711',
			},
			{
				lineNumber: '3',
				supplierArticleNumber: 'DRA-1,5',
				description: 'Bindedraht 1,5 mm, geglüht',
				quantity: '2.5',
				unit: 'kg',
				orderNumber: 'B-4712',
			},
		]);
		expect(notes[1].lines).toEqual([
			{
				lineNumber: '1',
				supplierArticleNumber: 'DUE-8',
				gtin: '4006381333955',
				description: 'Dübel 8 mm für Beton',
				quantity: '1000',
				unit: 'Stk',
				orderNumber: 'B-4713',
			},
		]);
	});

	it('matches header names without regard to case and surrounding spaces', () => {
		const mapping = { ...muellerMapping, columns: { ...muellerMapping.columns, quantity: ' menge ', unit: 'EINHEIT' } };
		expect(parseDeliveryNoteCsv(muellerBytes, mapping, MUELLER)).toEqual(notes);
	});

	it('numbers the lines of each note 1, 2, … when no line number column is mapped', () => {
		const { lineNumber: _unused, ...columns } = muellerMapping.columns;
		const unnumbered = parseDeliveryNoteCsv(muellerBytes, { ...muellerMapping, columns }, MUELLER);
		expect(unnumbered.map((n) => n.lines.map((l) => l.lineNumber))).toEqual([['1', '2', '3'], ['1']]);
	});
});

describe('parseDeliveryNoteCsv with a comma, decimal-point, UTF-8 file without header row', () => {
	const notes = parseDeliveryNoteCsv(noHeaderBytes, noHeaderMapping, NO_HEADER);

	it('reads columns by number, ISO and YYYYMMDD dates, and a quoted quantity with a thousands comma', () => {
		expect(notes).toEqual([
			{
				format: 'csv',
				deliveryNoteNumber: 'DN-900117',
				documentDate: '2024-03-07',
				orderNumbers: ['PO-88121'],
				parties: [],
				sourceFile: NO_HEADER,
				lines: [
					{
						lineNumber: '10',
						supplierArticleNumber: 'A-100',
						description: 'Kabelbinder 200 x 4,8 mm, schwarz',
						quantity: '100',
						unit: 'C62',
						orderNumber: 'PO-88121',
					},
					{
						lineNumber: '20',
						supplierArticleNumber: 'A-205',
						description: 'Isolierband 19 mm x 20 m, blau',
						quantity: '12.5',
						unit: 'MTR',
						orderNumber: 'PO-88121',
					},
				],
			},
			{
				format: 'csv',
				deliveryNoteNumber: 'DN-900118',
				documentDate: '2024-03-08',
				orderNumbers: ['PO-88130'],
				parties: [],
				sourceFile: NO_HEADER,
				lines: [
					{
						lineNumber: '10',
						supplierArticleNumber: 'A-310',
						description: 'Aderendhülsen 1,5 mm²\nBeutel mit 500 Stück',
						quantity: '1500',
						unit: 'C62',
						orderNumber: 'PO-88130',
					},
				],
			},
		]);
	});

	it('lets a UTF-8 byte-order mark win over the configured encoding', () => {
		const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), noHeaderBytes]);
		expect(parseDeliveryNoteCsv(withBom, { ...noHeaderMapping, encoding: 'windows-1252' }, NO_HEADER)).toEqual(notes);
	});

	it('reads the same rows with CRLF line ends and a tab delimiter written as \\t', () => {
		const tabbed = noHeaderBytes
			.toString('utf8')
			.replace(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/g, '\t')
			.replace(/\n(?=DN-)/g, '\r\n');
		const parsed = parseDeliveryNoteCsv(Buffer.from(tabbed), { ...noHeaderMapping, delimiter: '\\t' }, NO_HEADER);
		expect(parsed).toEqual(notes);
	});
});

describe('parseDeliveryNoteCsv refuses', () => {
	it('a row without quantity as MISSING_FIELD naming file, record and column', () => {
		const bytes = muellerWith((t) => t.replace(';2,5;kg', ';;kg'));
		const error = expectDocumentError(
			() => parseDeliveryNoteCsv(bytes, muellerMapping, MUELLER),
			'MISSING_FIELD',
			/^lieferschein-mueller-semikolon-cp1252\.csv: record 4, at column "Menge": the quantity is empty$/,
		);
		expect(error.position).toEqual({ record: 4, element: 'column "Menge"' });
	});

	it('a row without delivery note number, naming the line where a record after a multi-line field starts', () => {
		const bytes = Buffer.concat([noHeaderBytes, Buffer.from('\n,2024-03-09,PO-1,10,A-1,x,1,C62')]);
		expectDocumentError(
			() => parseDeliveryNoteCsv(bytes, noHeaderMapping, NO_HEADER),
			'MISSING_FIELD',
			/^delivery-note-comma-utf8-no-header\.csv: line 5, record 4, at column 1: the delivery note number is empty$/,
		);
	});

	it('a mapped header name that the file does not have, listing the ones it has', () => {
		const mapping = { ...muellerMapping, columns: { ...muellerMapping.columns, quantity: 'Anzahl' } };
		expectDocumentError(
			() => parseDeliveryNoteCsv(muellerBytes, mapping, MUELLER),
			'MISSING_FIELD',
			/^lieferschein-mueller-semikolon-cp1252\.csv: record 1, at column "Anzahl": the header row has no column "Anzahl" \(mapped to quantity\); it has: "Lieferant", "Lieferschein-Nr\.",/,
		);
	});

	it('a column name when the file has no header row', () => {
		const mapping = { ...noHeaderMapping, columns: { ...noHeaderMapping.columns, quantity: 'Menge' } };
		expectDocumentError(
			() => parseDeliveryNoteCsv(noHeaderBytes, mapping, NO_HEADER),
			'INVALID_VALUE',
			/^delivery-note-comma-utf8-no-header\.csv: the file has no header row, so quantity must name a column by number/,
		);
	});

	it('a decimal-comma quantity read with decimal point, instead of taking 1.250,00 as 1.25', () => {
		expectDocumentError(
			() => parseDeliveryNoteCsv(muellerBytes, { ...muellerMapping, decimalSeparator: '.' }, MUELLER),
			'INVALID_VALUE',
			/^lieferschein-mueller-semikolon-cp1252\.csv: record 2, at column "Menge": "1\.250,00" is not a number with decimal separator "\."$/,
		);
	});

	it('an impossible date as INVALID_VALUE', () => {
		const bytes = muellerWith((t) => t.replace('06.03.2024', '31.02.2024'));
		expectDocumentError(
			() => parseDeliveryNoteCsv(bytes, muellerMapping, MUELLER),
			'INVALID_VALUE',
			/^lieferschein-mueller-semikolon-cp1252\.csv: record 5, at column "Lieferdatum": "31\.02\.2024" is not a date/,
		);
	});

	it('Windows-1252 bytes read as UTF-8, naming the first bad byte', () => {
		expectDocumentError(
			() => parseDeliveryNoteCsv(muellerBytes, { ...muellerMapping, encoding: 'utf-8' }, MUELLER),
			'ENCODING_ERROR',
			/^lieferschein-mueller-semikolon-cp1252\.csv: line 2, column 2: the bytes are not valid utf-8/,
		);
	});

	it('a quoted field that is never closed, naming where it opened', () => {
		const cut = noHeaderBytes.toString('utf8').split('Aderendhülsen')[0] + 'Aderendhülsen';
		expectDocumentError(
			() => parseDeliveryNoteCsv(Buffer.from(cut), noHeaderMapping, NO_HEADER),
			'PARSE_ERROR',
			/^delivery-note-comma-utf8-no-header\.csv: line 3, column 38, record 3: a quoted field is never closed/,
		);
	});

	it('a file with a header row and nothing else', () => {
		const headerOnly = muellerWith((t) => t.split('\r\n')[0] + '\r\n');
		expectDocumentError(
			() => parseDeliveryNoteCsv(headerOnly, muellerMapping, MUELLER),
			'MISSING_FIELD',
			/^lieferschein-mueller-semikolon-cp1252\.csv: the file has a header row but no data rows$/,
		);
	});
});

describe('readCsvRecords', () => {
	it('follows RFC 4180: quoted delimiters, doubled quotes, line breaks in quotes, empty fields, CRLF, LF and CR', () => {
		const records = readCsvRecords('a;"b;""c""";\r\n"x\ny";;z\rlast;"";"q"', ';');
		expect(records).toEqual([
			{ fields: ['a', 'b;"c"', ''], record: 1, line: 1 },
			{ fields: ['x\ny', '', 'z'], record: 2, line: 2 },
			{ fields: ['last', '', 'q'], record: 3, line: 4 },
		]);
	});

	it('keeps a quote inside an unquoted field as text, as spreadsheets do', () => {
		expect(readCsvRecords('Rohr 12" lang;5', ';')[0].fields).toEqual(['Rohr 12" lang', '5']);
	});

	it('refuses text after a closing quote, naming line and column', () => {
		expectDocumentError(
			() => readCsvRecords('ok;1\n"Rohr 12"" lang" x;5', ';', 'q.csv'),
			'PARSE_ERROR',
			/^q\.csv: line 2, column 17, record 2: unexpected " " after the closing quote/,
		);
	});
});
