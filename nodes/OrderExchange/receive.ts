import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { consumeMailbox } from '../shared/mailboxConsumer';
import { imapAccount } from '../shared/mailAuth';
import { readMailFolders } from '../shared/mailFolders';
import type { MailDecision } from '../shared/transports/imapConsumer';
import type { ImapSource, MailPart, MailSummary } from '../shared/transports/imapSource';
import { userFacing } from '../shared/nodeErrors';
import {
	DEFAULT_MEMORY_LIMIT,
	ImportMemory,
	siteRule,
	SiteConfigurationError,
	SiteDirectory,
	type ArrivedFile,
	type Registration,
	type UnitOutcome,
} from './importRules';
import { receiveFiles } from './receiveFiles';
import { judgeUnits, Outputs, unitError, unitItems, type ReceiveSettings, type UnitItems } from './receiveUnits';
import { documentLedger } from './documentRecords';

/**
 * Receive: reads what waits at the source, judges every document (site, number range, duplicate) and
 * emits it on Orders, Skipped or Errors. A source unit (mail, file, input item) is committed — moved to the
 * archive, deleted, moved to `processed/` — only once the items of all its documents are built, and its
 * documents are remembered only once that commit succeeded; a unit with a broken or refused document goes
 * to the error folder instead, and its Errors items say why. The IMAP and FTP sources are the ones of the
 * Delivery Note trigger and the Accounting FTP Import; only the judging is this node's own.
 */

type Source = 'email' | 'ftp' | 'folder' | 'binary';

function readSettings(ctx: IExecuteFunctions, staticData: Record<string, unknown>, sharedMemoryName: string | undefined): ReceiveSettings {
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
			memory: new ImportMemory(staticData, limit, undefined, documentLedger(ctx, sharedMemoryName)),
			onChanged: ctx.getNodeParameter('onChanged', 0, 'update') === 'ignore' ? 'ignore' : 'update',
		},
		maxPerRun: Math.max(1, Math.floor(num(options.maxPerRun, 500))),
		maxFileBytes: Math.round(num(options.maxFileSizeMb, 20) * 1024 * 1024),
		uploadWaitMs: Math.max(0, Math.round(num(options.uploadWaitSeconds, 2) * 1000)),
		fileNamePattern: typeof options.fileNamePattern === 'string' ? options.fileNamePattern : '*.xml',
		createMissingFolders: options.createMissingFolders === true,
	};
}

/**
 * The memory of imported documents of all Receive nodes of this workflow that name the same Shared Memory
 * (e.g. the mailbox and an upload form): one document is imported once, whichever way it came.
 */
function sharedMemory(ctx: IExecuteFunctions): { name: string; data: Record<string, unknown> } | undefined {
	const options = ctx.getNodeParameter('receiveOptions', 0, {}) as IDataObject;
	const name = typeof options.sharedMemory === 'string' ? options.sharedMemory.trim() : '';
	if (!name) return undefined;
	const global = ctx.getWorkflowStaticData('global') as Record<string, unknown>;
	const key = `orderExchangeMemory:${name}`;
	if (!global[key] || typeof global[key] !== 'object') global[key] = {};
	return { name, data: global[key] as Record<string, unknown> };
}

export async function receive(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const source = this.getNodeParameter('transport', 0) as Source;
	// the memory of imported documents: n8n's processed-data store, with the node's static data (or the
	// workflow's, for a Shared Memory) for the content hashes; the FTP source's fingerprints: static data
	const staticData = this.getWorkflowStaticData('node') as Record<string, unknown>;
	const shared = sharedMemory(this);
	const settings = readSettings(this, shared?.data ?? staticData, shared?.name);
	const memory = settings.judge.memory;
	await memory.carryOver();
	const out = new Outputs();

	if (source === 'binary') await receiveBinary(this, settings, out);
	else if (source === 'email') await receiveMail(this, settings, out);
	else await receiveFiles(this, source, settings, out, staticData);

	await memory.save();
	this.logger.info(
		`Order Exchange (receive from ${source}): ${out.orders.length} order(s)/quote(s), ${out.skipped.length} skipped, ${out.errors.length} error(s); ${memory.size} document(s) remembered`,
	);
	return [out.orders, out.skipped, out.errors];
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

type BinaryUnit = { item: number; files: ArrivedFile[] } | { item: number; error: Error };

/** The files of each input item (its binary fields), or why the item has none. */
async function binaryUnits(ctx: IExecuteFunctions): Promise<BinaryUnit[]> {
	const items = ctx.getInputData();
	const units: BinaryUnit[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const names = binaryNames(ctx, items[i], i);
			if (names.length === 0) throw new NodeOperationError(ctx.getNode(), 'The item has no binary field', { itemIndex: i });
			const files: ArrivedFile[] = [];
			for (const name of names) {
				const binary = ctx.helpers.assertBinaryData(i, name);
				const bytes = await ctx.helpers.getBinaryDataBuffer(i, name);
				files.push({ fileName: binary.fileName ?? `${name}.xml`, mimeType: binary.mimeType, bytes });
			}
			units.push({ item: i, files });
		} catch (error) {
			if (!ctx.continueOnFail()) throw userFacing(ctx, error, i);
			units.push({ item: i, error: error as Error });
		}
	}
	return units;
}

async function receiveBinary(ctx: IExecuteFunctions, settings: ReceiveSettings, out: Outputs): Promise<void> {
	const units = await binaryUnits(ctx);
	const tooBig = (files: ArrivedFile[]) => files.find((f) => f.bytes.length > settings.maxFileBytes);
	const judgeable = units.flatMap((u) => ('files' in u && !tooBig(u.files) ? [u.files] : []));
	// the items' documents are judged together: one question to the memory's ledger
	const outcomes = await judgeUnits(judgeable, settings);
	let next = 0;
	for (const unit of units) {
		if ('error' in unit) {
			out.errors.push({ json: { reason: 'noDocument', message: unit.error.message, error: unit.error.message }, pairedItem: { item: unit.item } });
			continue;
		}
		const big = tooBig(unit.files);
		const judged = big ? unitError('tooLarge', `${big.fileName}: larger than the limit of ${settings.maxFileBytes / 1024 / 1024} MB (Max File Size)`, big) : outcomes[next++];
		out.add(await unitItems(ctx, judged, { transport: 'binary', item: unit.item }, { item: unit.item }));
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

async function receiveMail(ctx: IExecuteFunctions, settings: ReceiveSettings, out: Outputs): Promise<void> {
	const credentials = await imapAccount(ctx);
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
		const complete: Array<{ mail: MailSummary; files: ArrivedFile[] }> = [];
		for (const { mail, parts } of toRead) {
			const missing = parts.find((part) => !downloaded.get(mail.uid)?.get(part.part));
			// the server did not deliver a part (the mail changed under us): better the error folder than a silent gap
			if (missing) await decided(mail, unitError('parseError', `${attachmentName(missing)}: the mail server did not deliver this attachment`));
			else {
				const files = parts.map((part) => ({ fileName: attachmentName(part), mimeType: part.contentType || 'application/xml', bytes: downloaded.get(mail.uid)!.get(part.part)! }));
				complete.push({ mail, files });
			}
		}
		// the batch's documents are judged together: one question to the memory's ledger
		const outcomes = await judgeUnits(
			complete.map((c) => c.files),
			settings,
		);
		for (let i = 0; i < complete.length; i++) await decided(complete[i].mail, outcomes[i]);
		return decisions;
	};

	const run = await consumeMailbox<MailResult>(ctx, credentials, {
		label: 'Order Exchange',
		busy: { message: 'Another run is reading this inbox folder right now', description: 'Wait until it has finished, then try again.' },
		folders,
		createMissingFolders: settings.createMissingFolders,
		maxMessages: settings.maxPerRun,
		decide,
	});
	if (!run) return;
	for (const result of run.report.committed) {
		settings.judge.memory.confirm(result.registrations);
		out.add(result.items);
	}
	for (const result of run.report.failed) out.add(result.items);
	for (const problem of run.problems) out.error(problem);
}
