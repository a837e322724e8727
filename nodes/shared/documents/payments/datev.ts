import Big from 'big.js';

import { DocumentError } from '../DocumentError';
import { decodeText, detectBom, normaliseCharset } from '../text';
import { delimitedRecords, type DelimitedRecord } from './delimited';
import { refuseTooLarge, type ParseLimits } from './limits';
import { formatAmount } from './money';
import { findCreditorReferences, findInvoiceNumbers } from './remittance';
import { shapePayment, shapeStatement } from './shape';
import { isCalendarDate } from '../values';
import type { Payment, SkippedEntry, Statement } from './types';

/**
 * DATEV "Buchungsstapel" (EXTF/DTVF format category 21): the booking batch a tax adviser's or an ERP's
 * export writes. Windows-1252, CRLF, `;`, quoted text, decimal comma. Line 1 is the header (adviser,
 * client, fiscal year, account length, period), line 2 the column names, then one booking per line.
 * Columns are looked up by name, never by position: DATEV adds columns between format versions.
 *
 * Which bookings are payments, and which way the money went:
 * - A booking is a payment when its Konto or its Gegenkonto is a bank account (a "Finanzkonto"): the
 *   caller's `bankAccounts`, else by the chart of accounts in the header (SKR03: 1000–1399, SKR04:
 *   1600–1899; SKR03 when the header names none). Personal accounts (Debitoren/Kreditoren, longer than the
 *   Sachkonto length) are never bank accounts. Other bookings (an invoice "Debitor an Erlöse", a
 *   depreciation) are skipped and listed in `skippedEntries`.
 * - The Soll/Haben-Kennzeichen belongs to Konto. A bank account in Soll (S) receives money, so S with the
 *   bank in Konto is a credit and H a debit; with the bank in Gegenkonto it is the other way round.
 * - Belegdatum is TTMM; the year is the one within the header's period (Datum vom/bis) or, failing that,
 *   the fiscal year's (a month before the fiscal year's first month belongs to the next calendar year).
 * - Belegfeld 1 is the invoice number in a payment booking and comes first in `invoiceNumbers`.
 */

export interface DatevOptions extends ParseLimits {
	/** the ledger accounts that are bank accounts (e.g. ["1200", "1210"]); default by chart of accounts */
	bankAccounts?: readonly string[];
	/** overrides the charset; default Windows-1252, or UTF-8 when the file has a BOM */
	charset?: string;
	knownInvoiceNumbers?: readonly string[];
}

/** Header field positions (0-based) of the EXTF/DTVF format, version 700. */
const HEADER = {
	marker: 0,
	version: 1,
	category: 2,
	formatName: 3,
	formatVersion: 4,
	adviser: 10,
	client: 11,
	fiscalYearStart: 12,
	accountLength: 13,
	dateFrom: 14,
	dateTo: 15,
	description: 16,
	currency: 21,
	chartOfAccounts: 26,
} as const;

const COLUMN = {
	amount: 'umsatz',
	debitCredit: 'soll/haben-kennzeichen',
	currency: 'wkz umsatz',
	account: 'konto',
	contraAccount: 'gegenkonto',
	postingKey: 'bu-schlüssel',
	documentDate: 'belegdatum',
	document1: 'belegfeld 1',
	document2: 'belegfeld 2',
	text: 'buchungstext',
	reversal: 'generalumkehr',
} as const;

export function parseDatevBuchungsstapel(bytes: Uint8Array, file?: string, options: DatevOptions = {}): Statement {
	refuseTooLarge(bytes, 'DATEV', file, options);
	const bom = detectBom(bytes);
	const charset = bom ? bom.charset : normaliseCharset(options.charset ?? 'windows-1252');
	const text = decodeText(bytes, charset, file);
	const records = delimitedRecords(text, ';', file);
	const header = datevHeader(nextRecord(records), file);
	const names = nextRecord(records);
	if (!names) throw new DocumentError('MISSING_FIELD', 'line 2 (the column names) is missing', file, { line: 2 });
	const h = header.record.fields;
	const batch: DatevBatch = {
		...header,
		names,
		at: datevColumns(names, file),
		isBankAccount: bankAccountTest(options.bankAccounts, header.chart, header.accountLength),
		file,
		options,
	};
	const statement: Statement = {
		format: 'datev',
		clientNumber: h[HEADER.client] || undefined,
		adviserNumber: h[HEADER.adviser] || undefined,
		currency: header.currency,
		statementId: h[HEADER.description] || undefined,
		period: header.dateFrom || header.dateTo ? { from: header.dateFrom, to: header.dateTo } : undefined,
		charset,
		payments: [],
		skipped: 0,
		skippedEntries: [],
		sourceFile: file,
	};
	let entry = 0;
	let last: DelimitedRecord = names;
	for (const record of records) {
		const read = datevPayment(record, ++entry, batch, statement.clientNumber);
		if ('reason' in read) statement.skippedEntries.push(read);
		else statement.payments.push(shapePayment(read));
		last = record;
	}
	refuseCutFile(text, last, names, file);
	return shapeStatement(statement);
}

/** Line 1 of a DATEV file: a Buchungsstapel (EXTF/DTVF, category 21) with its fiscal year, period and chart. */
function datevHeader(header: DelimitedRecord | undefined, file: string | undefined) {
	if (!header || !/^(EXTF|DTVF)$/.test(header.fields[HEADER.marker] ?? '')) {
		throw new DocumentError('UNSUPPORTED_FORMAT', 'not a DATEV file: line 1 must start with "EXTF" (or "DTVF")', file, { line: header?.line ?? 1 });
	}
	const h = header.fields;
	if (h[HEADER.category] !== '21') {
		throw new DocumentError(
			'UNSUPPORTED_FORMAT',
			`DATEV format category ${h[HEADER.category] || '(empty)'} ("${h[HEADER.formatName] ?? ''}") is not a Buchungsstapel (category 21)`,
			file,
			{ line: header.line },
		);
	}
	const fiscalYearStart = datevDate(h[HEADER.fiscalYearStart], 'WJ-Beginn', header.line, file);
	if (!fiscalYearStart) {
		throw new DocumentError('MISSING_FIELD', 'the header has no fiscal year start (WJ-Beginn, field 13)', file, { line: header.line });
	}
	return {
		record: header,
		fiscalYearStart,
		accountLength: Number(h[HEADER.accountLength]) || 4,
		dateFrom: datevDate(h[HEADER.dateFrom], 'Datum vom', header.line, file),
		dateTo: datevDate(h[HEADER.dateTo], 'Datum bis', header.line, file),
		currency: h[HEADER.currency] || undefined,
		chart: (h[HEADER.chartOfAccounts] ?? '').padStart(2, '0'),
	};
}

/** Line 2: where each column the import needs stands (the five of a booking are required). */
function datevColumns(names: DelimitedRecord, file: string | undefined) {
	const columnIndex = new Map<string, number>();
	names.fields.forEach((name, i) => {
		const key = columnKey(name);
		if (!columnIndex.has(key)) columnIndex.set(key, i);
	});
	const column = (key: string, required: boolean): number | undefined => {
		const index = columnIndex.get(key);
		if (index === undefined && required) {
			throw new DocumentError('MISSING_FIELD', `the column "${key}" is missing from the column names`, file, { line: names.line });
		}
		return index;
	};
	return {
		amount: column(COLUMN.amount, true)!,
		debitCredit: column(COLUMN.debitCredit, true)!,
		account: column(COLUMN.account, true)!,
		contraAccount: column(COLUMN.contraAccount, true)!,
		documentDate: column(COLUMN.documentDate, true)!,
		currency: column(COLUMN.currency, false),
		postingKey: column(COLUMN.postingKey, false),
		document1: column(COLUMN.document1, false),
		text: column(COLUMN.text, false),
		reversal: column(COLUMN.reversal, false),
	};
}

type DatevBatch = ReturnType<typeof datevHeader> & {
	names: DelimitedRecord;
	at: ReturnType<typeof datevColumns>;
	isBankAccount: (account: string) => boolean;
	file: string | undefined;
	options: DatevOptions;
};

/** One booking: a payment when Konto or Gegenkonto is a bank account, else why it is no payment. */
function datevPayment(record: DelimitedRecord, entry: number, b: DatevBatch, clientNumber: string | undefined): Payment | SkippedEntry {
	const { at, file } = b;
	const position = { statement: 1, entry, line: record.line };
	const get = (index: number | undefined) => (index === undefined ? '' : (record.fields[index] ?? '').trim());
	const account = get(at.account);
	const contraAccount = get(at.contraAccount);
	const bankInAccount = b.isBankAccount(account);
	if (!bankInAccount && !b.isBankAccount(contraAccount)) {
		return {
			position,
			reason: `neither Konto ${account || '(empty)'} nor Gegenkonto ${contraAccount || '(empty)'} is a bank account, so the booking is no payment`,
		};
	}
	const amount = readAmount(get(at.amount), record, file);
	const sh = get(at.debitCredit).toUpperCase();
	if (sh !== 'S' && sh !== 'H') {
		throw new DocumentError('INVALID_VALUE', `Soll/Haben-Kennzeichen must be S or H, not "${sh}"`, file, { line: record.line, record: entry });
	}
	// S/H speaks of Konto: money comes in when the bank account is in Soll
	const bankInDebit = bankInAccount ? sh === 'S' : sh === 'H';
	const currency = get(at.currency) || b.currency || 'EUR';
	const remittanceText = get(at.text);
	const document1 = get(at.document1);
	const invoiceNumbers = document1 ? [document1] : [];
	for (const n of findInvoiceNumbers(remittanceText, b.options.knownInvoiceNumbers)) if (!invoiceNumbers.includes(n)) invoiceNumbers.push(n);
	const raw: Record<string, string> = {};
	b.names.fields.forEach((name, index) => {
		const value = (record.fields[index] ?? '').trim();
		if (value !== '' && name) raw[name] = value;
	});
	return {
		amount: formatAmount(amount, currency),
		currency,
		direction: bankInDebit ? 'credit' : 'debit',
		reversal: get(at.reversal) === '1' || undefined,
		bookingDate: documentDate(get(at.documentDate), b, record, file),
		remittanceText,
		transactionCode: get(at.postingKey) || undefined,
		accountNumber: bankInAccount ? account : contraAccount,
		clientNumber,
		creditorReference: findCreditorReferences(`${document1} ${remittanceText}`)[0],
		invoiceNumbers,
		sourceFile: file,
		position,
		raw,
	};
}

/**
 * DATEV writes every field of every row and ends each row with CRLF. A file that ends without a line break in
 * its column names (0 bookings read), or in a last booking with fewer fields than the column names (its amount or
 * text may be short), was cut off on its way. Either way nothing from it is imported.
 */
function refuseCutFile(text: string, last: DelimitedRecord, names: DelimitedRecord, file: string | undefined): void {
	if (/[\r\n]$/.test(text) || (last !== names && last.fields.length >= names.fields.length)) return;
	const what =
		last === names
			? `the column names (line ${names.line}) without a line break`
			: `the last booking (line ${last.line}): ${last.fields.length} of ${names.fields.length} fields and no line break`;
	throw new DocumentError(
		'PARSE_ERROR',
		`the file ends inside ${what}. It was cut off; nothing from it is imported`,
		file,
		{ line: last.line },
	);
}

function nextRecord(records: Iterator<DelimitedRecord>): DelimitedRecord | undefined {
	const next = records.next();
	return next.done ? undefined : next.value;
}

/** "Umsatz (ohne Soll/Haben-Kz)" → "umsatz", "Gegenkonto (ohne BU-Schlüssel)" → "gegenkonto". */
function columnKey(name: string): string {
	return name.replace(/\([^)]*\)/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

function bankAccountTest(explicit: readonly string[] | undefined, chart: string, accountLength: number): (account: string) => boolean {
	if (explicit) {
		const set = new Set(explicit.map((a) => a.trim()));
		return (account) => set.has(account);
	}
	// Finanzkonten of the two common charts of accounts, in 4-digit Sachkonten
	const [low, high] = chart === '04' ? [1600, 1899] : [1000, 1399];
	return (account) => {
		if (!/^\d+$/.test(account) || account.length > accountLength) return false;
		// with a Sachkonto length above 4, DATEV writes 1200 as 12000: compare the first four digits
		const head = Number(account.padEnd(accountLength, '0').slice(0, 4));
		return head >= low && head <= high;
	};
}

function readAmount(text: string, record: DelimitedRecord, file: string | undefined): Big {
	if (!/^\d+(?:,\d+)?$/.test(text)) {
		throw new DocumentError('INVALID_VALUE', `Umsatz "${text}" is not an amount (digits with a decimal comma, no sign)`, file, {
			line: record.line,
		});
	}
	return new Big(text.replace(',', '.'));
}

/** DATEV writes dates in the header as YYYYMMDD. */
function datevDate(text: string | undefined, what: string, line: number, file: string | undefined): string | undefined {
	if (!text) return undefined;
	const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
	if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
		throw new DocumentError('INVALID_VALUE', `${what} "${text}" is not a date YYYYMMDD`, file, { line });
	}
	return `${m[1]}-${m[2]}-${m[3]}`;
}

function documentDate(
	text: string,
	context: { fiscalYearStart: string; dateFrom?: string; dateTo?: string },
	record: DelimitedRecord,
	file: string | undefined,
): string {
	// spreadsheet programs drop the leading zero: 102 is 01.02
	const m = /^(\d{1,2})(\d{2})$/.exec(text);
	const fail = () =>
		new DocumentError('INVALID_VALUE', `Belegdatum "${text}" is not a date TTMM`, file, { line: record.line });
	if (!m) throw fail();
	const day = Number(m[1]);
	const month = Number(m[2]);
	const fiscalYear = Number(context.fiscalYearStart.slice(0, 4));
	const fiscalMonth = Number(context.fiscalYearStart.slice(5, 7));
	const iso = (year: number) => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
	const candidates = [fiscalYear, fiscalYear + 1].filter((y) => isCalendarDate(y, month, day));
	if (candidates.length === 0) throw fail();
	const inPeriod = candidates.find((y) => {
		const d = iso(y);
		return (!context.dateFrom || d >= context.dateFrom) && (!context.dateTo || d <= context.dateTo);
	});
	if (inPeriod !== undefined && (context.dateFrom || context.dateTo)) return iso(inPeriod);
	const year = month < fiscalMonth ? fiscalYear + 1 : fiscalYear;
	if (!isCalendarDate(year, month, day)) throw fail();
	return iso(year);
}
