import type { IBinaryData, IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { mailJson } from '../shared/mail/mailJson';
import { attachmentBinary, mailErrorItem } from '../shared/mailTrigger';
import type { MailDecision } from '../shared/transports/imapConsumer';
import type { ImapSource, MailPart, MailSummary } from '../shared/transports/imapSource';
import type { TriggerSettings } from './settings';
import {
	attachmentName,
	candidateParts,
	findSupplier,
	oversizedParts,
	readSupplierMail,
	unknownSender,
	type Attachment,
	type MailOutcome,
	type Supplier,
} from './supplierMail';

const LABEL = 'Delivery Note IMAP Trigger';

/**
 * One batch of mails → a decision and the finished items per mail. The items (with their binary data) are
 * built before the mail is moved: once the move is confirmed, nothing stands between the mail and the output.
 * A mail's items go to the Delivery Notes output (commit) or its one item to the Errors output (fail).
 */
export async function decideMails(
	ctx: IPollFunctions,
	settings: TriggerSettings,
	batch: MailSummary[],
	source: ImapSource,
): Promise<Array<MailDecision<INodeExecutionData[]>>> {
	const outcomes: Array<{ uid: number; outcome: MailOutcome; leave?: boolean }> = [];
	const toRead: Array<{ mail: MailSummary; supplier: Supplier; parts: MailPart[] }> = [];
	for (const mail of batch) {
		const supplier = findSupplier(settings.suppliers, mail);
		if (!supplier) {
			outcomes.push({ uid: mail.uid, outcome: unknownSender(mail), leave: settings.leaveUnknown });
			continue;
		}
		const parts = candidateParts(mail);
		const tooBig = oversizedParts(parts, settings.maxAttachmentBytes);
		if (tooBig.length) outcomes.push({ uid: mail.uid, outcome: { kind: 'error', mail, supplier, problems: tooBig, attachments: [] } });
		else toRead.push({ mail, supplier, parts });
	}
	const downloaded = await source.downloadParts(toRead.map((r) => ({ uid: r.mail.uid, parts: r.parts })));
	for (const { mail, supplier, parts } of toRead) {
		outcomes.push({ uid: mail.uid, outcome: readSupplierMail(mail, supplier, parts, downloaded.get(mail.uid)) });
	}
	const decisions: Array<MailDecision<INodeExecutionData[]>> = [];
	for (const { uid, outcome, leave } of outcomes) {
		if (leave) decisions.push({ uid, action: 'leave', result: [] });
		else if (outcome.kind === 'deliveryNotes') decisions.push({ uid, action: 'commit', result: await noteItems(ctx, outcome, source) });
		else decisions.push({ uid, action: 'fail', result: [await errorItem(ctx, outcome, source)] });
	}
	return decisions;
}

type NotesOutcome = Extract<MailOutcome, { kind: 'deliveryNotes' }>;
type ErrorOutcome = Extract<MailOutcome, { kind: 'error' }>;

async function noteItems(ctx: IPollFunctions, outcome: NotesOutcome, source: ImapSource): Promise<INodeExecutionData[]> {
	const binaries = new Map<Attachment, IBinaryData | undefined>();
	const items: INodeExecutionData[] = [];
	for (const { note, attachment } of outcome.notes) {
		if (!binaries.has(attachment)) binaries.set(attachment, await attachmentBinary(ctx, LABEL, attachment));
		const item: INodeExecutionData = {
			json: {
				supplier: outcome.supplier.name,
				...(note as unknown as IDataObject),
				mail: mailJson(outcome.mail, source.folders.inbox, source.folders.archive),
			},
		};
		const binary = binaries.get(attachment);
		if (binary) item.binary = { attachment: binary };
		items.push(item);
	}
	return items;
}

async function errorItem(ctx: IPollFunctions, outcome: ErrorOutcome, source: ImapSource): Promise<INodeExecutionData> {
	const [first] = outcome.problems;
	const details: IDataObject = {};
	if (first.position) details.position = { ...first.position };
	if (outcome.supplier) details.supplier = outcome.supplier.name;
	return await mailErrorItem(ctx, LABEL, outcome, source, { attachmentName, details });
}
