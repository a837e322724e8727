import { createHash } from 'node:crypto';

import type {
	IBinaryData,
	IDataObject,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { credentialTest } from '../shared/credentials';
import type { CsvColumn, CsvMapping, DeliveryNoteFormat } from '../shared/documents/deliveryNotes';
import { imapAccount, mailAuthenticationProperty } from '../shared/mailAuth';
import { searchFolders } from '../shared/mailFolders';
import { userFacing } from '../shared/nodeErrors';
import {
	consumeImapFolder,
	type ImapSource,
	mailboxKey,
	parseUidSet,
	uidSet,
	withMailboxLock,
	type ConsumeReport,
	type ImapSourceFolders,
	type MailDecision,
	type MailPart,
	type MailSummary,
} from '../shared/transports/imapSource';
import { properties } from './description';
import {
	attachmentName,
	candidateParts,
	findSupplier,
	oversizedParts,
	parseSenders,
	readSupplierMail,
	unknownSender,
	type Attachment,
	type MailOutcome,
	type Supplier,
} from './supplierMail';

/**
 * Delivery Note IMAP Trigger (Elektronische Lieferscheine): supplier mails in an inbox folder become one item
 * per delivery note; each mail is then moved to the archive folder, or to the error folder with an item on
 * the Errors output. A mail's items are emitted only when its move succeeded in the same poll, so every mail
 * is handed to the workflow exactly once, and what is still in the inbox is exactly what is still to do.
 */
export class DeliveryNoteImapTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Delivery Note IMAP Trigger',
		name: 'deliveryNoteImapTrigger',
		icon: { light: 'file:deliveryNoteImapTrigger.svg', dark: 'file:deliveryNoteImapTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"from " + ($parameter["inboxFolder"].value ?? $parameter["inboxFolder"])}}',
		description: 'Import supplier delivery notes (openTRANS, EDIFACT DESADV, CSV) from a mailbox folder, each mail exactly once',
		defaults: { name: 'Delivery Note IMAP Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Delivery Notes', 'Errors'],
		credentials: [
			{
				name: 'backofficeImapApi',
				required: true,
				testedBy: 'backofficeImapApiTest',
				displayOptions: { show: { authentication: ['password'] } },
			},
			{ name: 'backofficeMailOAuth2Api', required: true, displayOptions: { show: { authentication: ['oAuth2'] } } },
		],
		properties: [mailAuthenticationProperty(), ...properties],
	};

	methods = {
		credentialTest: { backofficeImapApiTest: credentialTest.backofficeImapApiTest },
		listSearch: { searchFolders },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const credentials = await imapAccount(this).catch((error: unknown) => {
			throw userFacing(this, error);
		});
		const folders = readFolders(this);
		const suppliers = readSuppliers(this);
		const leaveUnknown = (this.getNodeParameter('unknownSender', 'error') as string) === 'leave';
		const options = this.getNodeParameter('options', {}) as {
			createMissingFolders?: boolean;
			maxAttachmentSizeMb?: number;
			maxMailsPerPoll?: number;
		};
		const maxAttachmentBytes = Math.round((options.maxAttachmentSizeMb ?? 20) * 1024 * 1024);

		// n8n abandons a poll that outlives its budget; a poll must stop taking mails well before, or mails it
		// moved would never reach the workflow (getPollBudgetMs exists from n8n 2.41 on)
		const budgetMs = typeof this.getPollBudgetMs === 'function' ? this.getPollBudgetMs() : 5 * 60_000;
		const deadline = Date.now() + budgetMs - Math.min(10_000, budgetMs * 0.1);

		// mails left in the inbox on purpose (unknown senders) are not looked at again while nothing changed
		const staticData = this.getWorkflowStaticData('node') as { leftInInbox?: LeftInInbox };
		const configuration = createHash('sha256')
			.update(JSON.stringify([credentials.host, credentials.user, folders.inbox, suppliers, leaveUnknown]))
			.digest('hex');
		const left = staticData.leftInInbox?.configuration === configuration ? staticData.leftInInbox : undefined;

		const decide = async (batch: MailSummary[], source: ImapSource) => {
			const decisions: Array<MailDecision<MailOutcome>> = [];
			const toRead: Array<{ mail: MailSummary; supplier: Supplier; parts: MailPart[] }> = [];
			for (const mail of batch) {
				const supplier = findSupplier(suppliers, mail);
				if (!supplier) {
					decisions.push({ uid: mail.uid, action: leaveUnknown ? 'leave' : 'fail', result: unknownSender(mail) });
					continue;
				}
				const parts = candidateParts(mail);
				const tooBig = oversizedParts(parts, maxAttachmentBytes);
				if (tooBig.length) {
					decisions.push({ uid: mail.uid, action: 'fail', result: { kind: 'error', mail, supplier, problems: tooBig, attachments: [] } });
					continue;
				}
				toRead.push({ mail, supplier, parts });
			}
			const downloaded = await source.downloadParts(toRead.map((r) => ({ uid: r.mail.uid, parts: r.parts })));
			for (const { mail, supplier, parts } of toRead) {
				const outcome = readSupplierMail(mail, supplier, parts, downloaded.get(mail.uid));
				decisions.push({ uid: mail.uid, action: outcome.kind === 'deliveryNotes' ? 'commit' : 'fail', result: outcome });
			}
			return decisions;
		};

		let report: ConsumeReport<MailOutcome>;
		try {
			const run = await withMailboxLock(mailboxKey(credentials, folders.inbox), async () =>
				await consumeImapFolder<MailOutcome>(credentials, {
					folders,
					createMissingFolders: options.createMissingFolders === true,
					maxMessages: options.maxMailsPerPoll ?? 500,
					deadline,
					skip: left ? new Set(parseUidSet(left.uids)) : undefined,
					skipUidValidity: left?.uidValidity,
					decide,
				}),
			);
			if (run.busy) {
				// the running poll takes care of the mails; a second one would only fetch what the first one moves
				if (this.getMode() === 'manual') {
					throw new NodeOperationError(this.getNode(), 'Another poll of this inbox folder is running right now', {
						description: 'Wait until it has finished (mails it processes show up in the workflow’s executions), then try again.',
					});
				}
				this.logger.debug(`Delivery Note IMAP Trigger: skipped, a poll of "${folders.inbox}" is still running`);
				return null;
			}
			report = run.value;
		} catch (error) {
			throw userFacing(this, error);
		}

		if (report.left.length) {
			staticData.leftInInbox = { configuration, uidValidity: report.uidValidity, uids: uidSet(report.left) };
		} else delete staticData.leftInInbox;
		logReport(this, report, folders);

		if (report.interruption && !report.committed.length && !report.failed.length) {
			throw userFacing(this, report.interruption);
		}

		const resolvedFolders = report.folders;
		const deliveryNotes: INodeExecutionData[] = [];
		for (const outcome of report.committed) {
			if (outcome.kind !== 'deliveryNotes') continue;
			const binaries = new Map<Attachment, IBinaryData | undefined>();
			for (const { note, attachment } of outcome.notes) {
				if (!binaries.has(attachment)) binaries.set(attachment, await binaryOf(this, attachment));
				const item: INodeExecutionData = {
					json: {
						supplier: outcome.supplier.name,
						...(note as unknown as IDataObject),
						mail: mailJson(outcome.mail, resolvedFolders.inbox, resolvedFolders.archive),
					},
				};
				const binary = binaries.get(attachment);
				if (binary) item.binary = { attachment: binary };
				deliveryNotes.push(item);
			}
		}
		const errors: INodeExecutionData[] = [];
		for (const outcome of report.failed) {
			if (outcome.kind !== 'error') continue;
			const [first] = outcome.problems;
			const json: IDataObject = {
				reason: first.reason,
				message:
					outcome.problems.length === 1
						? first.message
						: `${outcome.problems.length} problems: ${outcome.problems.map((p) => p.message).join('; ')}`,
			};
			if (first.file) json.file = first.file;
			if (first.position) json.position = { ...first.position };
			if (outcome.supplier) json.supplier = outcome.supplier.name;
			json.problems = outcome.problems.map((p) => ({ ...p }) as IDataObject);
			json.attachments = outcome.mail.parts.map(attachmentName);
			json.mail = mailJson(outcome.mail, resolvedFolders.inbox, resolvedFolders.error);
			const item: INodeExecutionData = { json };
			for (const [i, attachment] of outcome.attachments.entries()) {
				const binary = await binaryOf(this, attachment);
				if (binary) item.binary = { ...item.binary, [i === 0 ? 'attachment' : `attachment_${i}`]: binary };
			}
			errors.push(item);
		}
		if (!deliveryNotes.length && !errors.length) return null;
		return [deliveryNotes, errors];
	}
}

/**
 * The attachment as n8n binary data. The mail is already moved when this runs, so a failure to store the
 * file (binary data storage full, …) must not cost the item: it is logged and the item goes out without it.
 */
async function binaryOf(ctx: IPollFunctions, attachment: Attachment): Promise<IBinaryData | undefined> {
	try {
		return await ctx.helpers.prepareBinaryData(attachment.bytes, attachment.fileName, attachment.mimeType);
	} catch (error) {
		ctx.logger.error(`Delivery Note IMAP Trigger: could not store attachment ${attachment.fileName}: ${(error as Error).message}`);
		return undefined;
	}
}

interface LeftInInbox {
	configuration: string;
	uidValidity: string;
	/** IMAP sequence set of the UIDs left in the inbox on purpose */
	uids: string;
}

function readFolders(ctx: IPollFunctions): ImapSourceFolders {
	const folder = (name: string, label: string): string => {
		const value = String(ctx.getNodeParameter(name, '', { extractValue: true }) ?? '').trim();
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

interface SupplierParameter {
	name?: string;
	sender?: string;
	format?: DeliveryNoteFormat;
	csvDelimiter?: string;
	csvDecimalSeparator?: '.' | ',';
	csvEncoding?: CsvMapping['encoding'];
	csvHeaderRow?: boolean;
	csvDeliveryNoteNumber?: string;
	csvDate?: string;
	csvLineNumber?: string;
	csvOrderNumber?: string;
	csvArticleNumber?: string;
	csvGtin?: string;
	csvDescription?: string;
	csvQuantity?: string;
	csvUnit?: string;
}

const SENDER = /^(\*|[^\s@,;<>"]+)@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

function readSuppliers(ctx: IPollFunctions): Supplier[] {
	const entries = ctx.getNodeParameter('suppliers.supplier', []) as SupplierParameter[];
	if (!entries.length) {
		throw new NodeOperationError(ctx.getNode(), 'Add at least one supplier', {
			description: 'Without suppliers every mail would count as coming from an unknown sender.',
		});
	}
	return entries.map((entry, index) => {
		const name = entry.name?.trim() || `Supplier ${index + 1}`;
		const senders = parseSenders(entry.sender ?? '');
		const bad = senders.find((s) => !SENDER.test(s));
		if (!senders.length || bad) {
			throw new NodeOperationError(ctx.getNode(), `Supplier "${name}": "${bad ?? ''}" is not a sender address`, {
				description: 'Enter an address like lieferschein@lieferant.de, or *@lieferant.de for every address of the domain.',
			});
		}
		const supplier: Supplier = { name, senders, format: entry.format ?? 'opentrans' };
		if (supplier.format === 'csv') supplier.csvMapping = csvMapping(ctx, name, entry);
		return supplier;
	});
}

function csvMapping(ctx: IPollFunctions, supplier: string, entry: SupplierParameter): CsvMapping {
	const column = (value: string | undefined): CsvColumn | undefined => {
		const text = value?.trim();
		if (!text) return undefined;
		return /^\d+$/.test(text) ? Number(text) : text;
	};
	const deliveryNoteNumber = column(entry.csvDeliveryNoteNumber);
	const quantity = column(entry.csvQuantity);
	if (deliveryNoteNumber === undefined || quantity === undefined) {
		throw new NodeOperationError(
			ctx.getNode(),
			`Supplier "${supplier}": the CSV mapping needs at least the delivery note number and the quantity column`,
		);
	}
	const columns: CsvMapping['columns'] = { deliveryNoteNumber, quantity };
	const optional = {
		date: entry.csvDate,
		lineNumber: entry.csvLineNumber,
		orderNumber: entry.csvOrderNumber,
		articleNumber: entry.csvArticleNumber,
		gtin: entry.csvGtin,
		description: entry.csvDescription,
		unit: entry.csvUnit,
	};
	for (const [field, value] of Object.entries(optional) as Array<[keyof typeof optional, string | undefined]>) {
		const c = column(value);
		if (c !== undefined) columns[field] = c;
	}
	return {
		delimiter: entry.csvDelimiter ?? ';',
		decimalSeparator: entry.csvDecimalSeparator ?? ',',
		encoding: entry.csvEncoding ?? 'utf-8',
		headerRow: entry.csvHeaderRow ?? true,
		columns,
	};
}

function mailJson(mail: MailSummary, folder: string, movedTo: string): IDataObject {
	const json: IDataObject = {};
	if (mail.messageId) json.messageId = mail.messageId;
	json.from = mail.from[0]?.address ?? '';
	if (mail.from[0]?.name) json.fromName = mail.from[0].name;
	json.to = mail.to.map((a) => a.address);
	if (mail.subject !== undefined) json.subject = mail.subject;
	if (mail.date) json.date = mail.date;
	if (mail.receivedAt) json.receivedAt = mail.receivedAt;
	json.folder = folder;
	json.movedTo = movedTo;
	return json;
}

function logReport(ctx: IPollFunctions, report: ConsumeReport<MailOutcome>, folders: ImapSourceFolders): void {
	const prefix = `Delivery Note IMAP Trigger (${folders.inbox})`;
	// one line per cause, not per mail: a deleted archive folder refuses a whole batch
	const causes = new Map<string, number[]>();
	for (const refused of report.notMoved) {
		const cause = `moving to the ${refused.action === 'commit' ? 'archive' : 'error'} folder failed${refused.refusal ? `: ${refused.refusal}` : ''}`;
		causes.set(cause, [...(causes.get(cause) ?? []), refused.uid]);
	}
	for (const [cause, uids] of causes) {
		ctx.logger.warn(`${prefix}: ${uids.length} mail(s) stay in the inbox (UID ${uidSet(uids)}), ${cause}`);
	}
	if (report.rolledBack) {
		ctx.logger.warn(`${prefix}: ${report.rolledBack} mail(s) whose move an earlier poll could not confirm were moved back into the inbox`);
	}
	if (report.interruption) {
		ctx.logger.warn(`${prefix}: the poll stopped early: ${report.interruption.message} The remaining mails wait for the next poll.`);
	} else if (report.more) {
		ctx.logger.info(`${prefix}: more mails are waiting; they follow with the next poll`);
	}
}

