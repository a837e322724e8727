import { randomUUID } from 'node:crypto';

import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import type { SendMailOptions, Transporter } from 'nodemailer';

import { DocumentError } from '../shared/documents/DocumentError';
import { renderInvoicePdf } from '../shared/documents/invoices';
import { composeEml } from '../shared/mail/eml';
import type { MailTemplateError } from '../shared/mail/templates';
import { userFacing } from '../shared/nodeErrors';
import { toTransportError, type Endpoint } from '../shared/transports/transportError';
import { createSmtpTransport, sendWithRetries, smtpEndpoint } from '../shared/transports/smtp';
import { attachmentBuilder, distinctFileNames, type MailAttachment } from './attachments';
import { alreadySentSkip, type MailGroup, type MailPlan, type PlannedInvoice } from './mailPlan';
import {
	attachmentFailureItem,
	failedGroupItem,
	failedMailItem,
	invoicesJson,
	mailJson,
	sentMailItem,
	skippedItem,
	type Outputs,
} from './outputItems';
import { runPipeline, type JobControl } from './pipeline';
import type { SendingInvoice, SentRecords } from './sentRecords';
import type { RunSettings } from './settings';
import { templateData } from './templateData';

/**
 * Send Invoices, step 3: the planned mails sent. One pooled SMTP transport for the run; a pipeline makes the
 * PDFs (and e-invoices) of the next mails while earlier mails are on the wire, sends each (retrying 4xx and
 * connections lost before the end of the message). Each mail's invoices are claimed in n8n's database right
 * before it is made (sentRecords.ts): an invoice another execution claimed first goes to Skipped. An accepted
 * mail's invoices are noted as delivered at once; a mail whose delivery became uncertain keeps its claims (only
 * Send Again mails it again); a mail refused for good, or never sent, gives its claims back.
 */

interface Run {
	ctx: IExecuteFunctions;
	settings: RunSettings;
	ledger: SentRecords;
	outputs: Outputs;
	endpoint: Endpoint;
	transport?: Transporter;
	/** the server could not be reached (and the node continues on fail): every mail fails with this */
	unreachable?: { code: string; message: string };
	delivered: number;
	/** the deliveries being noted in the record (the run ends only when all are written) and the first that failed */
	noting: { writes: Set<Promise<void>>; failure?: { error: unknown } };
}

/** One pooled transport whose login is checked before the first mail; undefined in a dry run or without mails. */
async function openTransport(run: Run, plan: MailPlan): Promise<void> {
	const { settings, ctx } = run;
	if (settings.dryRun || !plan.groups.length) return;
	const transport = createSmtpTransport(settings.account, {
		pool: true,
		maxConnections: settings.maxConnections,
		messagesPerSecond: settings.messagesPerSecond,
		// a run keeps its connections busy; one left idle while mails wait for a retry is closed rather than held
		// open at the server, and the retry comes on a fresh connection (which a restarted server answers anew)
		idleTimeoutMs: Math.max(1000, Math.min(5000, settings.retryPolicy.delayMs / 2)),
	});
	try {
		// one login before the first mail: a wrong password or host stops the run with one clear error
		await transport.verify();
		run.transport = transport;
	} catch (error) {
		transport.close();
		const fault = toTransportError(error, run.endpoint, [settings.account.password, settings.account.oauth2?.accessToken]);
		if (!ctx.continueOnFail()) {
			throw userFacing(ctx, fault, undefined, ' Nothing was sent.');
		}
		run.unreachable = { code: fault.code ?? fault.kind, message: fault.message };
	}
}

/** The PDFs and e-invoices of one mail; an invoice whose attachments cannot be made goes to Failed alone. */
async function attachInvoices(run: Run, group: MailGroup) {
	const { settings, ctx } = run;
	const build = attachmentBuilder(settings.eInvoice);
	const generated = settings.pdfSource === 'generate';
	const attachments: MailAttachment[] = [];
	const included: PlannedInvoice[] = [];
	for (const planned of group.invoices) {
		const pdf = async (): Promise<Uint8Array> => {
			if (generated) return await renderInvoicePdf(planned.checked ?? planned.invoice, { language: settings.language, logo: settings.logo });
			const item = ctx.getInputData()[planned.itemIndex];
			if (!item?.binary?.[settings.binaryProperty]) throw new DocumentError('MISSING_FIELD', 'the PDF is no longer in the binary property');
			return await ctx.helpers.getBinaryDataBuffer(planned.itemIndex, settings.binaryProperty);
		};
		try {
			const context = { baseName: planned.baseName, language: settings.language, generated, logo: settings.logo };
			attachments.push(...(await build(planned.checked ?? planned.invoice, pdf, context)));
			included.push(planned);
		} catch (error) {
			run.outputs.failed.push(attachmentFailureItem(planned, group, error, settings.eInvoice, settings.names));
		}
	}
	return { attachments, included };
}

/** The message of one mail; undefined (and the mail's invoices on Failed) when the template fails on its data. */
function composeMessage(run: Run, order: number, mail: MailGroup, attachments: MailAttachment[], base: IDataObject): SendMailOptions | undefined {
	const { settings } = run;
	let rendered;
	try {
		rendered = settings.template.render(templateData(mail, { language: settings.language, seller: settings.seller, sender: settings.sender }));
	} catch (error) {
		const json: IDataObject = { ...base, code: 'TEMPLATE_ERROR', message: (error as MailTemplateError).message };
		run.outputs.failed.push(failedGroupItem(order, mail.invoices, json));
		return undefined;
	}
	return {
		from: settings.sender,
		to: mail.recipients,
		replyTo: settings.replyTo,
		subject: rendered.subject,
		text: rendered.text || undefined,
		html: rendered.html,
		attachments: distinctFileNames(attachments),
		// the data decides file names and bodies, never which files or URLs nodemailer would read
		disableFileAccess: true,
		disableUrlAccess: true,
	};
}

/** A dry run's mail: the .eml file and its attachments as binary data, nothing sent. */
async function dryRunMail(run: Run, group: MailGroup, included: PlannedInvoice[], message: SendMailOptions, base: IDataObject): Promise<void> {
	const { ctx, settings } = run;
	const domain = settings.sender.address.slice(settings.sender.address.lastIndexOf('@') + 1);
	const messageId = `<${randomUUID()}@${domain}>`;
	const eml = await composeEml({ ...message, messageId, ...(settings.bcc ? { bcc: settings.bcc } : {}) }, { keepBcc: true });
	const binary: Record<string, IBinaryData> = { mail: await ctx.helpers.prepareBinaryData(eml, `${fileStem(group)}.eml`, 'message/rfc822') };
	let n = 0;
	for (const attachment of message.attachments as MailAttachment[]) {
		binary[`attachment_${++n}`] = await ctx.helpers.prepareBinaryData(attachment.content, attachment.filename, attachment.contentType);
	}
	const json: IDataObject = { ...base, invoices: invoicesJson(included), messageId, dryRun: true };
	run.outputs.sent.push(sentMailItem(group.invoices[0].itemIndex, included, json, binary));
}

/** Sends one mail and reports it; notes its invoices as delivered when the server took it, gives their claims back when it refused for good. */
async function deliver(run: Run, group: MailGroup, included: PlannedInvoice[], fresh: SendingInvoice[], message: SendMailOptions, base: IDataObject, control: JobControl) {
	const { settings } = run;
	const order = group.invoices[0].itemIndex;
	if (!(await run.ledger.handing(included.map(sending)))) {
		const message = 'Not sent: this run lost its connection to n8n\'s database, which holds its claim on these invoices, and another run may be mailing them. Run the workflow again: what was not mailed will be.';
		run.outputs.failed.push(failedGroupItem(order, included, { ...base, code: 'CLAIM_LOST', message }));
		await run.ledger.release(included.map(sending));
		return;
	}
	const outcome = await sendWithRetries(
		run.transport as Transporter,
		message,
		{ from: settings.sender.address, to: group.recipients, copies: settings.bcc ? [settings.bcc] : [] },
		{ ...settings.retryPolicy, wait: async (ms) => await control.pause(async () => await sleep(ms)) },
		run.endpoint,
		[settings.account.password],
	);
	// noted at once, the next mail not waiting for it (the run's items are given out only once it is written): if
	// the run stops later, a re-run skips what went out here; one that stops before it is written leaves the mail
	// handed, not delivered — reported uncertain, never mailed twice (an uncertain mail keeps its claims)
	if (outcome.delivered) note(run, run.ledger.delivered(included.map(sending)));
	else if (!outcome.uncertain) await run.ledger.giveBack(fresh.filter((f) => included.some((p) => p.invoice.number === f.number)));
	else await run.ledger.release(included.map(sending));
	if (!outcome.delivered) {
		run.outputs.failed.push(failedMailItem(order, included, base, outcome, run.endpoint));
		return;
	}
	run.delivered++;
	const rejected = outcome.rejected.map((r) => ({ recipient: r.recipient, code: r.code, response: r.response ?? r.message }));
	const json: IDataObject = {
		...base,
		invoices: invoicesJson(included),
		messageId: outcome.messageId,
		response: outcome.response,
		accepted: outcome.accepted,
		rejected,
		attempts: outcome.attempts,
	};
	run.outputs.sent.push(sentMailItem(order, included, json));
}

/** A write the run awaits at its end (`noted`): its failure is kept for that moment. */
function note(run: Run, write: Promise<void>): void {
	const settled = write.catch((error: unknown) => void (run.noting.failure ??= { error }));
	run.noting.writes.add(settled);
	void settled.then(() => run.noting.writes.delete(settled));
}

/** Every delivery noted; the first failure is the run's. */
async function noted(run: Run): Promise<void> {
	await Promise.all(run.noting.writes);
	if (run.noting.failure) throw run.noting.failure.error;
}

async function sendGroup(run: Run, group: MailGroup, control: JobControl): Promise<void> {
	const base = mailJson(group, run.settings.eInvoice);
	if (run.unreachable) {
		const json: IDataObject = { ...base, invoiceNumbers: group.invoices.map((p) => p.invoice.number), ...run.unreachable };
		run.outputs.failed.push(failedGroupItem(group.invoices[0].itemIndex, group.invoices, json));
		return;
	}
	const claim = run.settings.dryRun ? undefined : await claimInvoices(run, group);
	const claimed = claim ? group.invoices.filter((p) => claim.granted.some((g) => g.number === p.invoice.number)) : group.invoices;
	if (!claimed.length) return;
	const fresh = claim?.fresh ?? [];
	// CPU: one mail's PDFs at a time, while the mails before it are on the wire
	const { attachments, included } = await control.exclusive(async () => await attachInvoices(run, { ...group, invoices: claimed }));
	const unsent = (kept: PlannedInvoice[]) => fresh.filter((f) => !kept.some((p) => p.invoice.number === f.number));
	if (!run.settings.dryRun) await run.ledger.giveBack(unsent(included));
	if (!included.length) return;
	const mail = { ...group, invoices: included };
	const withNumbers = { ...base, invoiceNumbers: included.map((p) => p.invoice.number) };
	const message = composeMessage(run, group.invoices[0].itemIndex, mail, attachments, withNumbers);
	if (!message) {
		if (!run.settings.dryRun) await run.ledger.giveBack(fresh);
		return;
	}
	const described = { ...withNumbers, subject: message.subject };
	if (run.settings.dryRun) await dryRunMail(run, group, included, message, described);
	else await deliver(run, group, included, fresh, message, described, control);
}

/** Claims the mail's invoices; those another execution claimed first go to Skipped (already sent, or being sent). */
async function claimInvoices(run: Run, group: MailGroup) {
	const claim = await run.ledger.claim(group.invoices.map(sending), run.settings.sendAgain);
	for (const taken of claim.taken) {
		const planned = group.invoices.find((p) => p.invoice.number === taken.number)!;
		const ref = { itemIndex: planned.itemIndex, invoiceNumber: taken.number, customer: group.customer };
		run.outputs.skipped.push(skippedItem(alreadySentSkip(ref, { contentChanged: false, uncertain: true })));
	}
	return claim;
}

function sending(planned: PlannedInvoice): SendingInvoice {
	return { number: planned.invoice.number, hash: planned.hash };
}

/** Sends the plan's mails into `outputs`; returns how many the server took. */
export async function sendPlannedMails(ctx: IExecuteFunctions, settings: RunSettings, plan: MailPlan, ledger: SentRecords, outputs: Outputs): Promise<number> {
	const run: Run = { ctx, settings, ledger, outputs, endpoint: smtpEndpoint(settings.account), delivered: 0, noting: { writes: new Set() } };
	await openTransport(run, plan);
	// each claim takes the next mails with it: fewer round trips to n8n's database
	if (!settings.dryRun) ledger.planned(plan.groups.map((group) => group.invoices.map(sending)));
	try {
		// a few more mails under way than connections: their PDFs are made while the others are sent
		const active = settings.maxConnections + 2;
		await runPipeline(plan.groups, { active, alive: active + 50 }, async (group, control) => await sendGroup(run, group, control));
		await noted(run);
	} finally {
		run.transport?.close();
		// after the deliveries still being noted, also when the pipeline failed: they are in the ledger's write chain
		await ledger.releaseAll();
	}
	return run.delivered;
}

/** The .eml file name of a dry-run mail: customer number (or address) and the first invoice number. */
function fileStem(group: MailGroup): string {
	const who = group.customer.number || group.recipients[0] || 'mail';
	const first = group.invoices[0].baseName;
	const name = `${who} ${first}${group.invoices.length > 1 ? ` +${group.invoices.length - 1}` : ''}`;
	// eslint-disable-next-line no-control-regex -- control characters are what is removed
	return name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_');
}
