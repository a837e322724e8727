import Big from 'big.js';

import { DocumentError } from '../DocumentError';
import { decodeText, detectBom, normaliseCharset } from '../text';
import { delimitedRecords, type DelimitedRecord } from './delimited';
import { compactIdentifier } from './identifiers';
import { interner, type Interner } from './interner';
import { refuseTooLarge, type ParseLimits } from './limits';
import { formatAmount } from './money';
import { findCreditorReferences, findInvoiceNumbers } from './remittance';
import { shapePayment, shapeStatement } from './shape';
import { isoDate } from '../values';
import type { Payment, PaymentDirection, SkippedEntry, Statement } from './types';

/**
 * Bank CSV exports have no standard: every bank names, orders and formats its columns its own way.
 * The user describes theirs once with a mapping; this reads any file that follows it.
 *
 * A column is named by its header text (case and surrounding spaces ignored) or by its 1-based number.
 * The direction comes from one of: a signed amount (default), a direction column (`directionColumn` with
 * the values that mean credit and debit), or two amount columns (`creditAmount` / `debitAmount`, as
 * "Haben" and "Soll" in some German exports). Bank statements speak from the account holder's side:
 * Haben/H/C/+ is money received.
 */

export type ColumnRef = string | number;

export interface PaymentCsvMapping {
	/** default `;` */
	delimiter?: string;
	/** default `,` (German); the other of `.`/`,` and `'` and spaces are taken as thousands separators */
	decimalSeparator?: ',' | '.';
	/** default UTF-8 (a BOM always wins); German banks often send Windows-1252 */
	encoding?: string;
	/** the 1-based line of the column names; `false` when there is none (then columns are numbers). Default 1 */
	headerRow?: number | false;
	/** default "auto": DD.MM.YYYY, DD.MM.YY, YYYY-MM-DD, DD/MM/YYYY */
	dateFormat?: 'auto' | 'DD.MM.YYYY' | 'YYYY-MM-DD';
	/** when there is no currency column, or it is empty; default EUR */
	defaultCurrency?: string;
	columns: {
		/** a signed amount, or the unsigned amount when `direction` is given */
		amount?: ColumnRef;
		creditAmount?: ColumnRef;
		debitAmount?: ColumnRef;
		direction?: ColumnRef;
		currency?: ColumnRef;
		bookingDate?: ColumnRef;
		valueDate?: ColumnRef;
		payerName?: ColumnRef;
		payerIban?: ColumnRef;
		payerBic?: ColumnRef;
		/** one column, or several that are joined with a space (some banks split "Verwendungszweck 1…14") */
		remittanceText?: ColumnRef | ColumnRef[];
		endToEndId?: ColumnRef;
		creditorReference?: ColumnRef;
		bankReference?: ColumnRef;
	};
	/** values of the direction column meaning money received; default C, CR, CRDT, H, HABEN, CREDIT, + */
	creditValues?: string[];
	/** values meaning money paid out; default D, DR, DBIT, S, SOLL, DEBIT, - */
	debitValues?: string[];
	/** the statement's own account, if the file does not say */
	accountIban?: string;
	knownInvoiceNumbers?: readonly string[];
}

const DEFAULT_CREDIT = ['C', 'CR', 'CRDT', 'H', 'HABEN', 'CREDIT', 'GUTSCHRIFT', '+'];
const DEFAULT_DEBIT = ['D', 'DR', 'DBIT', 'S', 'SOLL', 'DEBIT', 'LASTSCHRIFT', '-'];

export function parsePaymentCsv(bytes: Uint8Array, mapping: PaymentCsvMapping, file?: string, limits: ParseLimits = {}): Statement {
	refuseTooLarge(bytes, 'CSV', file, limits);
	const bom = detectBom(bytes);
	const charset = bom ? bom.charset : normaliseCharset(mapping.encoding ?? 'utf-8');
	const text = decodeText(bytes, charset, file);
	const records = delimitedRecords(text, mapping.delimiter ?? ';', file);
	const headerRow = mapping.headerRow === undefined ? 1 : mapping.headerRow;
	const header = headerRow === false ? undefined : firstFrom(records, headerRow);
	if (headerRow !== false && !header) {
		throw new DocumentError('MISSING_FIELD', `the file has no header row at line ${headerRow}`, file, { line: headerRow });
	}
	const reading: CsvReading = {
		mapping,
		header,
		file,
		at: mappedColumns(mapping, header, file),
		decimal: mapping.decimalSeparator ?? ',',
		credit: new Set((mapping.creditValues ?? DEFAULT_CREDIT).map((v) => v.trim().toUpperCase())),
		debit: new Set((mapping.debitValues ?? DEFAULT_DEBIT).map((v) => v.trim().toUpperCase())),
		intern: interner(),
	};
	const statement: Statement = {
		format: 'csv',
		accountIban: mapping.accountIban,
		charset,
		payments: [],
		skipped: 0,
		skippedEntries: [],
		sourceFile: file,
	};
	// the records after the header: the iterator has already passed it
	let entry = 0;
	for (const record of records) {
		const read = csvPayment(record, ++entry, reading);
		if ('reason' in read) statement.skippedEntries.push(read);
		else statement.payments.push(shapePayment(read));
	}
	return shapeStatement(statement);
}

type Columns = ReturnType<typeof mappedColumns>;

/** What every row of one file is read with. */
interface CsvReading {
	mapping: PaymentCsvMapping;
	header: DelimitedRecord | undefined;
	file: string | undefined;
	at: Columns;
	decimal: NonNullable<PaymentCsvMapping['decimalSeparator']>;
	credit: Set<string>;
	debit: Set<string>;
	intern: Interner;
}

/** The mapping's columns as 0-based indexes: by number, or by a name of the header row. */
function mappedColumns(mapping: PaymentCsvMapping, header: DelimitedRecord | undefined, file: string | undefined) {
	const names = header ? header.fields.map((n) => n.trim().toLowerCase()) : [];
	const resolve = (ref: ColumnRef | undefined, what: string): number | undefined => {
		if (ref === undefined || ref === '') return undefined;
		if (typeof ref === 'number') {
			if (!Number.isInteger(ref) || ref < 1) {
				throw new DocumentError('INVALID_VALUE', `column ${ref} for ${what} is not a column number (1, 2, …)`, file);
			}
			return ref - 1;
		}
		if (!header) throw new DocumentError('INVALID_VALUE', `column "${ref}" for ${what} is named, but the mapping says the file has no header row`, file);
		const index = names.indexOf(ref.trim().toLowerCase());
		if (index < 0) {
			throw new DocumentError('MISSING_FIELD', `the column "${ref}" for ${what} is not in the header (${header.fields.join(', ')})`, file, {
				line: header.line,
			});
		}
		return index;
	};
	const c = mapping.columns;
	const at = {
		amount: resolve(c.amount, 'the amount'),
		creditAmount: resolve(c.creditAmount, 'the credit amount'),
		debitAmount: resolve(c.debitAmount, 'the debit amount'),
		direction: resolve(c.direction, 'the direction'),
		currency: resolve(c.currency, 'the currency'),
		bookingDate: resolve(c.bookingDate, 'the booking date'),
		valueDate: resolve(c.valueDate, 'the value date'),
		payerName: resolve(c.payerName, 'the payer name'),
		payerIban: resolve(c.payerIban, 'the payer IBAN'),
		payerBic: resolve(c.payerBic, 'the payer BIC'),
		remittanceText: (Array.isArray(c.remittanceText) ? c.remittanceText : c.remittanceText === undefined ? [] : [c.remittanceText]).map(
			(ref) => resolve(ref, 'the remittance text')!,
		),
		endToEndId: resolve(c.endToEndId, 'the end-to-end id'),
		creditorReference: resolve(c.creditorReference, 'the creditor reference'),
		bankReference: resolve(c.bankReference, 'the bank reference'),
	};
	if (at.amount === undefined && at.creditAmount === undefined && at.debitAmount === undefined) {
		throw new DocumentError('MISSING_FIELD', 'the mapping names no amount column (amount, or creditAmount/debitAmount)', file);
	}
	return at;
}

/** One row: a payment, or why it is skipped (no amount, zero); a value that cannot be read is an error naming the cell. */
function csvPayment(record: DelimitedRecord, entry: number, r: CsvReading): Payment | SkippedEntry {
	const { at, mapping, header, file } = r;
	const position = { statement: 1, entry, line: record.line };
	const cell = rowCells(record, entry, r);
	const signed = signedAmount(cell, r);
	if (signed === undefined) return { position, reason: 'the row has no amount' };
	if (signed.eq(0)) return { position, reason: 'the amount is zero' };
	const direction = directionOf(signed, cell, r);
	const currency = r.intern((cell.get(at.currency) || mapping.defaultCurrency || 'EUR').toUpperCase());
	if (!/^[A-Z]{3}$/.test(currency)) throw cell.fail(at.currency, `"${currency}" is not a currency code`);
	const remittanceText = at.remittanceText.map(cell.get).filter(Boolean).join(' ');
	const creditorReference = cell.get(at.creditorReference) || findCreditorReferences(remittanceText)[0];
	const raw: Record<string, string> = {};
	record.fields.forEach((value, index) => {
		if (value.trim() !== '') raw[header?.fields[index]?.trim() || `column ${index + 1}`] = r.intern(value.trim());
	});
	const endToEndId = cell.get(at.endToEndId);
	return {
		amount: r.intern(formatAmount(signed.abs(), currency)),
		currency,
		direction,
		bookingDate: cell.date(at.bookingDate),
		valueDate: cell.date(at.valueDate),
		payerName: cell.get(at.payerName) || undefined,
		payerIban: cell.get(at.payerIban) ? r.intern(compactIdentifier(cell.get(at.payerIban))) : undefined,
		payerBic: cell.get(at.payerBic) || undefined,
		remittanceText,
		endToEndId: endToEndId && endToEndId.toUpperCase() !== 'NOTPROVIDED' ? endToEndId : undefined,
		creditorReference: creditorReference || undefined,
		bankReference: cell.get(at.bankReference) || undefined,
		accountIban: mapping.accountIban,
		invoiceNumbers: findInvoiceNumbers(remittanceText, mapping.knownInvoiceNumbers),
		sourceFile: file,
		position,
		raw,
	};
}

/** Reading the cells of one row, with errors that name the row and the column. */
function rowCells(record: DelimitedRecord, entry: number, r: CsvReading) {
	const get = (index: number | undefined) => (index === undefined ? '' : r.intern((record.fields[index] ?? '').trim()));
	const columnName = (index: number | undefined) => (index === undefined ? '' : r.header ? `"${r.header.fields[index]}"` : `column ${index + 1}`);
	const fail = (index: number | undefined, reason: string) =>
		new DocumentError('INVALID_VALUE', reason, r.file, { line: record.line, record: entry, element: columnName(index) || undefined });
	const amount = (index: number | undefined): Big | undefined => {
		const text = get(index);
		if (!text) return undefined;
		return readAmount(text, r.decimal, () => fail(index, `"${text}" is not an amount (decimal separator "${r.decimal}")`));
	};
	const date = (index: number | undefined) => {
		const text = get(index);
		if (!text) return undefined;
		const iso = readDate(text, r.mapping.dateFormat ?? 'auto');
		if (!iso) throw fail(index, `"${text}" is not a date (${r.mapping.dateFormat ?? 'DD.MM.YYYY or YYYY-MM-DD'})`);
		return r.intern(iso);
	};
	return { get, fail, amount, date };
}

type RowCells = ReturnType<typeof rowCells>;

function signedAmount(cell: RowCells, { at }: CsvReading): Big | undefined {
	if (at.creditAmount === undefined && at.debitAmount === undefined) return cell.amount(at.amount);
	// Haben and Soll columns: the one that holds a value says the direction, whatever sign it is written with
	const credited = cell.amount(at.creditAmount);
	const debited = cell.amount(at.debitAmount);
	if (credited && !credited.eq(0)) return credited.abs();
	if (debited && !debited.eq(0)) return debited.abs().neg();
	return credited || debited ? new Big(0) : undefined;
}

function directionOf(signed: Big, cell: RowCells, { at, credit, debit }: CsvReading): PaymentDirection {
	if (at.direction === undefined) return signed.lt(0) ? 'debit' : 'credit';
	const value = cell.get(at.direction).toUpperCase();
	if (credit.has(value)) return signed.lt(0) ? 'debit' : 'credit';
	if (debit.has(value)) return signed.lt(0) ? 'credit' : 'debit';
	throw cell.fail(at.direction, `"${cell.get(at.direction)}" is neither a credit (${[...credit].join(', ')}) nor a debit (${[...debit].join(', ')})`);
}

/** The first record that starts at or after `line`; the records before it are passed over. */
function firstFrom(records: Iterator<DelimitedRecord>, line: number): DelimitedRecord | undefined {
	for (let next = records.next(); !next.done; next = records.next()) if (next.value.line >= line) return next.value;
	return undefined;
}

/**
 * "1.234,56", "-1234,56", "1 234,56 €", "+12,00", "12,00-" (German banks put the sign last), "(12.00)".
 * Returns a signed Big; `fail` names the cell when the text is no amount.
 */
function readAmount(text: string, decimal: ',' | '.', fail: () => Error): Big {
	let t = text.replace(/[\s\u00A0\u202F]/g, '').replace(/(?:EUR|€|USD|\$|CHF|GBP|£)/gi, '');
	let negative = false;
	if (/^\(.*\)$/.test(t)) {
		negative = true;
		t = t.slice(1, -1);
	}
	if (/^[+-]/.test(t)) {
		negative = negative !== (t[0] === '-');
		t = t.slice(1);
	} else if (/[+-]$/.test(t)) {
		negative = negative !== t.endsWith('-');
		t = t.slice(0, -1);
	}
	const thousands = decimal === ',' ? /[.']/g : /[,']/g;
	// a thousands separator groups exactly three digits; anything else is a typo, not a number to guess at
	const grouped = decimal === ',' ? /^\d{1,3}(?:[.']\d{3})+(?:,\d+)?$/ : /^\d{1,3}(?:[,']\d{3})+(?:\.\d+)?$/;
	const plain = decimal === ',' ? /^\d+(?:,\d+)?$/ : /^\d+(?:\.\d+)?$/;
	if (!plain.test(t) && !grouped.test(t)) throw fail();
	const value = new Big(t.replace(thousands, '').replace(',', '.'));
	return negative ? value.neg() : value;
}

function readDate(text: string, format: 'auto' | 'DD.MM.YYYY' | 'YYYY-MM-DD'): string | undefined {
	let year: number;
	let month: number;
	let day: number;
	const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(text);
	const german = /^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})$/.exec(text);
	if (iso && format !== 'DD.MM.YYYY') {
		[year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
	} else if (german && format !== 'YYYY-MM-DD') {
		day = Number(german[1]);
		month = Number(german[2]);
		year = german[3].length === 2 ? 2000 + Number(german[3]) : Number(german[3]);
	} else {
		return undefined;
	}
	return isoDate(year, month, day);
}
