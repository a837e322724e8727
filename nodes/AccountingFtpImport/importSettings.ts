import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL, fileServerCredentials } from '../shared/credentials';
import { todayIn } from '../shared/documents/values';
import { smtpAccount } from '../shared/mailAuth';
import { TokenRejectedError } from '../shared/transports/oauth2Token';
import { userFacing } from '../shared/nodeErrors';
import { matchPayments, type PaymentCsvMapping, type PaymentFormat } from '../shared/documents/payments';
import { reportRecipients } from './errorReport';
import type { RemoteCredentials } from '../shared/transports/remoteDirectory';
import type { AfterImport, DateSubdirectories, OnFailure } from '../shared/transports/fileSource';
import type { SmtpCredentials } from '../shared/transports/smtp';
import { ClientDirectory, parseAccounts } from './clients';
import { DEFAULT_INVOICE_FIELDS, InvoiceInputError, openInvoicesFromItems, type InvoiceFields, type OpenInvoicesFromItems } from './openInvoices';

/**
 * Import Payments, step 1: the settings of the node and everything that can be wrong with them or with the
 * input, checked before the server is touched — nothing may be deleted by a run that then cannot hand over
 * its payments.
 */

export type PaidDate = 'yesterday' | 'today' | 'tomorrow' | 'valueDate';

export interface ImportSettings {
	directory: string;
	dateSubdirectories: DateSubdirectories;
	daysBack: number;
	fileNameContains: string;
	format: PaymentFormat | 'auto';
	csvMapping?: PaymentCsvMapping;
	creditsOnly: boolean;
	paidDate: PaidDate;
	afterImport: AfterImport;
	archiveDirectory: string;
	onFailure: OnFailure;
	errorDirectory: string;
	errorReportTo: string;
	invoiceFields: InvoiceFields;
	datevBankAccounts?: string[];
	defaultCurrency: string;
	maxFileBytes: number;
	maxFiles: number;
	nameSimilarity: number;
	uploadWaitMs: number;
}

/** What a run needs, checked. */
export interface ImportPlan {
	settings: ImportSettings;
	invoices: OpenInvoicesFromItems;
	knownInvoiceNumbers: string[];
	clients: ClientDirectory;
	/** FTP, FTPS or SFTP */
	ftp: RemoteCredentials;
	/** the account of the error report; undefined when no address is set */
	smtp?: SmtpCredentials;
	/** the run's date in the workflow's time zone, YYYY-MM-DD */
	runDate: string;
	runAt: string;
	workflowName: string;
}

export async function planImport(ctx: IExecuteFunctions): Promise<ImportPlan> {
	const settings = readSettings(ctx);
	const invoices = readInvoices(ctx, settings);
	const clients = readClients(ctx);
	if (settings.format === 'csv' && !settings.csvMapping) {
		throw new NodeOperationError(ctx.getNode(), 'CSV needs a column mapping: name at least the Amount column (or Credit Amount and Debit Amount) under CSV Mapping');
	}
	const smtp = await reportAccount(ctx, settings.errorReportTo);
	return {
		settings,
		invoices,
		knownInvoiceNumbers: invoices.invoices.map((i) => i.invoiceNumber),
		clients,
		ftp: fileServerCredentials(await ctx.getCredentials(CREDENTIAL.ftp)),
		smtp,
		runDate: todayIn(ctx.getTimezone()),
		runAt: new Date().toISOString(),
		workflowName: ctx.getWorkflow().name ?? 'workflow',
	};
}

/** The open invoices of the input, and whether the matcher accepts them (currencies …). */
function readInvoices(ctx: IExecuteFunctions, settings: ImportSettings): OpenInvoicesFromItems {
	try {
		const invoices = openInvoicesFromItems(ctx.getInputData(), settings.invoiceFields);
		matchPayments([], invoices.invoices, { defaultCurrency: settings.defaultCurrency });
		return invoices;
	} catch (error) {
		if (error instanceof InvoiceInputError) throw new NodeOperationError(ctx.getNode(), error.message, { itemIndex: error.itemIndex });
		throw new NodeOperationError(ctx.getNode(), error as Error);
	}
}

function readClients(ctx: IExecuteFunctions): ClientDirectory {
	const rows = (ctx.getNodeParameter('clients.client', 0, []) as Array<{ id?: string; accounts?: string }>).map((c, i) => ({
		id: String(c.id ?? '').trim() || `client ${i + 1}`,
		accounts: parseAccounts(String(c.accounts ?? '')),
	}));
	try {
		return new ClientDirectory(rows);
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), (error as Error).message);
	}
}

async function reportAccount(ctx: IExecuteFunctions, errorReportTo: string): Promise<SmtpCredentials | undefined> {
	if (!errorReportTo) return undefined;
	try {
		reportRecipients(errorReportTo);
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), `Error Report Email: ${(error as Error).message}`);
	}
	try {
		return await smtpAccount(ctx, 'mailAuthentication');
	} catch (error) {
		if (error instanceof TokenRejectedError) throw userFacing(ctx, error);
		throw new NodeOperationError(ctx.getNode(), 'An Error Report Email is set, but no SMTP credential: choose one, or clear the address');
	}
}

function readSettings(ctx: IExecuteFunctions): ImportSettings {
	const p = <T>(name: string, fallback: T): T => ctx.getNodeParameter(name, 0, fallback) as T;
	const options = p<IDataObject>('options', {});
	const fields = p<Partial<InvoiceFields>>('invoiceFields', {});
	const csv = p<IDataObject>('csvMapping', {});
	const format = p<PaymentFormat | 'auto'>('format', 'auto');
	const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
	return {
		directory: p('directory', ''),
		dateSubdirectories: p<DateSubdirectories>('dateSubdirectories', 'none'),
		daysBack: num(p('daysBack', 0), 0),
		fileNameContains: p('fileNameContains', ''),
		format,
		csvMapping: csvMappingOf(csv),
		creditsOnly: p('transactions', 'credits') === 'credits',
		paidDate: p<PaidDate>('paidDate', 'today'),
		afterImport: p<AfterImport>('afterImport', 'delete'),
		archiveDirectory: p('archiveDirectory', 'archiv/'),
		onFailure: p<OnFailure>('onFailure', 'keep'),
		errorDirectory: p('errorDirectory', 'fehler/'),
		errorReportTo: String(p('errorReportTo', '')).trim(),
		invoiceFields: { ...DEFAULT_INVOICE_FIELDS, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => !!v)) },
		datevBankAccounts: typeof options.datevBankAccounts === 'string' && options.datevBankAccounts.trim() ? parseAccounts(options.datevBankAccounts) : undefined,
		defaultCurrency: String(options.defaultCurrency || 'EUR').trim().toUpperCase(),
		maxFileBytes: Math.round(num(options.maxFileSizeMb, 20) * 1024 * 1024),
		maxFiles: Math.max(0, Math.floor(num(options.maxFiles, 500))),
		nameSimilarity: num(options.nameSimilarity, 0.9),
		uploadWaitMs: Math.max(0, Math.round(num(options.uploadWaitSeconds, 2.5) * 1000)),
	};
}

/** The CSV collection as the parser's mapping; undefined when no amount column is named (then a CSV file fails). */
function csvMappingOf(csv: IDataObject): PaymentCsvMapping | undefined {
	const col = (name: string): string | number | undefined => {
		const v = String(csv[name] ?? '').trim();
		if (v === '') return undefined;
		return /^\d+$/.test(v) ? Number(v) : v;
	};
	if (col('amount') === undefined && col('creditAmount') === undefined && col('debitAmount') === undefined) return undefined;
	const remittance = String(csv.remittanceText ?? '')
		.split(',')
		.map((c) => c.trim())
		.filter(Boolean)
		.map((c) => (/^\d+$/.test(c) ? Number(c) : c));
	const headerRow = typeof csv.headerRow === 'number' ? csv.headerRow : 1;
	return {
		delimiter: typeof csv.delimiter === 'string' && csv.delimiter !== '' ? csv.delimiter.replace(/^\\t$/, '\t') : ';',
		decimalSeparator: csv.decimalSeparator === '.' ? '.' : ',',
		encoding: typeof csv.encoding === 'string' ? csv.encoding : undefined,
		headerRow: headerRow > 0 ? headerRow : false,
		dateFormat: (csv.dateFormat as PaymentCsvMapping['dateFormat']) ?? 'auto',
		defaultCurrency: typeof csv.defaultCurrency === 'string' && csv.defaultCurrency ? csv.defaultCurrency : undefined,
		accountIban: typeof csv.accountIban === 'string' && csv.accountIban.trim() ? csv.accountIban.trim() : undefined,
		columns: {
			amount: col('amount'),
			creditAmount: col('creditAmount'),
			debitAmount: col('debitAmount'),
			direction: col('direction'),
			currency: col('currency'),
			bookingDate: col('bookingDate'),
			valueDate: col('valueDate'),
			payerName: col('payerName'),
			payerIban: col('payerIban'),
			payerBic: col('payerBic'),
			remittanceText: remittance.length > 1 ? remittance : remittance[0],
			endToEndId: col('endToEndId'),
			creditorReference: col('creditorReference'),
			bankReference: col('bankReference'),
		},
	};
}

/** Today in a time zone, as YYYY-MM-DD: a run at 00:30 in Berlin belongs to the Berlin day, not to UTC's. */
export { todayIn as isoDateIn } from '../shared/documents/values';

export function shiftIsoDate(iso: string, days: number): string {
	const [y, m, d] = iso.split('-').map(Number);
	return new Date(Date.UTC(y, m - 1, d) + days * 86_400_000).toISOString().slice(0, 10);
}
