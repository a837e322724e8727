import type { IBinaryData, IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { eInvoiceItemJson } from '../shared/eInvoiceItems';
import { mailJson } from '../shared/mail/mailJson';
import type { MailDecision } from '../shared/transports/imapConsumer';
import type { ImapSource, MailSummary } from '../shared/transports/imapSource';
import {
	invoiceParts,
	oversizedInvoiceParts,
	partName,
	readInvoiceMail,
	type InvoiceAttachment,
	type InvoiceMailOutcome,
	type InvoiceMailSettings,
} from './invoiceMail';

/**
 * One batch of mails → a decision and the finished items per mail, built before the mail is moved: once the
 * move is confirmed, nothing stands between the mail and the output. Invoices go to the Invoices output
 * (commit, archive folder), a mail without a readable invoice its one item to the Errors output (fail).
 */
export async function decideInvoiceMails(
	ctx: IPollFunctions,
	settings: InvoiceMailSettings,
	batch: MailSummary[],
	source: ImapSource,
): Promise<Array<MailDecision<INodeExecutionData[]>>> {
	const outcomes: InvoiceMailOutcome[] = [];
	const toRead: Array<{ mail: MailSummary; parts: ReturnType<typeof invoiceParts> }> = [];
	for (const mail of batch) {
		const parts = invoiceParts(mail);
		const tooBig = oversizedInvoiceParts(parts, settings.maxAttachmentBytes);
		if (tooBig.length) outcomes.push({ kind: 'error', mail, problems: tooBig, attachments: [] });
		else toRead.push({ mail, parts });
	}
	const downloaded = await source.downloadParts(toRead.map((r) => ({ uid: r.mail.uid, parts: r.parts })));
	for (const { mail, parts } of toRead) outcomes.push(await readInvoiceMail(mail, parts, downloaded.get(mail.uid), settings));
	const decisions: Array<MailDecision<INodeExecutionData[]>> = [];
	for (const outcome of outcomes) {
		const uid = outcome.mail.uid;
		if (outcome.kind === 'invoices') decisions.push({ uid, action: 'commit', result: await invoiceItems(ctx, outcome, source) });
		else decisions.push({ uid, action: 'fail', result: [await errorItem(ctx, outcome, source)] });
	}
	return decisions;
}

async function invoiceItems(ctx: IPollFunctions, outcome: Extract<InvoiceMailOutcome, { kind: 'invoices' }>, source: ImapSource): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	for (const { read, attachment } of outcome.invoices) {
		const { json } = eInvoiceItemJson(read, { fileName: attachment.fileName, mimeType: attachment.mimeType, binaryProperty: 'attachment' });
		const item: INodeExecutionData = { json: { ...json, mail: mailJson(outcome.mail, source.folders.inbox, source.folders.archive) } };
		const binary = await binaryOf(ctx, attachment);
		if (binary) item.binary = { attachment: binary };
		items.push(item);
	}
	return items;
}

async function errorItem(ctx: IPollFunctions, outcome: Extract<InvoiceMailOutcome, { kind: 'error' }>, source: ImapSource): Promise<INodeExecutionData> {
	const [first] = outcome.problems;
	const json: IDataObject = {
		reason: first.reason,
		message: outcome.problems.length === 1 ? first.message : `${outcome.problems.length} problems: ${outcome.problems.map((p) => p.message).join('; ')}`,
	};
	if (first.file) json.file = first.file;
	json.problems = outcome.problems.map((p) => ({ ...p }) as IDataObject);
	json.attachments = outcome.mail.parts.map(partName);
	json.mail = mailJson(outcome.mail, source.folders.inbox, source.folders.error);
	const item: INodeExecutionData = { json };
	for (const [i, attachment] of outcome.attachments.entries()) {
		const binary = await binaryOf(ctx, attachment);
		if (binary) item.binary = { ...item.binary, [i === 0 ? 'attachment' : `attachment_${i}`]: binary };
	}
	return item;
}

/** The attachment as n8n binary data; a failure to store it is logged and costs the item only its binary. */
async function binaryOf(ctx: IPollFunctions, attachment: InvoiceAttachment): Promise<IBinaryData | undefined> {
	try {
		return await ctx.helpers.prepareBinaryData(attachment.bytes, attachment.fileName, attachment.mimeType);
	} catch (error) {
		ctx.logger.error(`E-Invoice IMAP Trigger: could not store attachment ${attachment.fileName}: ${(error as Error).message}`);
		return undefined;
	}
}
