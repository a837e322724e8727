import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { DocumentError } from '../shared/documents/DocumentError';
import type { Payment, PaymentFile, PaymentFormat } from '../shared/documents/payments';
import { commitsAtExecutionEnd } from '../shared/executionEnd';
import { paymentParser } from '../shared/paymentThread';
import { consumeFiles, type FileClaims, type FileDecision, type FileRunReport, type FileRunStop, type ReadFile, type Settled } from '../shared/fileConsumer';
import type { FileListing, FileSource } from '../shared/transports/fileSource';
import type { FingerprintStore } from '../shared/transports/fingerprints';
import { directoriesToList, type RemoteFile } from '../shared/transports/ftpSource';
import { remoteFileSource } from '../shared/transports/remoteDirectory';
import type { StatementOwner } from './clients';
import type { ReportedFailure } from './errorReport';
import type { ImportPlan } from './importSettings';

/**
 * Import Payments, step 2: one FTP session, driven by `consumeFiles`. Every file whose name matches is read
 * and parsed, and its payments are held before the file is deleted, archived or kept-and-remembered; a file
 * that fails stays (or moves to the error directory) and becomes an error with the original attached. Once a
 * file was committed, nothing throws any more: a lost connection ends the run with what it holds.
 */

export interface CollectedPayment {
	payment: Payment;
	client?: string;
	file: RemoteFile;
	format: PaymentFormat;
	statementId?: string;
}

/** One problem of the run: an item on the Errors output and a line of the error report. */
export interface FileError {
	json: IDataObject;
	content?: Buffer;
	file?: RemoteFile;
	report: ReportedFailure;
}

export interface ImportRun {
	collected: CollectedPayment[];
	errors: FileError[];
	/** the directory that was read (absolute once the session was open) */
	baseDirectory: string;
	counts: { files: number; imported: number; remembered: number; uploading: number; foreign: number; takenByOther: number; deferred: number };
}

/** What `decide` found in a file: its payments, or why it failed. */
type FileOutcome =
	| { payments: CollectedPayment[] }
	| { stage: string; reason: string; extra?: IDataObject; content?: Buffer };

export function fileJson(file: RemoteFile): IDataObject {
	return { file: file.name, path: file.path, size: file.size, modifiedAt: file.modifiedAt };
}

export function newRun(plan: ImportPlan): ImportRun {
	return {
		collected: [],
		errors: [],
		baseDirectory: plan.settings.directory,
		counts: { files: 0, imported: 0, remembered: 0, uploading: 0, foreign: 0, takenByOther: 0, deferred: 0 },
	};
}

/**
 * Runs the import into `run`; throws only when the run failed before any file was committed (login,
 * directory, configuration). `run.baseDirectory` is the directory as the server resolved it once it is open.
 */
export async function runImport(ctx: IExecuteFunctions, plan: ImportPlan, store: FingerprintStore, run: ImportRun, claims?: FileClaims<RemoteFile>): Promise<void> {
	const { settings } = plan;
	const withSource = remoteFileSource(
		plan.ftp,
		{
			directory: settings.directory,
			dateSubdirectories: settings.dateSubdirectories,
			runDate: plan.runDate,
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
		},
		store,
	);
	const parser = paymentParser(settings.format, {
		csvMapping: settings.csvMapping,
		datevBankAccounts: settings.datevBankAccounts,
		defaultCurrency: settings.defaultCurrency,
		knownInvoiceNumbers: plan.knownInvoiceNumbers,
	});
	// files parsed ahead (on the parse thread) while the next ones are downloaded: a window's at most
	const parsing = new Map<string, Promise<Parsed>>();
	const parse = (file: RemoteFile, bytes: Buffer) => parser.parse(bytes, file.name).then((parsed): Parsed => ({ parsed }), (error: unknown): Parsed => ({ error }));
	let report: FileRunReport<RemoteFile>;
	try {
		report = await consumeFiles<RemoteFile, FileOutcome>(withSource, {
			exclusive: `${plan.ftp.host.toLowerCase()}|${plan.ftp.user}`,
			// deleted or archived once the execution has ended: a process killed before loses no payment
			atEnd: commitsAtExecutionEnd(ctx, withSource),
			// "already imported", recorded at each import where every process sees it
			claims,
			check: (source) => checkDirectories(ctx, plan, source, run),
			listed: (listing) => noteListing(listing, run),
			prepare: (file, read) => void (read.kind === 'content' && parsing.set(file.path, parse(file, read.bytes))),
			decide: async (file, read) => {
				const ahead = parsing.get(file.path);
				parsing.delete(file.path);
				return decidePaymentFile(plan, file, read, read.kind === 'content' ? await (ahead ?? parse(file, read.bytes)) : undefined);
			},
			settle: (settled) => settlePaymentFile(settled, run),
		});
	} finally {
		parser.end();
	}
	countReport(report, run);
	if (report.busy) run.errors.push(busyError(run));
	if (report.stop) run.errors.push(stopError(report.stop, run));
}

/** A file moved into a directory that is listed would be imported again on the next run. */
function checkDirectories(ctx: IExecuteFunctions, plan: ImportPlan, source: FileSource<RemoteFile>, run: ImportRun): void {
	run.baseDirectory = source.baseDirectory;
	const listed = directoriesToList(source.baseDirectory, plan.settings.dateSubdirectories, plan.runDate, plan.settings.daysBack);
	for (const [label, dir] of [
		['Archive Directory', source.archiveDirectory],
		['Error Directory', source.errorDirectory],
	] as const) {
		if (dir !== undefined && listed.includes(dir)) {
			throw new NodeOperationError(ctx.getNode(), `The ${label} ${dir} is a directory the import reads: use a subdirectory such as "archiv/"`);
		}
	}
}

function noteListing(listing: FileListing<RemoteFile>, run: ImportRun): void {
	for (const odd of listing.unsafe) {
		const reason = 'the file name contains control characters or a backslash; such a name is never used in a command, so the file is left alone: rename it on the server';
		run.errors.push({
			json: { file: odd.name, directory: odd.directory, stage: 'listing', reason, action: 'left in place', imported: false },
			report: { file: odd.name, path: odd.directory, stage: 'listing', reason, action: 'left in place' },
		});
	}
}

function countReport(report: FileRunReport<RemoteFile>, run: ImportRun): void {
	run.counts.files = report.counts.files;
	run.counts.remembered = report.counts.remembered;
	run.counts.uploading = report.listing.inProgress.length + report.counts.changed;
	run.counts.foreign = report.counts.left;
	run.counts.deferred = report.listing.deferred;
	run.counts.takenByOther += report.counts.elsewhere;
}

/** A file's content parsed (paymentThread.ts), or why it could not be. */
export type Parsed = { parsed: PaymentFile } | { error: unknown };

/** Decides on a file as parsed: commit (its payments are held), fail (why), or leave (another client's file). */
export function decidePaymentFile(plan: ImportPlan, file: RemoteFile, read: ReadFile, outcome: Parsed | undefined): FileDecision<FileOutcome> {
	if (read.kind === 'tooLarge') {
		return { action: 'fail', result: { stage: 'download', reason: `the file is larger than the limit of ${Math.round(read.limit / 1024 / 1024)} MB (Max File Size)` } };
	}
	if (!outcome || 'error' in outcome) return { action: 'fail', result: parseFailure(outcome?.error ?? new Error('it was not parsed'), read.bytes) };
	const { parsed } = outcome;
	const owners: StatementOwner[] = parsed.statements.map((s) => plan.clients.ownerOf(s));
	if (owners.some((o) => o.kind === 'unknown')) {
		const reason =
			'the file names no account, and several clients are configured: the node cannot tell whose payments these are (name the account in CSV Mapping → Account IBAN, or configure one client without accounts)';
		return { action: 'fail', result: { stage: 'client', reason, extra: { format: parsed.format }, content: read.bytes } };
	}
	const ours = owners.filter((o) => o.kind !== 'foreign').length;
	// another client's file: not ours to import, delete or report
	if (parsed.statements.length > 0 && ours === 0) return { action: 'leave' };
	const payments: CollectedPayment[] = [];
	parsed.statements.forEach((statement, i) => {
		const owner = owners[i];
		if (owner.kind === 'foreign') return;
		for (const payment of statement.payments) {
			if (plan.settings.creditsOnly && payment.direction !== 'credit') continue;
			payments.push({ payment, client: owner.kind === 'client' ? owner.id : undefined, file, format: parsed.format, statementId: statement.statementId });
		}
	});
	// a file that also holds other clients' statements stays for them
	return { action: 'commit', result: { payments }, mustStay: ours < parsed.statements.length };
}

function parseFailure(error: unknown, content: Buffer): FileOutcome {
	const doc = error instanceof DocumentError ? error : undefined;
	const positionText = doc ? DocumentError.where(doc.position) : undefined;
	return {
		stage: 'parse',
		reason: doc ? doc.reason : `the file could not be read: ${(error as Error).message}`,
		extra: { code: doc?.code ?? 'UNEXPECTED', position: doc ? ({ ...doc.position } as IDataObject) : undefined, positionText },
		content,
	};
}

function settlePaymentFile({ file, action, result, outcome }: Settled<RemoteFile, FileOutcome>, run: ImportRun): void {
	if (action === 'fail' && 'stage' in result) {
		const action =
			outcome.kind === 'moved'
				? `moved to ${outcome.to}`
				: outcome.kind === 'moveFailed'
					? `left in place: the move to the error directory failed (${outcome.reason})`
					: 'left in place; it is tried again on the next run';
		const { stage, reason, extra = {}, content } = result;
		run.errors.push({
			json: { ...fileJson(file), stage, reason, ...extra, action, movedTo: outcome.kind === 'moved' ? outcome.to : undefined, imported: false },
			content,
			file,
			report: { file: file.name, path: file.path, stage, reason, position: extra.positionText as string | undefined, action, content },
		});
		return;
	}
	if (outcome.kind === 'gone' || !('payments' in result)) {
		run.counts.takenByOther++;
		return;
	}
	run.counts.imported++;
	run.collected.push(...result.payments);
	if (outcome.kind === 'remembered') {
		const reason = `imported, but ${outcome.reason}. The file is remembered and will not be imported again.`;
		run.errors.push({
			json: { ...fileJson(file), stage: 'commit', reason, action: 'left in place, remembered', imported: true, payments: result.payments.length },
			file,
			report: { file: file.name, path: file.path, stage: 'commit', reason, action: 'left in place, remembered' },
		});
	}
}

function busyError(run: ImportRun): FileError {
	const reason = `Another run of this import is reading ${run.baseDirectory} right now; this run imported nothing, the files wait for the next run.`;
	return { json: { stage: 'busy', reason, imported: false }, report: { stage: 'busy', reason } };
}

function stopError(stop: FileRunStop<RemoteFile>, run: ImportRun): FileError {
	if (stop.reason === 'unexpected' && stop.file) {
		const file = stop.file;
		const reason = `the import stopped at ${file.name}: ${stop.error.message}`;
		return {
			json: { ...fileJson(file), stage: 'unexpected', reason, action: 'left in place', imported: false },
			report: { file: file.name, path: file.path, stage: 'unexpected', reason, action: 'left in place' },
		};
	}
	const reason =
		`${stop.error.message}. ${stop.left} file(s) were not imported and stay on the server for the next run; ` +
		`the payments of the ${run.counts.imported} file(s) imported before are in the output.`;
	return {
		json: { stage: 'connection', reason, imported: false, filesImported: run.counts.imported, filesLeft: stop.left },
		report: { stage: 'connection', reason },
	};
}
