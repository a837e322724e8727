import type { IDataObject, IExecuteFunctions, INodeExecutionData, IPairedItemData } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { CREDENTIAL, fileServerCredentials, imapCredentials } from '../shared/credentials';
import { FolderSource, type LocalFile } from '../shared/transports/folder';
import { FingerprintStore, FtpSourceConnectionLost, type RemoteFile } from '../shared/transports/ftpSource';
import { remoteFileSource, remoteServer, type RemoteSource } from '../shared/transports/remoteDirectory';
import {
	consumeImapFolder,
	mailboxKey,
	uidSet,
	withMailboxLock,
	type ImapSource,
	type ImapSourceFolders,
	type MailDecision,
	type MailPart,
	type MailSummary,
} from '../shared/transports/imapSource';
import { documentJson } from './documentInput';
import { userFacing } from '../shared/nodeErrors';
import {
	DEFAULT_MEMORY_LIMIT,
	ImportMemory,
	judgeUnit,
	siteRule,
	SiteConfigurationError,
	SiteDirectory,
	type ArrivedFile,
	type ErrorReason,
	type JudgeOptions,
	type Registration,
	type UnitOutcome,
	type Verdict,
} from './importRules';
import { openTransKind } from './naming';

/**
 * Receive: reads what waits at the source, judges every document (site, number range, duplicate) and
 * emits it on Orders, Skipped or Errors. A source unit (mail, file, input item) is committed — moved to the
 * archive, deleted, moved to `processed/` — only once the items of all its documents are built, and its
 * documents are remembered only once that commit succeeded; a unit with a broken or refused document goes
 * to the error folder instead, and its Errors items say why. The IMAP and FTP sources are the ones of the
 * Delivery Note trigger and the Accounting FTP Import; only the judging is this node's own.
 */

type Source = 'email' | 'ftp' | 'folder' | 'binary';

interface ReceiveSettings {
	judge: JudgeOptions;
	maxPerRun: number;
	maxFileBytes: number;
	uploadWaitMs: number;
	fileNamePattern: string;
	createMissingFolders: boolean;
}

interface UnitItems {
	orders: INodeExecutionData[];
	skipped: INodeExecutionData[];
	errors: INodeExecutionData[];
}

class Outputs implements UnitItems {
	orders: INodeExecutionData[] = [];
	skipped: INodeExecutionData[] = [];
	errors: INodeExecutionData[] = [];

	add(items: UnitItems, sourcePatch: IDataObject = {}): void {
		const patch = Object.fromEntries(Object.entries(sourcePatch).filter(([, v]) => v !== undefined));
		for (const list of ['orders', 'skipped', 'errors'] as const) {
			for (const item of items[list]) {
				item.json.source = { ...(item.json.source as IDataObject), ...patch };
				this[list].push(item);
			}
		}
	}

	error(json: IDataObject): void {
		this.errors.push({ json, pairedItem: { item: 0 } });
	}

	get count(): number {
		return this.orders.length + this.skipped.length + this.errors.length;
	}
}

function readSettings(ctx: IExecuteFunctions, staticData: Record<string, unknown>): ReceiveSettings {
	const options = ctx.getNodeParameter('receiveOptions', 0, {}) as IDataObject;
	const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
	const limit = Math.max(1, Math.floor(num(options.memoryLimit, DEFAULT_MEMORY_LIMIT)));
	const entries = ctx.getNodeParameter('sites.site', 0, []) as Array<{ siteId?: string; numberPrefix?: string; rangeFrom?: string; rangeTo?: string }>;
	let sites: SiteDirectory;
	try {
		sites = new SiteDirectory(entries.map(siteRule));
	} catch (error) {
		if (!(error instanceof SiteConfigurationError)) throw userFacing(ctx, error);
		throw new NodeOperationError(ctx.getNode(), error.message, {
			description: 'Under "Sites", list each sending site with the Site ID it writes into its documents and its own number prefix or range.',
		});
	}
	return {
		judge: {
			sites,
			memory: new ImportMemory(staticData, limit),
			onChanged: ctx.getNodeParameter('onChanged', 0, 'update') === 'ignore' ? 'ignore' : 'update',
		},
		maxPerRun: Math.max(1, Math.floor(num(options.maxPerRun, 500))),
		maxFileBytes: Math.round(num(options.maxFileSizeMb, 20) * 1024 * 1024),
		uploadWaitMs: Math.max(0, Math.round(num(options.uploadWaitSeconds, 2) * 1000)),
		fileNamePattern: typeof options.fileNamePattern === 'string' ? options.fileNamePattern : '*.xml',
		createMissingFolders: options.createMissingFolders === true,
	};
}

export async function receive(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const source = this.getNodeParameter('transport', 0) as Source;
	// the memory of imported documents (and the FTP source's fingerprints) live in the node's static data
	const staticData = this.getWorkflowStaticData('node') as Record<string, unknown>;
	const settings = readSettings(this, staticData);
	const memory = settings.judge.memory;
	const out = new Outputs();

	if (source === 'binary') await receiveBinary(this, settings, out);
	else if (source === 'email') await receiveMail(this, settings, out);
	else if (source === 'ftp') await receiveFtp(this, settings, out, staticData);
	else await receiveFolder(this, settings, out);

	memory.save();
	this.logger.info(
		`Order Exchange (receive from ${source}): ${out.orders.length} order(s)/quote(s), ${out.skipped.length} skipped, ${out.errors.length} error(s); ${memory.size} document(s) remembered`,
	);
	return [out.orders, out.skipped, out.errors];
}

// ------------------------------------------------------------------------------------------------
// Items

function label(v: Verdict): string {
	return v.doc ? `${openTransKind(v.doc.type)} ${v.doc.number}` : (v.file?.fileName ?? 'document');
}

function mimeTypeOf(fileName: string): string {
	return /\.xml$/i.test(fileName) ? 'application/xml' : 'application/octet-stream';
}

/**
 * The items of one source unit, complete with their binary data, built before the unit is committed: once a
 * mail is in the archive, nothing may stand between it and the output.
 */
async function unitItems(ctx: IExecuteFunctions, outcome: UnitOutcome, source: IDataObject, pairedItem: IPairedItemData): Promise<UnitItems> {
	const items: UnitItems = { orders: [], skipped: [], errors: [] };
	const binaryOf = async (file: ArrivedFile | undefined) =>
		file ? { data: await ctx.helpers.prepareBinaryData(file.bytes, file.fileName, file.mimeType || mimeTypeOf(file.fileName)) } : undefined;
	const heldBack = outcome.failed ? outcome.verdicts.filter((v) => v.kind !== 'error').map(label) : [];
	for (const v of outcome.verdicts) {
		// a failed unit emits only its errors; its good documents are held back with it
		if (outcome.failed && v.kind !== 'error') continue;
		const json: IDataObject = {};
		if (v.kind === 'order') {
			Object.assign(json, { action: v.action, ...documentJson(v.doc), documentKey: v.key, contentHash: v.hash });
			if (v.previousHash) json.previousContentHash = v.previousHash;
		} else if (v.kind === 'skipped') {
			Object.assign(json, {
				reason: v.reason,
				message: v.message,
				type: v.doc.type,
				number: v.doc.number,
				date: v.doc.date,
				site: v.doc.site,
				documentKey: v.key,
				contentHash: v.hash,
			});
		} else {
			Object.assign(json, { reason: v.reason, message: v.message });
			if (v.file) json.file = v.file.fileName;
			if (v.position) json.position = { ...v.position };
			if (v.detail) json.detail = v.detail;
			if (v.doc) Object.assign(json, { type: v.doc.type, number: v.doc.number, date: v.doc.date, site: v.doc.site });
			if (v.key) json.documentKey = v.key;
			if (heldBack.length) {
				json.heldBack = heldBack;
				json.message = `${v.message} (held back with it, not imported: ${heldBack.join(', ')})`;
			}
		}
		json.source = { ...source, ...(v.file ? { file: v.file.fileName } : {}) };
		const item: INodeExecutionData = { json, pairedItem };
		const binary = await binaryOf(v.file);
		if (binary) item.binary = binary;
		(v.kind === 'order' ? items.orders : v.kind === 'skipped' ? items.skipped : items.errors).push(item);
	}
	return items;
}

/** A unit that failed as a whole before any document could be read (no attachment, too large …). */
function unitError(reason: ErrorReason, message: string, file?: ArrivedFile): UnitOutcome {
	return { failed: true, verdicts: [{ kind: 'error', reason, message, file }], registrations: [] };
}

function judge(files: ArrivedFile[], settings: ReceiveSettings): UnitOutcome {
	const outcome = judgeUnit(files, settings.judge);
	// staged until the unit is committed, so that the same document later in this run counts as a duplicate
	settings.judge.memory.stage(outcome.registrations);
	return outcome;
}

// ------------------------------------------------------------------------------------------------
// Binary input: each item is a unit; it is on the output as soon as it is judged

function binaryNames(ctx: IExecuteFunctions, item: INodeExecutionData, itemIndex: number): string[] {
	const typed = String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data') ?? '').trim();
	if (typed === '*') return Object.keys(item.binary ?? {});
	return typed
		.split(',')
		.map((n) => n.trim())
		.filter(Boolean);
}

async function receiveBinary(ctx: IExecuteFunctions, settings: ReceiveSettings, out: Outputs): Promise<void> {
	const items = ctx.getInputData();
	for (let i = 0; i < items.length; i++) {
		let files: ArrivedFile[];
		try {
			const names = binaryNames(ctx, items[i], i);
			if (names.length === 0) throw new NodeOperationError(ctx.getNode(), 'The item has no binary field', { itemIndex: i });
			files = [];
			for (const name of names) {
				const binary = ctx.helpers.assertBinaryData(i, name);
				const bytes = await ctx.helpers.getBinaryDataBuffer(i, name);
				files.push({ fileName: binary.fileName ?? `${name}.xml`, mimeType: binary.mimeType, bytes });
			}
		} catch (error) {
			if (!ctx.continueOnFail()) throw userFacing(ctx, error, i);
			out.errors.push({ json: { reason: 'noDocument', message: (error as Error).message, error: (error as Error).message }, pairedItem: { item: i } });
			continue;
		}
		const tooBig = files.find((f) => f.bytes.length > settings.maxFileBytes);
		const judged = tooBig
			? unitError('tooLarge', `${tooBig.fileName}: larger than the limit of ${settings.maxFileBytes / 1024 / 1024} MB (Max File Size)`, tooBig)
			: judge(files, settings);
		out.add(await unitItems(ctx, judged, { transport: 'binary', item: i }, { item: i }));
		settings.judge.memory.confirm(judged.registrations);
	}
}

// ------------------------------------------------------------------------------------------------
// IMAP folder: consumeImapFolder of the Delivery Note trigger, with this node's judging as `decide`

interface MailResult {
	items: UnitItems;
	registrations: Registration[];
}

/** Attachments that may be openTRANS documents: XML by type or name. */
function documentPartsOf(mail: MailSummary): MailPart[] {
	return mail.parts.filter((p) => /xml/.test(p.contentType) || /\.xml$/i.test(p.fileName ?? ''));
}

function attachmentName(part: MailPart): string {
	return part.fileName ?? `attachment-${part.part}.xml`;
}

function mailJson(mail: MailSummary): IDataObject {
	const json: IDataObject = { from: mail.from[0]?.address ?? '' };
	if (mail.messageId) json.messageId = mail.messageId;
	if (mail.subject !== undefined) json.subject = mail.subject;
	if (mail.date) json.date = mail.date;
	if (mail.receivedAt) json.receivedAt = mail.receivedAt;
	return json;
}

function readMailFolders(ctx: IExecuteFunctions): ImapSourceFolders {
	const folder = (name: string, label: string): string => {
		const value = String(ctx.getNodeParameter(name, 0, '', { extractValue: true }) ?? '').trim();
		if (!value) throw new NodeOperationError(ctx.getNode(), `Choose the ${label} folder`);
		return value;
	};
	const folders = { inbox: folder('inboxFolder', 'inbox'), archive: folder('archiveFolder', 'archive'), error: folder('errorFolder', 'error') };
	if (folders.archive === folders.inbox || folders.error === folders.inbox) {
		throw new NodeOperationError(ctx.getNode(), 'The archive and error folders must differ from the inbox folder', {
			description: 'Mails are moved out of the inbox folder once processed; moving them into the same folder would process them again.',
		});
	}
	return folders;
}

async function receiveMail(ctx: IExecuteFunctions, settings: ReceiveSettings, out: Outputs): Promise<void> {
	const credentials = imapCredentials(await ctx.getCredentials(CREDENTIAL.imap));
	const folders = readMailFolders(ctx);

	const decide = async (batch: MailSummary[], source: ImapSource): Promise<Array<MailDecision<MailResult>>> => {
		const decisions: Array<MailDecision<MailResult>> = [];
		const decided = async (mail: MailSummary, outcome: UnitOutcome) => {
			const action = outcome.failed ? 'fail' : 'commit';
			const sourceJson = {
				transport: 'email',
				folder: source.folders.inbox,
				movedTo: outcome.failed ? source.folders.error : source.folders.archive,
				mail: mailJson(mail),
			};
			const items = await unitItems(ctx, outcome, sourceJson, { item: 0 });
			decisions.push({ uid: mail.uid, action, result: { items, registrations: outcome.registrations } });
		};
		const toRead: Array<{ mail: MailSummary; parts: MailPart[] }> = [];
		for (const mail of batch) {
			const parts = documentPartsOf(mail);
			const tooBig = parts.find((p) => p.size > settings.maxFileBytes);
			if (parts.length === 0) {
				const names = mail.parts.map((p) => p.fileName ?? p.contentType);
				await decided(
					mail,
					unitError('noDocument', names.length ? `The mail has no XML attachment (${names.join(', ')}).` : 'The mail has no attachment.'),
				);
			} else if (tooBig) {
				await decided(
					mail,
					unitError('tooLarge', `${attachmentName(tooBig)}: about ${Math.ceil(tooBig.size / 1024)} KB, more than the allowed Max File Size; not downloaded`),
				);
			} else toRead.push({ mail, parts });
		}
		const downloaded = await source.downloadParts(toRead.map((r) => ({ uid: r.mail.uid, parts: r.parts })));
		for (const { mail, parts } of toRead) {
			const files: ArrivedFile[] = [];
			let missing: MailPart | undefined;
			for (const part of parts) {
				const bytes = downloaded.get(mail.uid)?.get(part.part);
				if (!bytes) missing = part;
				else files.push({ fileName: attachmentName(part), mimeType: part.contentType || 'application/xml', bytes });
			}
			// the server did not deliver a part (the mail changed under us): better the error folder than a silent gap
			await decided(mail, missing ? unitError('parseError', `${attachmentName(missing)}: the mail server did not deliver this attachment`) : judge(files, settings));
		}
		return decisions;
	};

	let run;
	try {
		run = await withMailboxLock(mailboxKey(credentials, folders.inbox), async () =>
			await consumeImapFolder<MailResult>(credentials, {
				folders,
				createMissingFolders: settings.createMissingFolders,
				maxMessages: settings.maxPerRun,
				// an action node has no poll budget; Max Mails per Run bounds the work
				deadline: Date.now() + 30 * 60_000,
				decide,
			}),
		);
	} catch (error) {
		throw userFacing(ctx, error);
	}
	if (run.busy) {
		if (ctx.getMode() === 'manual') {
			throw new NodeOperationError(ctx.getNode(), 'Another run is reading this inbox folder right now', {
				description: 'Wait until it has finished, then try again.',
			});
		}
		ctx.logger.info(`Order Exchange: skipped, another run is reading "${folders.inbox}"`);
		return;
	}
	const report = run.value;
	if (report.interruption && !report.committed.length && !report.failed.length) throw userFacing(ctx, report.interruption);
	for (const result of report.committed) {
		settings.judge.memory.confirm(result.registrations);
		out.add(result.items);
	}
	for (const result of report.failed) out.add(result.items);

	const causes = new Map<string, number[]>();
	for (const refused of report.notMoved) {
		const cause = `moving to the ${refused.action === 'commit' ? 'archive' : 'error'} folder failed${refused.refusal ? `: ${refused.refusal}` : ''}`;
		causes.set(cause, [...(causes.get(cause) ?? []), refused.uid]);
	}
	for (const [cause, uids] of causes) {
		out.error({
			reason: 'notMoved',
			message: `${uids.length} mail(s) stay in the inbox folder and are processed again by the next run: ${cause}`,
			source: { transport: 'email', folder: report.folders.inbox, uids: uidSet(uids) },
		});
	}
	if (report.interruption) {
		out.error({
			reason: 'connectionLost',
			message: `${report.interruption.message} The mails not yet processed wait for the next run.`,
			source: { transport: 'email', folder: report.folders.inbox },
		});
	} else if (report.more) {
		ctx.logger.info(`Order Exchange: more mails are waiting in "${report.folders.inbox}"; they follow with the next run`);
	}
}

// ------------------------------------------------------------------------------------------------
// FTP directory: the FtpSource of the Accounting FTP Import

function isoToday(): string {
	return new Date().toISOString().slice(0, 10);
}

async function receiveFtp(ctx: IExecuteFunctions, settings: ReceiveSettings, out: Outputs, staticData: Record<string, unknown>): Promise<void> {
	const ftp = fileServerCredentials(await ctx.getCredentials(CREDENTIAL.ftp));
	const afterImport: 'delete' | 'archive' = ctx.getNodeParameter('afterImport', 0, 'archive') === 'delete' ? 'delete' : 'archive';
	// files whose delete or move failed are remembered by the source, so that they are not imported twice
	const store = new FingerprintStore(staticData);
	const server = remoteServer(ftp);
	// files whose items are in the output: from the first one on, a broken session ends the run instead of failing it
	let handled = 0;
	const sourceOptions = {
		directory: String(ctx.getNodeParameter('ftpDirectory', 0, '') ?? ''),
		dateSubdirectories: 'none' as const,
		runDate: isoToday(),
		daysBack: 0,
		nameFilter: settings.fileNamePattern,
		stableWaitMs: settings.uploadWaitMs,
		maxFileBytes: settings.maxFileBytes,
		maxFiles: settings.maxPerRun,
		afterImport,
		archiveDirectory: String(ctx.getNodeParameter('archiveDirectory', 0, 'processed/') ?? 'processed/'),
		onFailure: 'errorDirectory' as const,
		errorDirectory: String(ctx.getNodeParameter('errorDirectory', 0, 'failed/') ?? 'failed/'),
		sleep,
	};
	try {
		// one session (FTP, FTPS or SFTP, by the credential's protocol) for the whole run
		await remoteFileSource(ftp, sourceOptions, store)(async (source) => {
			await source.open();
			for (const [label, dir, used] of [
				['Archive Directory', source.archiveDirectory, afterImport === 'archive'],
				['Error Directory', source.errorDirectory, true],
			] as const) {
				if (used && dir === source.baseDirectory) {
					throw new NodeOperationError(ctx.getNode(), `The ${label} ${dir} is the directory that is read: use a subdirectory such as "processed/"`);
				}
			}
			const listing = await source.list();
			for (const file of listing.ready) {
				if (source.lost) break;
				const before = out.count;
				try {
					await importFtpFile(ctx, source, file, settings, out, server);
				} catch (error) {
					if (error instanceof FtpSourceConnectionLost || source.lost) break;
					// files may have been moved or deleted already: their items must reach the output, so the run ends here
					if (handled === 0) throw userFacing(ctx, error);
					out.error({
						reason: 'parseError',
						message: `The run stopped at ${file.name}: ${(error as Error).message}`,
						source: { transport: 'ftp', server, path: file.path },
					});
					break;
				}
				if (out.count > before) handled++;
			}
			if (source.lost) {
				if (handled === 0) throw source.lost;
				out.error({
					reason: 'connectionLost',
					message: `${source.lost.message}. The files not yet imported stay on the server for the next run.`,
					source: { transport: 'ftp', server, directory: source.baseDirectory },
				});
			}
		});
	} catch (error) {
		store.save();
		throw userFacing(ctx, error);
	}
	store.save();
}

/** One file: read, judge, build its items, then commit or fail it. */
async function importFtpFile(
	ctx: IExecuteFunctions,
	source: RemoteSource,
	file: RemoteFile,
	settings: ReceiveSettings,
	out: Outputs,
	server: string,
): Promise<void> {
	const sourceJson = { transport: 'ftp', server, path: file.path };
	const read = await source.read(file);
	if (read.kind === 'remembered') {
		// imported before, but its delete or move failed then: try again, quietly
		await source.retryCommit(file, read.fingerprint);
		return;
	}
	if (read.kind === 'changed') return;
	const outcome =
		read.kind === 'tooLarge'
			? unitError('tooLarge', `${file.name}: larger than the limit of ${Math.round(read.limit / 1024 / 1024)} MB (Max File Size)`)
			: judge([{ fileName: file.name, mimeType: mimeTypeOf(file.name), bytes: read.bytes }], settings);
	const items = await unitItems(ctx, outcome, sourceJson, { item: 0 });
	if (outcome.failed || read.kind !== 'content') {
		const failed = await source.fail(file);
		out.add(items, failed.kind === 'moved' ? { movedTo: failed.to } : { movedTo: null, moveFailed: failed.kind === 'moveFailed' ? failed.reason : undefined });
		return;
	}
	const committed = await source.commit(file, read.sha256);
	if (committed.kind === 'gone') {
		// another run took the file meanwhile and emits it: this run must not
		settings.judge.memory.discard(outcome.registrations);
		return;
	}
	settings.judge.memory.confirm(outcome.registrations);
	out.add(items, committed.kind === 'archived' ? { movedTo: committed.to } : committed.kind === 'deleted' ? { deleted: true } : {});
	if (committed.kind === 'remembered') {
		out.error({
			reason: 'notMoved',
			message: `${file.name}: imported, but ${committed.reason}. The file is remembered and will not be imported again.`,
			source: sourceJson,
		});
	}
}

// ------------------------------------------------------------------------------------------------
// Local or cloud-synced folder

async function receiveFolder(ctx: IExecuteFunctions, settings: ReceiveSettings, out: Outputs): Promise<void> {
	const directory = String(ctx.getNodeParameter('inputFolder', 0, '') ?? '').trim();
	if (!directory.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(directory)) {
		throw new NodeOperationError(ctx.getNode(), 'Enter the folder as an absolute path, e.g. /home/n8n/Nextcloud/Auftraege');
	}
	const source = new FolderSource({
		directory,
		processedDirectory: String(ctx.getNodeParameter('processedFolder', 0, 'processed') ?? 'processed'),
		failedDirectory: String(ctx.getNodeParameter('failedFolder', 0, 'failed') ?? 'failed'),
		nameFilter: settings.fileNamePattern,
		stableWaitMs: settings.uploadWaitMs,
		maxFileBytes: settings.maxFileBytes,
		maxFiles: settings.maxPerRun,
		sleep,
	});
	let ready: LocalFile[];
	try {
		await source.open();
		ready = (await source.list()).ready;
	} catch (error) {
		throw userFacing(ctx, error);
	}
	let handled = 0;
	for (const file of ready) {
		const before = out.count;
		try {
			await importLocalFile(ctx, source, file, settings, out);
		} catch (error) {
			// files moved already must reach the output: the run ends here instead of failing
			if (handled === 0) throw userFacing(ctx, error);
			out.error({ reason: 'parseError', message: `The run stopped at ${file.name}: ${(error as Error).message}`, source: { transport: 'folder', path: file.path } });
			break;
		}
		if (out.count > before) handled++;
	}
}

async function importLocalFile(ctx: IExecuteFunctions, source: FolderSource, file: LocalFile, settings: ReceiveSettings, out: Outputs): Promise<void> {
	const read = await source.read(file);
	if (read.kind === 'changed') return;
	const outcome =
		read.kind === 'tooLarge'
			? unitError('tooLarge', `${file.name}: larger than the limit of ${Math.round(read.limit / 1024 / 1024)} MB (Max File Size)`)
			: judge([{ fileName: file.name, mimeType: mimeTypeOf(file.name), bytes: read.bytes }], settings);
	const items = await unitItems(ctx, outcome, { transport: 'folder', path: file.path }, { item: 0 });
	const failed = outcome.failed || read.kind !== 'content';
	const moved = failed ? await source.fail(file) : await source.commit(file);
	if (moved.kind === 'gone') {
		// another run took the file meanwhile and emits it: this run must not
		settings.judge.memory.discard(outcome.registrations);
		return;
	}
	if (moved.kind === 'moveFailed' && !failed) {
		// still in the folder, so it would be read again: neither emitted nor remembered, but reported
		settings.judge.memory.discard(outcome.registrations);
		out.error({
			reason: 'notMoved',
			message: `${file.name}: could not be moved into the processed folder (${moved.reason}); it is read again by the next run`,
			source: { transport: 'folder', path: file.path },
		});
		return;
	}
	if (!failed) settings.judge.memory.confirm(outcome.registrations);
	out.add(items, moved.kind === 'moved' ? { movedTo: moved.to } : { movedTo: null, moveFailed: moved.reason });
}
