import path from 'node:path';

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL, fileServerCredentials } from '../shared/credentials';
import { DocumentError } from '../shared/documents/DocumentError';
import { contentHash, documentKey, writeOpenTrans, type BusinessDocument } from '../shared/documents/orders';
import { headerSafe, isValidMailAddress } from '../shared/mail/addresses';
import type { WithFileSink } from '../shared/transports/fileSink';
import { folderFileSink } from '../shared/transports/folder';
import { remoteFileSink } from '../shared/transports/remoteDirectory';
import { toTransportError, TransportError } from '../shared/transports/transportError';
import { senderOf, smtpEndpoint, withSmtpTransport } from '../shared/transports/smtp';
import { DocumentInputError, documentFromItem, documentTypeOf } from './documentInput';
import { DEFAULT_SUBJECT_PREFIX, documentFileName, documentSubject, mailText, runSubject, uniqueNames } from './naming';
import { smtpAccount } from '../shared/mailAuth';
import { userFacing } from '../shared/nodeErrors';

/**
 * Send: every input item becomes an openTRANS document (ORDER or QUOTATION) and travels by e-mail, FTP or
 * folder. All documents are written (and so checked against the schema's rules) before the first one
 * leaves: a mapping mistake in item 7 must not leave items 1–6 sent and the rest not. Invoices and credit
 * notes are never transferred ("Rechnungen/Gutschriften werden niemals übertragen"): they go to Skipped.
 * Resending is harmless: the receiving site recognises a document it has imported before.
 */

type Transport = 'email' | 'ftp' | 'folder';

interface Outgoing {
	itemIndex: number;
	doc: BusinessDocument;
	xml: Buffer;
	fileName: string;
}

function skippedItem(itemIndex: number, json: IDataObject): INodeExecutionData {
	return { json, pairedItem: { item: itemIndex } };
}

function describe(doc: BusinessDocument): IDataObject {
	return { type: doc.type, number: doc.number, date: doc.date, site: doc.site, documentKey: documentKey(doc) };
}

export async function send(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const transport = this.getNodeParameter('transport', 0) as Transport;
	const outgoing: Outgoing[] = [];
	const skipped: INodeExecutionData[] = [];

	for (let i = 0; i < items.length; i++) {
		try {
			// the type first: an invoice is refused whatever else the item holds
			const type = documentTypeOf(items[i].json.type);
			if (type === 'invoice' || type === 'creditNote') {
				const json: IDataObject = {
					reason: 'notTransferable',
					message: `${type === 'invoice' ? 'Invoices' : 'Credit notes'} are never transferred between sites; only quotes and orders are`,
					type,
				};
				for (const key of ['number', 'date', 'site'] as const) if (items[i].json[key] !== undefined) json[key] = items[i].json[key];
				skipped.push(skippedItem(i, json));
				continue;
			}
			const site = String(this.getNodeParameter('siteId', i, '') ?? '').trim();
			if (!site) throw new DocumentInputError('site', 'no site ID: set "Site ID", or give the item a "site" field');
			const doc = documentFromItem(items[i].json, site);
			outgoing.push({ itemIndex: i, doc, xml: writeOpenTrans(doc), fileName: documentFileName(doc) });
		} catch (error) {
			if (!(error instanceof DocumentInputError) && !(error instanceof DocumentError)) throw userFacing(this, error, i);
			const message = error instanceof DocumentError ? `The document cannot be written as openTRANS: ${error.message}` : error.message;
			if (this.continueOnFail()) {
				const json: IDataObject = { reason: 'invalid', message, error: message };
				if (items[i].json.number !== undefined) json.number = items[i].json.number;
				skipped.push(skippedItem(i, json));
				continue;
			}
			throw new NodeOperationError(this.getNode(), message, {
				itemIndex: i,
				description: 'The item must have the fields of a quote or order, see the node’s documentation ("Send: the input item").',
			});
		}
	}

	if (outgoing.length === 0) return [[], skipped];
	const delivered =
		transport === 'email'
			? await sendByMail(this, outgoing, skipped)
			: await deliverFiles(this, transport, outgoing, skipped);

	const sent: INodeExecutionData[] = [];
	for (const { out, json } of delivered) {
		sent.push({
			json: { ...describe(out.doc), contentHash: contentHash(out.doc), fileName: out.fileName, transport, ...json },
			binary: { data: await this.helpers.prepareBinaryData(out.xml, out.fileName, 'application/xml') },
			pairedItem: { item: out.itemIndex },
		});
	}
	return [sent, skipped];
}

type Delivered = Array<{ out: Outgoing; json: IDataObject }>;

/** A failed delivery: with Continue On Fail the item goes to Skipped (reason sendFailed); else the run stops. */
function failDelivery(ctx: IExecuteFunctions, out: Outgoing[], error: unknown, skipped: INodeExecutionData[], sentBefore: number): void {
	if (out.length === 0) return;
	if (ctx.continueOnFail()) {
		const message = (error as Error).message;
		for (const o of out) skipped.push(skippedItem(o.itemIndex, { reason: 'sendFailed', message, error: message, ...describe(o.doc) }));
		return;
	}
	const note = sentBefore > 0 ? ` ${sentBefore} document(s) were sent before; sending them again is harmless, the receiving site ignores duplicates.` : '';
	throw userFacing(ctx, error, out[0].itemIndex, note);
}

function recipientsOf(ctx: IExecuteFunctions, itemIndex: number): string[] {
	const text = String(ctx.getNodeParameter('recipient', itemIndex, '') ?? '');
	const list = text
		.split(/[,;]/)
		.map((a) => a.trim())
		.filter(Boolean);
	const bad = list.find((a) => !isValidMailAddress(a));
	if (list.length === 0 || bad !== undefined) {
		throw new NodeOperationError(ctx.getNode(), bad ? `"${bad}" is not an e-mail address` : 'Enter the mailbox of the receiving site under "To"', {
			itemIndex,
		});
	}
	return list;
}

async function sendByMail(ctx: IExecuteFunctions, outgoing: Outgoing[], skipped: INodeExecutionData[]): Promise<Delivered> {
	const smtp = await smtpAccount(ctx);
	const perRun = ctx.getNodeParameter('mailMode', 0, 'perDocument') === 'perRun';
	const options = ctx.getNodeParameter('sendOptions', 0, {}) as { subjectPrefix?: string };
	const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
	const mails = perRun ? [outgoing] : outgoing.map((o) => [o]);
	// addresses are checked for every mail before the first one goes out
	const recipients = mails.map((group) => recipientsOf(ctx, group[0].itemIndex));
	const delivered: Delivered = [];
	// one connection for all mails of the run (nodemailer's pool with one connection), closed at the end
	await withSmtpTransport(
		smtp,
		async (transporter) => {
			for (const [m, group] of mails.entries()) {
				const names = uniqueNames(group.map((o) => o.fileName));
				const subject = headerSafe(perRun ? runSubject(prefix, group.map((o) => o.doc)) : documentSubject(prefix, group[0].doc));
				try {
					const info = await transporter.sendMail({
						from: senderOf(smtp),
						to: recipients[m],
						subject,
						text: mailText(
							group.map((o) => o.doc),
							names,
						),
						attachments: group.map((o, k) => ({ filename: names[k], content: o.xml, contentType: 'application/xml' })),
					});
					group.forEach((o, k) =>
						delivered.push({
							out: { ...o, fileName: names[k] },
							json: { to: recipients[m], subject, messageId: String(info.messageId ?? '') },
						}),
					);
				} catch (error) {
					failDelivery(ctx, group, toTransportError(error, smtpEndpoint(smtp), [smtp.password]), skipped, delivered.length);
				}
			}
		},
		{ pool: true, maxConnections: 1 },
	);
	return delivered;
}

/**
 * FTP and folder: through the transport's file sink, which writes under a temporary name and renames (the
 * receiving side — the file sources of this package, and most others — leaves temporary names alone, so it
 * never reads half a document). A newer version replaces an older one not yet picked up. A missing target
 * directory stops the run (it is never created); a file the server refuses fails alone; a broken session
 * fails the documents not delivered yet together.
 */
async function deliverFiles(ctx: IExecuteFunctions, transport: 'ftp' | 'folder', outgoing: Outgoing[], skipped: INodeExecutionData[]): Promise<Delivered> {
	const withSink = await fileSinkOf(ctx, transport);
	const delivered: Delivered = [];
	const failed = new Set<Outgoing>();
	let broken: unknown;
	await withSink(async (sink) => {
		for (const out of outgoing) {
			const done = await sink.deliver(out.fileName, out.xml).then(
				(target) => ({ target }),
				(error: unknown) => ({ error }),
			);
			if ('target' in done) {
				delivered.push({ out, json: transport === 'ftp' ? { server: sink.where, path: done.target } : { path: done.target } });
			} else if (done.error instanceof TransportError && done.error.kind === 'refusedByServer') {
				failed.add(out);
				failDelivery(ctx, [out], done.error, skipped, delivered.length);
			} else {
				broken = done.error;
				return;
			}
		}
	}).catch((error: unknown) => (broken = error));
	if (broken === undefined) return delivered;
	// the run's own stop (no Continue On Fail), or a missing directory: nothing more to deliver
	if (broken instanceof NodeOperationError || broken instanceof NodeApiError) throw userFacing(ctx, broken);
	if (broken instanceof TransportError && broken.kind === 'notFound') throw userFacing(ctx, broken);
	// the session broke: the documents not delivered yet fail together
	const left = outgoing.filter((o) => !failed.has(o) && !delivered.some((d) => d.out === o));
	failDelivery(ctx, left, broken, skipped, delivered.length);
	return delivered;
}

async function fileSinkOf(ctx: IExecuteFunctions, transport: 'ftp' | 'folder'): Promise<WithFileSink> {
	if (transport === 'ftp') {
		// FTP, FTPS or SFTP, by the credential's protocol
		const remote = fileServerCredentials(await ctx.getCredentials(CREDENTIAL.ftp));
		return remoteFileSink(remote, String(ctx.getNodeParameter('remoteDirectory', 0, '') ?? ''));
	}
	const folder = String(ctx.getNodeParameter('folderPath', 0, '') ?? '').trim();
	if (!folder || !path.isAbsolute(folder)) {
		throw new NodeOperationError(ctx.getNode(), 'Enter the folder as an absolute path, e.g. /home/n8n/Nextcloud/Auftraege');
	}
	return folderFileSink(folder);
}
