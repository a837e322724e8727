import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { smtpAccount } from '../shared/mailAuth';
import { DocumentError } from '../shared/documents/DocumentError';
import { renderInvoicePdf, validateInvoiceForPdf } from '../shared/documents/invoices';
import type { BankAccount, Invoice, InvoiceLanguage, Seller } from '../shared/documents/invoices';
import { EInvoiceError, validateForEInvoice } from '../shared/documents/invoices/cii';
import { canMakeFacturX } from '../shared/documents/invoices/facturx';
import { headerSafe, isValidMailAddress } from '../shared/mail/addresses';
import { compileMailTemplate, missingTemplateParts, type CompiledMailTemplate } from '../shared/mail/templates';
import { senderOf, type SmtpCredentials } from '../shared/transports/smtp';
import { firstPlaceholder } from '../shared/placeholders';
import { E_INVOICE_LABELS, E_INVOICE_PROFILES, isEInvoiceFormat, type EInvoiceFormat } from './attachments';
import { fieldNames, type FieldNames } from './invoiceItems';

/**
 * Send Invoices, step 1: the node's parameters read and checked once, before any invoice is looked at. Every
 * finding here would fail every invoice alike, so it stops the run with "Nothing was sent".
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

export interface RunSettings {
	template: CompiledMailTemplate;
	dryRun: boolean;
	groupPerCustomer: boolean;
	pdfSource: 'generate' | 'binary';
	eInvoice: EInvoiceFormat;
	/** for pdfSource 'binary': the binary property holding each item's PDF */
	binaryProperty: string;
	language: InvoiceLanguage;
	names: FieldNames;
	seller: Seller;
	bankAccount?: BankAccount;
	account: SmtpCredentials;
	sender: { name: string; address: string };
	replyTo?: string;
	bcc?: string;
	logo?: Uint8Array;
	sendAgain: boolean;
	retryPolicy: { retries: number; delayMs: number };
	maxConnections: number;
	messagesPerSecond?: number;
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

/** The template first: the seed's "incompleteness warning" stops the run before anything else happens. */
function readTemplate(ctx: IExecuteFunctions): CompiledMailTemplate {
	const source = {
		subject: templateParameter(ctx, 'mailSubject'),
		text: templateParameter(ctx, 'mailText'),
		html: templateParameter(ctx, 'mailHtml'),
	};
	const missing = missingTemplateParts(source);
	if (missing.length) {
		throw new NodeOperationError(ctx.getNode(), `No mail template: the ${missing.join(' and the ')} ${missing.length > 1 ? 'are' : 'is'} empty. Nothing was sent.`, {
			description: 'Fill in Subject and Text (or HTML) of the mail, e.g. with placeholders such as {{customer.name}}.',
		});
	}
	try {
		return compileMailTemplate(source);
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), `${(error as Error).message}. Nothing was sent.`);
	}
}

function readSeller(ctx: IExecuteFunctions): { seller: Seller; bankAccount?: BankAccount } {
	const details = (ctx.getNodeParameter('seller.details', 0, {}) ?? {}) as Record<string, unknown>;
	const unset = firstPlaceholder(details);
	if (unset) {
		throw new NodeOperationError(ctx.getNode(), `Set your company data: Seller still holds the template's "${unset[1]}" (${unset[0]}). Nothing was sent.`, {
			description: 'Enter your own name, address, VAT ID and bank account under Seller: they appear on every invoice and e-invoice.',
		});
	}
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
function sellerCheckInvoice(seller: Seller, bankAccount: BankAccount | undefined): Invoice {
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
	const check = sellerCheckInvoice(seller, bankAccount);
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

/** Sender, Reply-To and archive copy, each checked as an address. */
async function readAddresses(ctx: IExecuteFunctions, options: Options) {
	const account: SmtpCredentials = await smtpAccount(ctx);
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
			throw new NodeOperationError(ctx.getNode(), `${label} "${address}" is not a valid e-mail address. Nothing was sent.`);
		}
	}
	return { account, sender, replyTo, bcc };
}

/** The logo of generated PDFs; for Factur-X one that PDF/A-3 forbids (a CMYK JPEG) stops the run. */
async function readLogo(ctx: IExecuteFunctions, settings: Pick<RunSettings, 'pdfSource' | 'eInvoice' | 'seller' | 'bankAccount' | 'language'>, property?: string) {
	const items = ctx.getInputData();
	if (settings.pdfSource !== 'generate' || !property) return undefined;
	const index = items.findIndex((item) => item.binary?.[property]);
	if (index < 0) throw new NodeOperationError(ctx.getNode(), `No input item has the logo binary property "${property}". Nothing was sent.`);
	const logo = await ctx.helpers.getBinaryDataBuffer(index, property);
	if (settings.eInvoice !== 'facturx') return logo;
	let verdict: Awaited<ReturnType<typeof canMakeFacturX>> | undefined;
	try {
		const sample = sellerCheckInvoice(settings.seller, settings.bankAccount);
		verdict = await canMakeFacturX(await renderInvoicePdf(sample, { language: settings.language, logo }));
	} catch {
		// a logo that cannot be read at all is reported per invoice, as without an e-invoice
	}
	if (verdict && !verdict.ok) {
		throw new NodeOperationError(ctx.getNode(), `The logo cannot go into a Factur-X (PDF/A-3): ${verdict.reasons.join('; ')}. Nothing was sent.`, {
			description: 'Use a PNG logo or an RGB JPEG (not CMYK).',
		});
	}
	return logo;
}

/** Reads and checks the parameters of Send Invoices; throws a NodeOperationError ("Nothing was sent") on a finding. */
export async function readSettings(ctx: IExecuteFunctions): Promise<RunSettings> {
	const template = readTemplate(ctx);
	const pdfSource = ctx.getNodeParameter('pdfSource', 0, 'generate') as 'generate' | 'binary';
	const eInvoice = ctx.getNodeParameter('eInvoice', 0, 'none');
	if (!isEInvoiceFormat(eInvoice)) {
		throw new NodeOperationError(ctx.getNode(), `E-Invoice "${String(eInvoice)}" is not one of None, ZUGFeRD / Factur-X, XRechnung. Nothing was sent.`);
	}
	const options = ctx.getNodeParameter('options', 0, {}) as Options;
	const language: InvoiceLanguage = options.language === 'en' ? 'en' : 'de';
	const { seller, bankAccount } = readSeller(ctx);
	// a ready-made PDF needs no seller data, its e-invoice does
	if (pdfSource === 'generate' || eInvoice !== 'none') checkSeller(ctx, seller, bankAccount, eInvoice);
	const addresses = await readAddresses(ctx, options);
	const logo = await readLogo(ctx, { pdfSource, eInvoice, seller, bankAccount, language }, options.logoBinaryPropertyName?.trim());
	return {
		template,
		dryRun: ctx.getNodeParameter('dryRun', 0, false) as boolean,
		groupPerCustomer: ctx.getNodeParameter('groupPerCustomer', 0, true) as boolean,
		pdfSource,
		eInvoice,
		binaryProperty: pdfSource === 'binary' ? (ctx.getNodeParameter('binaryPropertyName', 0, 'data') as string).trim() : '',
		language,
		names: fieldNames(ctx.getNodeParameter('fields', 0, {}) as IDataObject),
		seller,
		bankAccount,
		...addresses,
		logo,
		sendAgain: options.sendAgain === true,
		retryPolicy: { retries: Math.max(0, Math.floor(options.retries ?? 3)), delayMs: Math.max(0, (options.retryDelaySeconds ?? 10) * 1000) },
		maxConnections: Math.max(1, Math.floor(options.maxConnections ?? 3)),
		messagesPerSecond: options.messagesPerSecond && options.messagesPerSecond > 0 ? options.messagesPerSecond : undefined,
	};
}
