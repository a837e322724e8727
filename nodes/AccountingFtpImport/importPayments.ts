import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData, IPairedItemData } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { CREDENTIAL, fileServerCredentials, smtpCredentials } from '../shared/credentials';
import { DocumentError } from '../shared/documents/DocumentError';
import {
	matchPayments,
	parsePaymentFile,
	type MatchedPayment,
	type Payment,
	type PaymentCsvMapping,
	type PaymentFile,
	type PaymentFormat,
} from '../shared/documents/payments';
import { isValidMailAddress } from '../shared/mail/addresses';
import { userFacing } from '../shared/nodeErrors';
import type { FtpCredentials } from '../shared/transports/ftp';
import {
	directoriesToList,
	FingerprintStore,
	FtpDirectoryMissing,
	FtpSourceConnectionLost,
	type AfterImport,
	type DateSubdirectories,
	type FtpListing,
	type OnFailure,
	type RemoteFile,
} from '../shared/transports/ftpSource';
import { remoteFileSource, remoteServer, type RemoteSource } from '../shared/transports/remoteDirectory';
import type { SmtpCredentials } from '../shared/transports/smtp';
import { ClientDirectory, parseAccounts, type StatementOwner } from './clients';
import { sendErrorReport, type ReportedFailure } from './errorReport';
import { DEFAULT_INVOICE_FIELDS, InvoiceInputError, openInvoicesFromItems, type InvoiceFields } from './openInvoices';

/**
 * Import Payments: one FTP session per run. Every file whose name matches is read, parsed, its payments
 * put into the output, and only then deleted, archived or kept-and-remembered (`FtpSource.commit`). A file
 * that fails stays (or moves to the error directory) and becomes an item on the Errors output, with the
 * original file attached. After the last file the payments are matched to the open invoices of the input.
 *
 * Parameters and input are checked before the server is touched: nothing may be deleted by a run that
 * then cannot hand over its payments. Once files have been committed, nothing throws any more: a lost
 * connection ends the loop, and the payments already held are returned with an error item saying where
 * the run stopped.
 */

type PaidDate = 'yesterday' | 'today' | 'tomorrow' | 'valueDate';

interface ImportSettings {
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

interface CollectedPayment {
	payment: Payment;
	client?: string;
	file: RemoteFile;
	format: PaymentFormat;
	statementId?: string;
}

interface FileError {
	json: IDataObject;
	content?: Buffer;
	file?: RemoteFile;
	report: ReportedFailure;
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
export function isoDateIn(timeZone: string, at = new Date()): string {
	const parts = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
	const get = (type: string) => parts.find((x) => x.type === type)?.value ?? '';
	return `${get('year')}-${get('month')}-${get('day')}`;
}

export function shiftIsoDate(iso: string, days: number): string {
	const [y, m, d] = iso.split('-').map(Number);
	return new Date(Date.UTC(y, m - 1, d) + days * 86_400_000).toISOString().slice(0, 10);
}

function paidDateOf(payment: Payment, mode: PaidDate, runDate: string): string {
	switch (mode) {
		case 'yesterday':
			return shiftIsoDate(runDate, -1);
		case 'tomorrow':
			return shiftIsoDate(runDate, 1);
		case 'valueDate':
			return payment.valueDate ?? payment.bookingDate ?? runDate;
		default:
			return runDate;
	}
}

function mimeTypeOf(name: string): string {
	const ext = name.toLowerCase().split('.').pop() ?? '';
	if (ext === 'xml') return 'application/xml';
	if (ext === 'csv') return 'text/csv';
	if (['sta', 'mt940', 'txt', 'stm', '940'].includes(ext)) return 'text/plain';
	return 'application/octet-stream';
}

function fileJson(file: RemoteFile): IDataObject {
	return { file: file.name, path: file.path, size: file.size, modifiedAt: file.modifiedAt };
}


export async function importPayments(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const settings = readSettings(this);

	// --- everything that can be wrong with the configuration or the input, before the server is touched
	let invoices;
	try {
		invoices = openInvoicesFromItems(items, settings.invoiceFields);
		matchPayments([], invoices.invoices, { defaultCurrency: settings.defaultCurrency });
	} catch (error) {
		if (error instanceof InvoiceInputError) throw new NodeOperationError(this.getNode(), error.message, { itemIndex: error.itemIndex });
		throw new NodeOperationError(this.getNode(), error as Error);
	}
	const clientRows = (this.getNodeParameter('clients.client', 0, []) as Array<{ id?: string; accounts?: string }>).map((c, i) => ({
		id: String(c.id ?? '').trim() || `client ${i + 1}`,
		accounts: parseAccounts(String(c.accounts ?? '')),
	}));
	let clients: ClientDirectory;
	try {
		clients = new ClientDirectory(clientRows);
	} catch (error) {
		throw new NodeOperationError(this.getNode(), (error as Error).message);
	}
	if (settings.format === 'csv' && !settings.csvMapping) {
		throw new NodeOperationError(this.getNode(), 'CSV needs a column mapping: name at least the Amount column (or Credit Amount and Debit Amount) under CSV Mapping');
	}
	let smtp: SmtpCredentials | undefined;
	if (settings.errorReportTo) {
		if (!isValidMailAddress(settings.errorReportTo)) {
			throw new NodeOperationError(this.getNode(), `Error Report Email "${settings.errorReportTo}" is not one valid e-mail address`);
		}
		try {
			smtp = smtpCredentials(await this.getCredentials(CREDENTIAL.smtp));
		} catch {
			throw new NodeOperationError(this.getNode(), 'An Error Report Email is set, but no SMTP credential: choose one, or clear the address');
		}
	}
	const ftp = fileServerCredentials(await this.getCredentials(CREDENTIAL.ftp));
	const timeZone = this.getTimezone();
	const runDate = isoDateIn(timeZone);
	const runAt = new Date().toISOString();
	const store = new FingerprintStore(this.getWorkflowStaticData('node') as Record<string, unknown>);
	const knownInvoiceNumbers = invoices.invoices.map((i) => i.invoiceNumber);

	const collected: CollectedPayment[] = [];
	const errors: FileError[] = [];
	const counts = { files: 0, imported: 0, remembered: 0, uploading: 0, foreign: 0, takenByOther: 0, deferred: 0 };
	let listing: FtpListing | undefined;
	let baseDirectory = settings.directory;

	const failFile = async (source: RemoteSource, file: RemoteFile, stage: string, reason: string, extra: IDataObject = {}, content?: Buffer) => {
		const outcome = await source.fail(file);
		const action =
			outcome.kind === 'moved'
				? `moved to ${outcome.to}`
				: outcome.kind === 'moveFailed'
					? `left in place: the move to the error directory failed (${outcome.reason})`
					: 'left in place; it is tried again on the next run';
		errors.push({
			json: { ...fileJson(file), stage, reason, ...extra, action, movedTo: outcome.kind === 'moved' ? outcome.to : undefined, imported: false },
			content,
			file,
			report: { file: file.name, path: file.path, stage, reason, position: extra.positionText as string | undefined, action, content },
		});
	};

	let stoppedAt: number | undefined;

	/** One file: read, parse, hold its payments, commit. Throws only when the connection broke (or on a bug). */
	const importFile = async (source: RemoteSource, file: RemoteFile): Promise<void> => {
		counts.files++;
		const read = await source.read(file);
		if (read.kind === 'remembered') {
			counts.remembered++;
			await source.retryCommit(file, read.fingerprint);
			return;
		}
		if (read.kind === 'changed') {
			counts.uploading++;
			return;
		}
		if (read.kind === 'tooLarge') {
			await failFile(source, file, 'download', `the file is larger than the limit of ${Math.round(read.limit / 1024 / 1024)} MB (Max File Size)`);
			return;
		}

		let parsed: PaymentFile;
		try {
			parsed = parsePaymentFile(read.bytes, settings.format, {
				fileName: file.name,
				csvMapping: settings.csvMapping,
				datevBankAccounts: settings.datevBankAccounts,
				defaultCurrency: settings.defaultCurrency,
				knownInvoiceNumbers,
			});
		} catch (error) {
			const doc = error instanceof DocumentError ? error : undefined;
			const positionText = doc ? DocumentError.where(doc.position) : undefined;
			await failFile(
				source,
				file,
				'parse',
				doc ? doc.reason : `the file could not be read: ${(error as Error).message}`,
				{ code: doc?.code ?? 'UNEXPECTED', position: doc ? ({ ...doc.position } as IDataObject) : undefined, positionText },
				read.bytes,
			);
			return;
		}

		const owners: StatementOwner[] = parsed.statements.map((s) => clients.ownerOf(s));
		if (owners.some((o) => o.kind === 'unknown')) {
			await failFile(
				source,
				file,
				'client',
				'the file names no account, and several clients are configured: the node cannot tell whose payments these are (name the account in CSV Mapping → Account IBAN, or configure one client without accounts)',
				{ format: parsed.format },
				read.bytes,
			);
			return;
		}
		const ours = parsed.statements.filter((_, i) => owners[i].kind !== 'foreign');
		if (parsed.statements.length > 0 && ours.length === 0) {
			// another client's file: not ours to import, delete or report
			counts.foreign++;
			return;
		}
		const filePayments: CollectedPayment[] = [];
		parsed.statements.forEach((statement, i) => {
			const owner = owners[i];
			if (owner.kind === 'foreign') return;
			for (const payment of statement.payments) {
				if (settings.creditsOnly && payment.direction !== 'credit') continue;
				filePayments.push({ payment, client: owner.kind === 'client' ? owner.id : undefined, file, format: parsed.format, statementId: statement.statementId });
			}
		});
		// every payment of the file is held now: only from here on may the file be deleted or moved
		const outcome = await source.commit(file, read.sha256, { mustStay: ours.length < parsed.statements.length });
		if (outcome.kind === 'gone') {
			counts.takenByOther++;
			return;
		}
		counts.imported++;
		collected.push(...filePayments);
		if (outcome.kind === 'remembered') {
			const reason = `imported, but ${outcome.reason}. The file is remembered and will not be imported again.`;
			errors.push({
				json: { ...fileJson(file), stage: 'commit', reason, action: 'left in place, remembered', imported: true, payments: filePayments.length },
				file,
				report: { file: file.name, path: file.path, stage: 'commit', reason, action: 'left in place, remembered' },
			});
		}
	};

	const sourceOptions = {
		directory: settings.directory,
		dateSubdirectories: settings.dateSubdirectories,
		runDate,
		daysBack: settings.daysBack,
		nameFilter: settings.fileNameContains,
		stableWaitMs: settings.uploadWaitMs,
		maxFileBytes: settings.maxFileBytes,
		maxFiles: settings.maxFiles,
		afterImport: settings.afterImport,
		archiveDirectory: settings.archiveDirectory,
		onFailure: settings.onFailure,
		errorDirectory: settings.errorDirectory,
		sleep,
	};
	try {
		// one session (FTP, FTPS or SFTP, by the credential's protocol) for the whole run
		await remoteFileSource(ftp, sourceOptions, store)(async (source) => {
			await source.open();
			baseDirectory = source.baseDirectory;
			// a file moved into a directory that is listed would be imported again on the next run
			const listed = directoriesToList(source.baseDirectory, settings.dateSubdirectories, runDate, settings.daysBack);
			for (const [label, dir, used] of [
				['Archive Directory', source.archiveDirectory, settings.afterImport === 'archive'],
				['Error Directory', source.errorDirectory, settings.onFailure === 'errorDirectory'],
			] as const) {
				if (used && listed.includes(dir)) {
					throw new NodeOperationError(this.getNode(), `The ${label} ${dir} is a directory the import reads: use a subdirectory such as "archiv/"`);
				}
			}

			listing = await source.list();
			counts.uploading = listing.uploading.length;
			counts.deferred = listing.deferred;
			for (const odd of listing.unsafe) {
				const reason = 'the file name contains control characters or a backslash; such a name is never used in a command, so the file is left alone: rename it on the server';
				errors.push({
					json: { file: odd.name, directory: odd.directory, stage: 'listing', reason, action: 'left in place', imported: false },
					report: { file: odd.name, path: odd.directory, stage: 'listing', reason, action: 'left in place' },
				});
			}

			for (let index = 0; index < listing.ready.length; index++) {
				if (source.lost) {
					stoppedAt = index;
					break;
				}
				try {
					await importFile(source, listing.ready[index]);
				} catch (error) {
					if (error instanceof FtpSourceConnectionLost || source.lost) {
						stoppedAt = index;
						break;
					}
					// files may have been deleted already: their payments must reach the output, so the run ends here instead of failing
					const reason = `the import stopped at ${listing.ready[index].name}: ${(error as Error).message}`;
					errors.push({
						json: { ...fileJson(listing.ready[index]), stage: 'unexpected', reason, action: 'left in place', imported: false },
						report: { file: listing.ready[index].name, path: listing.ready[index].path, stage: 'unexpected', reason, action: 'left in place' },
					});
					stoppedAt = index + 1;
					break;
				}
			}
			if (source.lost) {
				const left = listing.ready.length - (stoppedAt ?? listing.ready.length);
				const reason =
					`${source.lost.message}. ${left} file(s) were not imported and stay on the server for the next run; ` +
					`the payments of the ${counts.imported} file(s) imported before are in the output.`;
				errors.push({
					json: { stage: 'connection', reason, imported: false, filesImported: counts.imported, filesLeft: left },
					report: { stage: 'connection', reason },
				});
			}
		});
	} catch (error) {
		// nothing was committed when we get here (the loop ends without throwing once a file was): the run failed as a whole
		store.save();
		const reason =
			error instanceof FtpDirectoryMissing
				? `${error.message} Create it, or correct the Directory.`
				: ((error as Error).message ?? String(error));
		if (smtp && !(error instanceof NodeOperationError)) {
			await sendErrorReport(smtp, settings.errorReportTo, {
				workflowName: this.getWorkflow().name ?? 'workflow',
				server: remoteServer(ftp),
				directory: baseDirectory || '(login directory)',
				runAt,
				failures: [{ stage: 'connection', reason }],
			}).catch(() => undefined);
		}
		if (this.continueOnFail()) {
			return [[], [{ json: { stage: 'connection', reason, imported: false }, pairedItem: { item: 0 } }]];
		}
		if (error instanceof FtpDirectoryMissing) throw new NodeOperationError(this.getNode(), reason);
		throw userFacing(this, error);
	}
	store.save();
	if (store.overLimit) {
		const reason = `more than ${store.size} files are remembered in this directory; the import keeps remembering them all, but the directory should be cleaned up (archive or delete old files)`;
		errors.push({ json: { stage: 'remember', reason, imported: false }, report: { stage: 'remember', reason } });
	}

	// --- matching and items
	const matched: Array<MatchedPayment | Payment> =
		invoices.invoices.length > 0
			? matchPayments(
					collected.map((c) => c.payment),
					invoices.invoices,
					{ nameSimilarity: settings.nameSimilarity, defaultCurrency: settings.defaultCurrency },
				)
			: collected.map((c) => c.payment);
	const itemOfInvoice = new Map<string, number>();
	invoices.invoices.forEach((inv, i) => {
		if (!itemOfInvoice.has(inv.invoiceNumber)) itemOfInvoice.set(inv.invoiceNumber, invoices.itemIndex[i]);
	});
	const paymentItems: INodeExecutionData[] = matched.map((payment, i) => {
		const c = collected[i];
		const json: IDataObject = {
			client: c.client,
			...(payment as unknown as IDataObject),
			paidDate: paidDateOf(payment, settings.paidDate, runDate),
			sourceFile: c.file.name,
			sourcePath: c.file.path,
			format: c.format,
			statementId: c.statementId,
		};
		const matchedItems = 'matchedInvoices' in payment ? payment.matchedInvoices.map((m) => itemOfInvoice.get(m.invoiceNumber)) : [];
		const paired: IPairedItemData[] = [...new Set(matchedItems.filter((x): x is number => x !== undefined))].map((item) => ({ item }));
		return { json: dropUndefined(json), pairedItem: paired.length === 0 ? { item: 0 } : paired.length === 1 ? paired[0] : paired };
	});

	const errorItems: INodeExecutionData[] = [];
	for (const e of errors) {
		const item: INodeExecutionData = { json: dropUndefined(e.json), pairedItem: { item: 0 } };
		if (e.content && e.file) {
			const binary: IBinaryData = await this.helpers.prepareBinaryData(e.content, e.file.name, mimeTypeOf(e.file.name));
			item.binary = { data: binary };
		}
		errorItems.push(item);
	}

	if (smtp && errors.length > 0) {
		try {
			const sent = await sendErrorReport(smtp, settings.errorReportTo, {
				workflowName: this.getWorkflow().name ?? 'workflow',
				server: remoteServer(ftp),
				directory: baseDirectory,
				runAt,
				failures: errors.map((e) => e.report),
			});
			for (const item of errorItems) item.json.reportedTo = sent.recipient;
		} catch (error) {
			errorItems.push({
				json: { stage: 'report', reason: `the error report could not be sent to ${settings.errorReportTo}: ${(error as Error).message}`, imported: false },
				pairedItem: { item: 0 },
			});
		}
	}

	this.logger.info(
		`Accounting FTP Import: ${counts.imported} of ${counts.files} file(s) imported with ${paymentItems.length} payment(s), ${errors.length} problem(s); ` +
			`${counts.remembered} remembered, ${counts.uploading} still uploading, ${counts.foreign} of other clients, ${counts.deferred} deferred, ${counts.takenByOther} taken by another run`,
	);
	return [paymentItems, errorItems];
}

function dropUndefined(json: IDataObject): IDataObject {
	for (const key of Object.keys(json)) if (json[key] === undefined) delete json[key];
	return json;
}

export type { FtpCredentials };
