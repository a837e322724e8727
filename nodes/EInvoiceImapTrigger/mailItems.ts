import type { INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { eInvoiceItemJson } from '../shared/eInvoiceItems';
import { mailJson } from '../shared/mail/mailJson';
import { attachmentBinary, mailErrorItem } from '../shared/mailTrigger';
import type { MailDecision } from '../shared/transports/imapConsumer';
import type { ImapSource, MailSummary } from '../shared/transports/imapSource';
import {
	invoiceParts,
	oversizedInvoiceParts,
	partName,
	readInvoiceMail,
	type InvoiceMailOutcome,
	type InvoiceMailSettings,
} from './invoiceMail';

const LABEL = 'E-Invoice IMAP Trigger';

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
		const binary = await attachmentBinary(ctx, LABEL, attachment);
		if (binary) item.binary = { attachment: binary };
		items.push(item);
	}
	return items;
}

async function errorItem(ctx: IPollFunctions, outcome: Extract<InvoiceMailOutcome, { kind: 'error' }>, source: ImapSource): Promise<INodeExecutionData> {
	return await mailErrorItem(ctx, LABEL, outcome, source, { attachmentName: partName });
}
