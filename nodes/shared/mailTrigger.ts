/**
 * What every mailbox trigger of the package shares (Delivery Note IMAP Trigger, E-Invoice IMAP Trigger): the node
 * frame (polling, two outputs, the IMAP / OAuth2 credentials, the folder search), the parameters both offer
 * (Poll Times notice, the folder-related options), one poll (credentials → folders → the mailbox consumer →
 * two outputs), and the parts of the items both build (an attachment as binary data, the item of a mail that
 * goes to the error folder). Each node adds only what it reads from a mail and how.
 */
import type {
	IBinaryData,
	IDataObject,
	INodeExecutionData,
	INodeProperties,
	INodePropertyCollection,
	INodePropertyOptions,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { credentialTest } from './credentials';
import { mailJson } from './mail/mailJson';
import { imapAccount, mailAuthenticationProperty } from './mailAuth';
import { consumeMailbox } from './mailboxConsumer';
import { readMailFolders, searchFolders } from './mailFolders';
import { userFacing } from './nodeErrors';
import type { ImapCredentials } from './transports/imap';
import type { MailDecision } from './transports/imapConsumer';
import type { ImapSource, ImapSourceFolders, MailPart, MailSummary } from './transports/imapSource';

type OptionEntry = INodePropertyOptions | INodeProperties | INodePropertyCollection;

/**
 * n8n puts its own Poll Times parameter above a polling node's parameters, with "Every Minute" as its default, and a
 * node cannot change that default (n8n-core's directory loader prepends it to every `polling: true` node; a second
 * `pollTimes` of the node's own would show twice). So the node says it plainly where the user sets it.
 */
export function pollTimesNotice(advice: string): INodeProperties {
	return {
		displayName: `Poll Times starts at "Every Minute" (n8n's default for every polling trigger; a node cannot change it). ${advice}`,
		name: 'pollTimesNotice',
		type: 'notice',
		default: '',
	};
}

/** The options both triggers offer, in the order of the Options collection (alphabetical, as n8n's lint wants). */
export const mailTriggerOptions: Record<'createMissingFolders' | 'maxAttachmentSizeMb' | 'maxMailsPerPoll', OptionEntry> = {
	createMissingFolders: {
		displayName: 'Create Missing Folders',
		name: 'createMissingFolders',
		type: 'boolean',
		default: false,
		description: 'Whether to create the inbox, archive and error folders (and their parents) when they do not exist, instead of stopping with an error',
	},
	maxAttachmentSizeMb: {
		displayName: 'Max Attachment Size (MB)',
		name: 'maxAttachmentSizeMb',
		type: 'number',
		typeOptions: { minValue: 0.1, numberPrecision: 1 },
		default: 20,
		description: 'Bigger attachments are not downloaded; their mail goes to the error folder with reason ATTACHMENT_TOO_LARGE',
	},
	maxMailsPerPoll: {
		displayName: 'Max Mails per Poll',
		name: 'maxMailsPerPoll',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 500,
		description: 'Max number of mails one poll processes, oldest first; the rest waits for the next poll',
	},
};

/** The trigger's Options collection: the shared options, then the node's own (`more`, names sorting after them). */
export function mailTriggerOptionsCollection(...more: OptionEntry[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [mailTriggerOptions.createMissingFolders, mailTriggerOptions.maxAttachmentSizeMb, mailTriggerOptions.maxMailsPerPoll, ...more],
	};
}

/** The shared options as read from the node, with their defaults. */
export interface MailTriggerOptions {
	createMissingFolders: boolean;
	maxAttachmentBytes: number;
	maxMailsPerPoll: number;
}

export function readMailTriggerOptions(ctx: IPollFunctions): MailTriggerOptions {
	const options = ctx.getNodeParameter('options', {}) as { createMissingFolders?: boolean; maxAttachmentSizeMb?: number; maxMailsPerPoll?: number };
	return {
		createMissingFolders: options.createMissingFolders === true,
		maxAttachmentBytes: Math.round((options.maxAttachmentSizeMb ?? 20) * 1024 * 1024),
		maxMailsPerPoll: options.maxMailsPerPoll ?? 500,
	};
}

/**
 * The node description of a mailbox trigger: what differs is named, the frame is the same for each (the node
 * file adds its icon and subtitle, where n8n's lint looks for them).
 */
export function mailTriggerDescription(node: {
	displayName: string;
	name: string;
	description: string;
	/** the first output's name (the second is Errors) */
	output: string;
	pollTimesAdvice: string;
	properties: INodeProperties[];
}): Omit<INodeTypeDescription, 'icon' | 'subtitle'> {
	return {
		displayName: node.displayName,
		name: node.name,
		group: ['trigger'],
		version: 1,
		description: node.description,
		defaults: { name: node.displayName },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: [node.output, 'Errors'],
		// a label per purpose: the editor shows a credential's `displayName` as its field's label (else just "Credential")
		credentials: [
			{
				name: 'backofficeImapApi',
				displayName: 'IMAP Mailbox',
				required: true,
				testedBy: 'backofficeImapApiTest',
				displayOptions: { show: { authentication: ['password'] } },
			},
			{ name: 'backofficeMailOAuth2Api', displayName: 'Mail OAuth2', required: true, displayOptions: { show: { authentication: ['oAuth2'] } } },
		],
		properties: [pollTimesNotice(node.pollTimesAdvice), mailAuthenticationProperty(), ...node.properties],
	};
}

/** The canvas subtitle of a mailbox trigger: the inbox folder it reads. */
export const MAIL_TRIGGER_SUBTITLE = '={{"from " + ($parameter["inboxFolder"].value ?? $parameter["inboxFolder"])}}';

/** The `methods` of a mailbox trigger: the IMAP credential test and the folder search. */
export const mailTriggerMethods = {
	credentialTest: { backofficeImapApiTest: credentialTest.backofficeImapApiTest },
	listSearch: { searchFolders },
};

/** What a trigger decides for its poll, once the account and folders are known. */
export interface MailTriggerPoll {
	createMissingFolders: boolean;
	maxMessages: number;
	/** mails left in the inbox on purpose are looked at again only when this changes */
	configuration: string;
	decide(batch: MailSummary[], source: ImapSource): Promise<Array<MailDecision<INodeExecutionData[]>>>;
}

/**
 * One poll of a mailbox trigger: its items on the first output, the error items on the second (null when
 * there are none). Problems of the server (a refused move, a cut connection) are logged, not output.
 */
export async function pollMailTrigger(
	ctx: IPollFunctions,
	label: string,
	plan: (credentials: ImapCredentials, folders: ImapSourceFolders) => MailTriggerPoll,
): Promise<INodeExecutionData[][] | null> {
	const credentials = await imapAccount(ctx).catch((error: unknown) => {
		throw userFacing(ctx, error);
	});
	const folders = readMailFolders(ctx);
	const { createMissingFolders, maxMessages, configuration, decide } = plan(credentials, folders);
	const run = await consumeMailbox<INodeExecutionData[]>(ctx, credentials, {
		label,
		busy: {
			message: 'Another poll of this inbox folder is running right now',
			description: 'Wait until it has finished (mails it processes show up in the workflow’s executions), then try again.',
		},
		folders,
		createMissingFolders,
		maxMessages,
		configuration,
		decide,
	});
	if (!run) return null;
	// the Errors output is for mails; a refused move or a cut connection is the server's, and is logged
	for (const problem of run.problems) ctx.logger.warn(`${label} (${folders.inbox}): ${problem.message}`);
	const items = run.report.committed.flat();
	const errors = run.report.failed.flat();
	if (!items.length && !errors.length) return null;
	return [items, errors];
}

/** An attachment as read from a mail. */
export interface MailAttachment {
	fileName: string;
	mimeType: string;
	bytes: Buffer;
}

/**
 * The attachment as n8n binary data. A failure to store the file (binary data storage full, …) must not cost
 * the mail its item: it is logged and the item goes out without it.
 */
export async function attachmentBinary(ctx: IPollFunctions, label: string, attachment: MailAttachment): Promise<IBinaryData | undefined> {
	try {
		return await ctx.helpers.prepareBinaryData(attachment.bytes, attachment.fileName, attachment.mimeType);
	} catch (error) {
		ctx.logger.error(`${label}: could not store attachment ${attachment.fileName}: ${(error as Error).message}`);
		return undefined;
	}
}

/** A mail that goes to the error folder: why (first problem first), and the attachments it carried. */
export interface MailFailure {
	mail: MailSummary;
	problems: Array<{ reason: string; message: string; file?: string }>;
	attachments: MailAttachment[];
}

/**
 * The one item on the Errors output for a mail moved to the error folder: reason and message (of all
 * problems), the file, `details` of the node (e.g. position, supplier), every problem, the mail's attachment
 * names and the mail; the attachments read from it as binary data.
 */
export async function mailErrorItem(
	ctx: IPollFunctions,
	label: string,
	failure: MailFailure,
	source: ImapSource,
	naming: { attachmentName(part: MailPart): string; details?: IDataObject },
): Promise<INodeExecutionData> {
	const [first] = failure.problems;
	const json: IDataObject = {
		reason: first.reason,
		message: failure.problems.length === 1 ? first.message : `${failure.problems.length} problems: ${failure.problems.map((p) => p.message).join('; ')}`,
	};
	if (first.file) json.file = first.file;
	Object.assign(json, naming.details ?? {});
	json.problems = failure.problems.map((p) => ({ ...p }) as IDataObject);
	json.attachments = failure.mail.parts.map(naming.attachmentName);
	json.mail = mailJson(failure.mail, source.folders.inbox, source.folders.error);
	const item: INodeExecutionData = { json };
	for (const [i, attachment] of failure.attachments.entries()) {
		const binary = await attachmentBinary(ctx, label, attachment);
		if (binary) item.binary = { ...item.binary, [i === 0 ? 'attachment' : `attachment_${i}`]: binary };
	}
	return item;
}
