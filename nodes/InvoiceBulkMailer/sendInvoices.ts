import { randomUUID } from 'node:crypto';

import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData, IPairedItemData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';
import type { SendMailOptions, Transporter } from 'nodemailer';

import { CREDENTIAL, smtpCredentials } from '../shared/credentials';
import { DocumentError } from '../shared/documents/DocumentError';
import { renderInvoicePdf, validateInvoiceForPdf } from '../shared/documents/invoices';
import type { BankAccount, Invoice, InvoiceLanguage, Seller } from '../shared/documents/invoices';
import { EInvoiceError, validateForEInvoice } from '../shared/documents/invoices/cii';
import { canMakeFacturX } from '../shared/documents/invoices/facturx';
import { headerSafe, isValidMailAddress } from '../shared/mail/addresses';
import { composeEml } from '../shared/mail/eml';
import { compileMailTemplate, MailTemplateError, missingTemplateParts, type CompiledMailTemplate } from '../shared/mail/templates';
import { toConnectionError } from '../shared/transports/connectionErrors';
import {
	createSmtpTransport,
	senderOf,
	sendWithRetries,
	smtpEndpoint,
	type DeliveryOutcome,
	type SmtpCredentials,
} from '../shared/transports/smtp';
import {
	attachmentBuilder,
	distinctFileNames,
	E_INVOICE_LABELS,
	E_INVOICE_PROFILES,
	isEInvoiceFormat,
	PdfNotConvertibleError,
	type EInvoiceFormat,
	type MailAttachment,
} from './attachments';
import { fieldNames, sourceOf, type FieldNames } from './invoiceItems';
import { planMailing, type CustomerSummary, type FailedInvoice, type MailGroup, type PlannedInvoice } from './mailPlan';
import { runPipeline, type JobControl } from './pipeline';
import { SentLedger } from './sentLedger';
import { templateData } from './templateData';

/**
 * Send Invoices: the node's main operation, read top to bottom —
 * 1. read the template (none → stop, nothing sent), sender, seller and field names;
 * 2. plan: every invoice into a customer's mail, or Skipped, or Failed (mailPlan.ts);
 * 3. render the first mail's text, so that a broken template stops the run before anything is sent;
 * 4. open one pooled SMTP transport and check the login;
 * 5. pipeline: per mail make the PDFs (and e-invoices), then send (retrying 4xx), a few mails under way at once;
 *    after each accepted mail note its invoices as sent in the static data;
 * 6. hand out Sent, Skipped and Failed, each in input order.
 */

interface Options {
	bcc?: string;
	language?: InvoiceLanguage;
	logoBinaryPropertyName?: string;
	maxConnections?: number;
	messagesPerSecond?: number;
	replyTo?: string;
	retries?: number;
	retryDelaySeconds?: number;
	sendAgain?: boolean;
	senderAddress?: string;
	senderName?: string;
}

interface OrderedItem {
	/** the first input item it stands for, to hand items out in input order */
	order: number;
	item: INodeExecutionData;
}

const LABELS: Record<string, string> = { mailSubject: 'Subject', mailText: 'Text', mailHtml: 'HTML' };

/** A template field's text. An n8n expression there would have n8n evaluate the Handlebars braces itself. */
function templateParameter(ctx: IExecuteFunctions, name: 'mailSubject' | 'mailText' | 'mailHtml'): string {
	const raw = ctx.getNodeParameter(name, 0, '', { rawExpressions: true });
	// Handlebars blocks, or the roots of this node's placeholders: n8n's own expressions start with $ or a literal
	const handlebars = /\{\{\s*(?:[#/^]|else\b|@|(?:customer|invoices|seller|sender|count|multiple|total|this)\b)/;
	if (typeof raw === 'string' && raw.startsWith('=') && handlebars.test(raw)) {
		// n8n's editor switches a field to Expression mode when {{ … }} is pasted into it or "{{ " is typed
		throw new NodeOperationError(ctx.getNode(), `The ${LABELS[name]} field is in Expression mode. Nothing was sent.`, {
			description:
				'Switch the field to "Fixed": the node fills placeholders such as {{customer.name}} itself, once per mail. In Expression mode n8n would read them as its own expressions.',
		});
	}
	const value = ctx.getNodeParameter(name, 0, '');
	return typeof value === 'string' ? value : String(value ?? '');
}

function readSeller(ctx: IExecuteFunctions): { seller: Seller; bankAccount?: BankAccount } {
	const details = (ctx.getNodeParameter('seller.details', 0, {}) ?? {}) as Record<string, unknown>;
	const get = (key: string) => (typeof details[key] === 'string' ? (details[key] as string).trim() : '');
	const seller: Seller = { name: get('name'), street: get('street'), zip: get('zip'), city: get('city') };
	for (const key of ['country', 'vatId', 'taxNumber', 'contactName', 'email', 'phone', 'website', 'commercialRegister', 'managingDirectors'] as const) {
		const value = get(key);
		if (value) seller[key] = key === 'country' ? value.toUpperCase() : value;
	}
	const iban = get('iban');
	if (!iban) return { seller };
	const bankAccount: BankAccount = { iban };
	for (const key of ['bic', 'bankName', 'accountHolder'] as const) {
		const value = get(key);
		if (value) bankAccount[key] = value;
	}
	return { seller, bankAccount };
}

/** An invoice complete in every respect the rules ask about, apart from the seller data of the node. */
function checkInvoice(seller: Seller, bankAccount: BankAccount | undefined): Invoice {
	return {
		number: 'check',
		type: 'invoice',
		issueDate: '2025-01-01',
		deliveryDate: '2025-01-01',
		dueDate: '2025-01-15',
		seller,
		buyer: {
			name: 'Buyer',
			street: 'Street 1',
			zip: '12345',
			city: 'City',
			country: 'DE',
			vatId: 'DE999999999',
			email: 'buyer@example.com',
			buyerReference: '05315-12345678-06',
		},
		lines: [{ description: 'Item', quantity: '1', unit: 'C62', netUnitPrice: '1', vatRate: '19' }],
		...(bankAccount ? { bankAccount } : {}),
	};
}

/**
 * The seller data are node parameters: when they lack what §14 UStG (or the chosen e-invoice's rules) require,
 * every invoice would fail the same way, so the run stops before anything is sent, naming the parameter.
 * Checked with the very rules the invoices are checked with, on an invoice that is complete apart from the
 * seller. A missing IBAN is left to each invoice: XRechnung wants one on invoices, not on credit notes.
 */
function checkSeller(ctx: IExecuteFunctions, seller: Seller, bankAccount: BankAccount | undefined, eInvoice: EInvoiceFormat): void {
	const check = checkInvoice(seller, bankAccount);
	try {
		if (eInvoice === 'none') validateInvoiceForPdf(check);
		else validateForEInvoice(check, E_INVOICE_PROFILES[eInvoice]);
	} catch (error) {
		if (!(error instanceof DocumentError)) throw new NodeOperationError(ctx.getNode(), error as Error);
		const element = error.position.element ?? '';
		const sellers = element.startsWith('seller') || (element.startsWith('bankAccount') && error.code !== 'MISSING_FIELD');
		if (!sellers) return;
		const needs = error instanceof EInvoiceError ? `${E_INVOICE_LABELS[eInvoice]} e-invoices need them` : 'generated invoices need them';
		throw new NodeOperationError(ctx.getNode(), `Seller data: ${error.reason}. Nothing was sent.`, {
			description: `Fill in the Seller parameters (${element.replace(/^(seller|bankAccount)\./, '')}); ${needs}.`,
		});
	}
}

function paired(invoices: Array<{ itemIndex: number }>): IPairedItemData[] {
	return invoices.map((invoice) => ({ item: invoice.itemIndex }));
}

function customerJson(customer: CustomerSummary): IDataObject {
	return { ...customer };
}

function failedInvoiceItem(failure: FailedInvoice): OrderedItem {
	const json: IDataObject = {
		invoiceNumber: failure.invoiceNumber,
		customer: customerJson(failure.customer),
		code: failure.code,
		message: failure.message,
	};
	if (failure.field) json.field = failure.field;
	if (failure.element) json.element = failure.element;
	return { order: failure.itemIndex, item: { json, pairedItem: { item: failure.itemIndex } } };
}

export async function sendInvoices(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const node = this.getNode();

	// 1. the template first: the seed's "incompleteness warning" stops the run before anything else happens
	const source = {
		subject: templateParameter(this, 'mailSubject'),
		text: templateParameter(this, 'mailText'),
		html: templateParameter(this, 'mailHtml'),
	};
	const missing = missingTemplateParts(source);
	if (missing.length) {
		throw new NodeOperationError(node, `No mail template: the ${missing.join(' and the ')} ${missing.length > 1 ? 'are' : 'is'} empty. Nothing was sent.`, {
			description: 'Fill in Subject and Text (or HTML) of the mail, e.g. with placeholders such as {{customer.name}}.',
		});
	}
	let template: CompiledMailTemplate;
	try {
		template = compileMailTemplate(source);
	} catch (error) {
		throw new NodeOperationError(node, `${(error as Error).message}. Nothing was sent.`);
	}

	const dryRun = this.getNodeParameter('dryRun', 0, false) as boolean;
	const groupPerCustomer = this.getNodeParameter('groupPerCustomer', 0, true) as boolean;
	const pdfSource = this.getNodeParameter('pdfSource', 0, 'generate') as 'generate' | 'binary';
	const eInvoiceParameter = this.getNodeParameter('eInvoice', 0, 'none');
	if (!isEInvoiceFormat(eInvoiceParameter)) {
		throw new NodeOperationError(node, `E-Invoice "${String(eInvoiceParameter)}" is not one of None, ZUGFeRD / Factur-X, XRechnung. Nothing was sent.`);
	}
	const eInvoice: EInvoiceFormat = eInvoiceParameter;
	const binaryProperty = pdfSource === 'binary' ? (this.getNodeParameter('binaryPropertyName', 0, 'data') as string).trim() : '';
	const options = this.getNodeParameter('options', 0, {}) as Options;
	const language: InvoiceLanguage = options.language === 'en' ? 'en' : 'de';
	const names: FieldNames = fieldNames(this.getNodeParameter('fields', 0, {}) as IDataObject);
	const { seller, bankAccount } = readSeller(this);
	// a ready-made PDF needs no seller data, its e-invoice does
	if (pdfSource === 'generate' || eInvoice !== 'none') checkSeller(this, seller, bankAccount, eInvoice);

	const account: SmtpCredentials = smtpCredentials(await this.getCredentials(CREDENTIAL.smtp));
	const sender = senderOf({
		senderAddress: options.senderAddress?.trim() || account.senderAddress,
		senderName: headerSafe(options.senderName || account.senderName || ''),
	});
	const replyTo = options.replyTo?.trim() || undefined;
	const bcc = options.bcc?.trim() || undefined;
	for (const [label, address] of [
		['Sender', sender.address],
		['Reply-To', replyTo],
		['Archive copy (BCC)', bcc],
	] as const) {
		if (address !== undefined && !isValidMailAddress(address)) {
			throw new NodeOperationError(node, `${label} "${address}" is not a valid e-mail address. Nothing was sent.`);
		}
	}

	let logo: Uint8Array | undefined;
	const logoProperty = options.logoBinaryPropertyName?.trim();
	if (pdfSource === 'generate' && logoProperty) {
		const index = items.findIndex((item) => item.binary?.[logoProperty]);
		if (index < 0) throw new NodeOperationError(node, `No input item has the logo binary property "${logoProperty}". Nothing was sent.`);
		logo = await this.helpers.getBinaryDataBuffer(index, logoProperty);
		if (eInvoice === 'facturx') {
			// the logo is on every generated Factur-X: one PDF/A-3 forbids (a CMYK JPEG) would fail them all alike
			let verdict: Awaited<ReturnType<typeof canMakeFacturX>> | undefined;
			try {
				verdict = await canMakeFacturX(await renderInvoicePdf(checkInvoice(seller, bankAccount), { language, logo }));
			} catch {
				// a logo that cannot be read at all is reported per invoice, as without an e-invoice
			}
			if (verdict && !verdict.ok) {
				throw new NodeOperationError(node, `The logo cannot go into a Factur-X (PDF/A-3): ${verdict.reasons.join('; ')}. Nothing was sent.`, {
					description: 'Use a PNG logo or an RGB JPEG (not CMYK).',
				});
			}
		}
	}

	const readPdf = async (itemIndex: number): Promise<Buffer | undefined> =>
		items[itemIndex]?.binary?.[binaryProperty] ? await this.helpers.getBinaryDataBuffer(itemIndex, binaryProperty) : undefined;

	// 2. the list cleaning
	const ledger = new SentLedger(this.getWorkflowStaticData('node'));
	const plan = await planMailing(
		items.map((item, itemIndex) => ({ itemIndex, json: item.json })),
		{
			names,
			seller,
			bankAccount,
			timeZone: this.getTimezone(),
			language,
			pdfSource,
			readPdf,
			groupPerCustomer,
			sendAgain: options.sendAgain === true,
			ledger,
		},
	);

	const sent: OrderedItem[] = [];
	const failed: OrderedItem[] = plan.failed.map(failedInvoiceItem);
	const skipped: OrderedItem[] = plan.skipped.map((skip) => {
		const json: IDataObject = {
			invoiceNumber: skip.invoiceNumber,
			customer: customerJson(skip.customer),
			reason: skip.reason,
			message: skip.message,
		};
		if (skip.sentAt) json.sentAt = skip.sentAt;
		if (skip.contentChanged !== undefined) json.contentChanged = skip.contentChanged;
		if (skip.deliveryUncertain) json.deliveryUncertain = true;
		return { order: skip.itemIndex, item: { json, pairedItem: { item: skip.itemIndex } } };
	});

	// 3. a template that fails on real data stops here, before the first mail
	const context = { language, seller, sender };
	if (plan.groups.length) {
		try {
			template.render(templateData(plan.groups[0], context));
		} catch (error) {
			throw new NodeOperationError(node, `${(error as Error).message}. Nothing was sent.`);
		}
	}

	// 4. one pooled transport for the whole run
	const retryPolicy = {
		retries: Math.max(0, Math.floor(options.retries ?? 3)),
		delayMs: Math.max(0, (options.retryDelaySeconds ?? 10) * 1000),
	};
	const maxConnections = Math.max(1, Math.floor(options.maxConnections ?? 3));
	const endpoint = smtpEndpoint(account);
	let transport: Transporter | undefined;
	let unreachable: { code: string; message: string } | undefined;
	if (!dryRun && plan.groups.length) {
		transport = createSmtpTransport(account, {
			pool: true,
			maxConnections,
			messagesPerSecond: options.messagesPerSecond && options.messagesPerSecond > 0 ? options.messagesPerSecond : undefined,
			// a run keeps its connections busy; one left idle while mails wait for a retry is closed rather than
			// held open at the server, and the retry comes on a fresh connection (which a server that changed its
			// mind, or a restarted one, then answers anew)
			idleTimeoutMs: Math.max(1000, Math.min(5000, retryPolicy.delayMs / 2)),
		});
		try {
			// one login before the first mail: a wrong password or host stops the run with one clear error
			await transport.verify();
		} catch (error) {
			transport.close();
			transport = undefined;
			const fault = toConnectionError(error, endpoint, [account.password]);
			if (!this.continueOnFail()) {
				throw new NodeApiError(node, { message: fault.message, code: fault.code ?? fault.kind }, { message: `${fault.message} Nothing was sent.` });
			}
			unreachable = { code: fault.code ?? fault.kind, message: fault.message };
		}
	}

	const build = attachmentBuilder(eInvoice);
	let delivered = 0;

	// 5. the pipeline: PDFs of the next mails are made while earlier mails are on the wire
	/** The PDFs and e-invoices of one mail; an invoice whose attachments cannot be made goes to Failed alone. */
	const attachInvoices = async (group: MailGroup) => {
		const attachments: MailAttachment[] = [];
		const included: PlannedInvoice[] = [];
		for (const planned of group.invoices) {
			const pdf = async (): Promise<Uint8Array> => {
				if (pdfSource === 'generate') return await renderInvoicePdf(planned.invoice, { language, logo });
				const bytes = await readPdf(planned.itemIndex);
				if (!bytes) throw new DocumentError('MISSING_FIELD', 'the PDF is no longer in the binary property');
				return bytes;
			};
			try {
				const context = { baseName: planned.baseName, language, generated: pdfSource === 'generate', logo };
				attachments.push(...(await build(planned.invoice, pdf, context)));
				included.push(planned);
			} catch (error) {
				failed.push(attachmentFailure(planned, group, error));
			}
		}
		return { attachments, included };
	};

	/**
	 * The Failed item of an invoice whose attachments could not be made. The message names the input field the
	 * user maps (customer.buyerReference), not the invoice model's element (buyer.buyerReference), and keeps the
	 * e-invoice rule the invoice breaks: "RE-7 (XRechnung): customer.buyerReference: … is missing (BR-DE-15)".
	 */
	const attachmentFailure = (planned: PlannedInvoice, group: MailGroup, error: unknown): OrderedItem => {
		const number = planned.invoice.number;
		const json: IDataObject = { invoiceNumber: number, customer: customerJson(group.customer) };
		if (!(error instanceof DocumentError)) {
			json.code = 'PDF_ERROR';
			json.message = `${number}: ${(error as Error).message}`;
		} else {
			const element = error.position.element;
			// a ready-made PDF that cannot become PDF/A says so in its reason; its "field" is the binary property
			const field = element === 'pdf' ? 'binary' : sourceOf(element, names);
			let reason = error.reason;
			if (element && element !== 'pdf' && field && field !== element) {
				reason = reason.startsWith(`${element}: `) ? `${field}: ${reason.slice(element.length + 2)}` : `${reason} (${field})`;
			}
			json.code = error.code;
			json.message = `${number}${eInvoice === 'none' ? '' : ` (${E_INVOICE_LABELS[eInvoice]})`}: ${reason}`;
			if (field) json.field = field;
			if (element) json.element = element;
			if (error instanceof EInvoiceError) json.rule = error.rule;
			if (error instanceof PdfNotConvertibleError) json.reasons = [...error.reasons];
		}
		if (eInvoice !== 'none') json.eInvoice = eInvoice;
		return { order: planned.itemIndex, item: { json, pairedItem: { item: planned.itemIndex } } };
	};

	const sendGroup = async (group: MailGroup, control: JobControl): Promise<void> => {
		const order = group.invoices[0].itemIndex;
		const base = {
			customer: customerJson(group.customer),
			recipient: group.recipients.join(', '),
			recipients: [...group.recipients],
			...(eInvoice === 'none' ? {} : { eInvoice }),
		};
		if (unreachable) {
			const json: IDataObject = { ...base, invoiceNumbers: group.invoices.map((p) => p.invoice.number), ...unreachable };
			failed.push({ order, item: { json, pairedItem: paired(group.invoices) } });
			return;
		}
		// CPU: one mail's PDFs at a time, while the mails before it are on the wire
		const { attachments, included } = await control.exclusive(async () => await attachInvoices(group));
		if (!included.length) return;
		const mail = { ...group, invoices: included };
		const invoiceJson = included.map((p) => ({
			number: p.invoice.number,
			grossTotal: p.grossTotal ?? '',
			currency: p.currency,
		}));
		const invoiceNumbers = included.map((p) => p.invoice.number);

		let rendered;
		try {
			rendered = template.render(templateData(mail, context));
		} catch (error) {
			const json: IDataObject = { ...base, invoiceNumbers, code: 'TEMPLATE_ERROR', message: (error as MailTemplateError).message };
			failed.push({ order, item: { json, pairedItem: paired(included) } });
			return;
		}
		const message: SendMailOptions = {
			from: sender,
			to: group.recipients,
			replyTo,
			subject: rendered.subject,
			text: rendered.text || undefined,
			html: rendered.html,
			attachments: distinctFileNames(attachments),
			// the data decides file names and bodies, never which files or URLs nodemailer would read
			disableFileAccess: true,
			disableUrlAccess: true,
		};

		if (dryRun) {
			const domain = sender.address.slice(sender.address.lastIndexOf('@') + 1);
			const messageId = `<${randomUUID()}@${domain}>`;
			const eml = await composeEml({ ...message, messageId, ...(bcc ? { bcc } : {}) }, { keepBcc: true });
			const binary: Record<string, IBinaryData> = {
				mail: await this.helpers.prepareBinaryData(eml, `${fileStem(group)}.eml`, 'message/rfc822'),
			};
			let n = 0;
			for (const attachment of message.attachments as MailAttachment[]) {
				binary[`attachment_${++n}`] = await this.helpers.prepareBinaryData(attachment.content, attachment.filename, attachment.contentType);
			}
			const json: IDataObject = { ...base, invoiceNumbers, invoices: invoiceJson, subject: rendered.subject, messageId, dryRun: true };
			sent.push({ order, item: { json, binary, pairedItem: paired(included) } });
			return;
		}

		const outcome: DeliveryOutcome = await sendWithRetries(
			transport as Transporter,
			message,
			{ from: sender.address, to: group.recipients, copies: bcc ? [bcc] : [] },
			{ ...retryPolicy, wait: async (ms) => await control.pause(async () => await sleep(ms)) },
			endpoint,
			[account.password],
		);
		const rejected = outcome.rejected.map((r) => ({ recipient: r.recipient, code: r.code, response: r.response ?? r.message }));
		if (outcome.delivered) {
			// noted at once: if the run stops later, a re-run skips what went out here
			const now = new Date();
			for (const planned of included) ledger.record(planned.invoice.number, planned.hash, now);
			delivered++;
			const json: IDataObject = {
				...base,
				invoiceNumbers,
				invoices: invoiceJson,
				subject: rendered.subject,
				messageId: outcome.messageId,
				response: outcome.response,
				accepted: outcome.accepted,
				rejected,
				attempts: outcome.attempts,
			};
			sent.push({ order, item: { json, pairedItem: paired(included) } });
		} else {
			const { failure } = outcome;
			// it may have arrived: noted as sent, so that no later run mails it again unless told to (Send Again)
			if (outcome.uncertain) for (const planned of included) ledger.record(planned.invoice.number, planned.hash, new Date(), true);
			const json: IDataObject = {
				...base,
				invoiceNumbers,
				subject: rendered.subject,
				code: failure.code,
				...(outcome.uncertain ? { messageId: outcome.messageId, server: `${endpoint.host}:${endpoint.port}` } : {}),
				...(failure.response ? { response: failure.response } : {}),
				temporary: failure.temporary,
				...(failure.command ? { command: failure.command } : {}),
				message: failure.message,
				attempts: outcome.attempts,
			};
			if (rejected.length) json.rejected = rejected;
			failed.push({ order, item: { json, pairedItem: paired(included) } });
		}
	};

	try {
		// a few more mails under way than connections: their PDFs are made while the others are sent
		const active = maxConnections + 2;
		await runPipeline(plan.groups, { active, alive: active + 50 }, sendGroup);
	} finally {
		transport?.close();
	}

	if (delivered > 0 && this.getMode() === 'manual') {
		this.addExecutionHints({
			message:
				'Manual run: n8n does not save static data after manual runs, so this node will not remember which invoices it just mailed. Send from an active workflow (e.g. with a Schedule or Webhook trigger) for the "already sent" check to last.',
			type: 'warning',
			location: 'outputPane',
		});
	}

	// 6. each output in input order
	const ordered = (list: OrderedItem[]) => list.sort((a, b) => a.order - b.order).map((entry) => entry.item);
	return [ordered(sent), ordered(skipped), ordered(failed)];
}

/** The .eml file name of a dry-run mail: customer number (or address) and the first invoice number. */
function fileStem(group: MailGroup): string {
	const who = group.customer.number || group.recipients[0] || 'mail';
	const first = group.invoices[0].baseName;
	const name = `${who} ${first}${group.invoices.length > 1 ? ` +${group.invoices.length - 1}` : ''}`;
	// eslint-disable-next-line no-control-regex -- control characters are what is removed
	return name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_');
}
