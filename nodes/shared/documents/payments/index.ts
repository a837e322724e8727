import { DocumentError } from '../DocumentError';
import { parseCamt } from './camt053';
import { parsePaymentCsv, type PaymentCsvMapping } from './csv';
import { parseDatevBuchungsstapel } from './datev';
import { detectPaymentFormat } from './detect';
import { refuseTooLarge } from './limits';
import { parseMt940 } from './mt940';
import type { Payment, PaymentFormat, Statement } from './types';

export type * from './types';
export { parseCamt053, parseCamt, type CamtKind, type CamtOptions } from './camt053';
export { parseMt940, type Mt940Options } from './mt940';
export { parseDatevBuchungsstapel, type DatevOptions } from './datev';
export { parsePaymentCsv, type PaymentCsvMapping, type ColumnRef } from './csv';
export { detectPaymentFormat } from './detect';
export { DEFAULT_MAX_PAYMENT_FILE_BYTES, type ParseLimits } from './limits';
export { readDelimited, type DelimitedRecord } from './delimited';
export {
	findInvoiceNumbers,
	findCreditorReferences,
	isValidCreditorReference,
	makeCreditorReference,
	normaliseRemittance,
	invoiceKey,
} from './remittance';
export { isValidIban } from './identifiers';
export { nameSimilarity, normaliseName } from '../addresses/similarity';
export {
	matchPayments,
	type OpenInvoice,
	type MatchedInvoice,
	type MatchedPayment,
	type MatchStatus,
	type MatchMethod,
	type MatchOptions,
} from './matching';

export interface ParsePaymentFileOptions {
	/** the file's name, for error messages, the payments' `sourceFile` and format detection */
	fileName?: string;
	/** MT940, DATEV: the charset when known (CSV takes it from the mapping) */
	charset?: string;
	/** required for CSV files */
	csvMapping?: PaymentCsvMapping;
	/** DATEV: the ledger accounts that are bank accounts */
	datevBankAccounts?: readonly string[];
	/** MT940 snippets without a balance: the currency to assume */
	defaultCurrency?: string;
	/** open invoice numbers to look for in remittance texts while parsing */
	knownInvoiceNumbers?: readonly string[];
	/** files above this many bytes are refused with TOO_LARGE before they are read; default 100 MiB */
	maxBytes?: number;
}

export interface PaymentFile {
	format: PaymentFormat;
	statements: Statement[];
	/** every statement's payments, in file order */
	payments: Payment[];
}

/** Reads a payment file of a given format, or of the format its content shows (`'auto'`). */
export function parsePaymentFile(
	bytes: Uint8Array,
	format: PaymentFormat | 'auto',
	options: ParsePaymentFileOptions = {},
): PaymentFile {
	const file = options.fileName;
	const resolved = format === 'auto' ? detectPaymentFormat(bytes, file) : format;
	if (!resolved) {
		throw new DocumentError(
			'UNSUPPORTED_FORMAT',
			'the file is none of camt.052, camt.053, camt.054, MT940, DATEV Buchungsstapel or CSV (its first bytes show no known format)',
			file,
		);
	}
	const known = options.knownInvoiceNumbers;
	const limits = { maxBytes: options.maxBytes };
	refuseTooLarge(bytes, 'payment', file, limits);
	let statements: Statement[];
	switch (resolved) {
		case 'camt052':
		case 'camt053':
		case 'camt054':
			statements = parseCamt(bytes, file, { knownInvoiceNumbers: known, ...limits }, [resolved]);
			break;
		case 'mt940':
			statements = parseMt940(bytes, file, { charset: options.charset, defaultCurrency: options.defaultCurrency, knownInvoiceNumbers: known, ...limits });
			break;
		case 'datev':
			statements = [
				parseDatevBuchungsstapel(bytes, file, { charset: options.charset, bankAccounts: options.datevBankAccounts, knownInvoiceNumbers: known, ...limits }),
			];
			break;
		case 'csv':
			if (!options.csvMapping) {
				throw new DocumentError('MISSING_FIELD', 'a CSV payment file needs a column mapping (which column holds the amount, the date …)', file);
			}
			statements = [parsePaymentCsv(bytes, { knownInvoiceNumbers: known, ...options.csvMapping }, file, limits)];
			break;
	}
	return { format: resolved, statements, payments: statements.flatMap((s) => s.payments) };
}
