import Big from 'big.js';

import { DocumentError } from '../shared/documents/DocumentError';
import { computeTotals, validateInvoiceForPdf } from '../shared/documents/invoices';
import type { BankAccount, Invoice, InvoiceLanguage, InvoiceTotals, Seller } from '../shared/documents/invoices';
import { parseRecipients } from '../shared/mail/addresses';
import { fileBaseName } from './attachments';
import { contentHash, readInvoiceItem, sourceOf, type FieldNames } from './invoiceItems';
import type { SentLedger } from './sentLedger';

/**
 * The list cleaning the seed (AMPAREX) has an employee do by hand, done before anything is sent: every input
 * invoice ends up either in a mail group, or skipped with a reason, or failed with the field that is wrong.
 * Pure apart from reading the ready-made PDFs: no n8n, no network.
 *
 * Order of the checks, per invoice: invoice number present → invoice by post → no e-mail → invalid e-mail →
 * already sent (static data) → invoice data complete (§14 UStG, or a readable PDF) → not a duplicate within
 * this input. "Already sent" comes before the data check: an invoice mailed before is reported as such even
 * if the data would no longer pass. Then the invoices are grouped per customer (customer number + addresses) in input order.
 */

export type SkipReason = 'invoice by post' | 'no e-mail' | 'invalid e-mail' | 'already sent';

export interface CustomerSummary {
	number?: string;
	name?: string;
	email?: string;
}

export interface PlannedInvoice {
	itemIndex: number;
	invoice: Invoice;
	/** computed from the lines; absent for a ready-made PDF without lines */
	totals?: InvoiceTotals;
	/** gross total as a decimal string, from the lines or the item's gross total field */
	grossTotal?: string;
	currency: string;
	hash: string;
	/** the file name without extension */
	baseName: string;
}

export interface MailGroup {
	recipients: string[];
	customer: CustomerSummary;
	invoices: PlannedInvoice[];
}

export interface SkippedInvoice {
	itemIndex: number;
	invoiceNumber: string;
	customer: CustomerSummary;
	reason: SkipReason;
	message: string;
	/** for "already sent" */
	sentAt?: string;
	contentChanged?: boolean;
	/** for "already sent": the earlier delivery was uncertain (DELIVERY_UNCERTAIN) */
	deliveryUncertain?: boolean;
}

export interface FailedInvoice {
	itemIndex: number;
	invoiceNumber: string;
	customer: CustomerSummary;
	/** MISSING_FIELD, INVALID_VALUE, NO_PDF, NOT_A_PDF, DUPLICATE_INVOICE_NUMBER … */
	code: string;
	/** where the value comes from: the item's field ("customer.street") or a node parameter */
	field?: string;
	/** the invoice model's element ("buyer.street"), as the documents layer names it */
	element?: string;
	message: string;
}

export interface MailPlan {
	groups: MailGroup[];
	skipped: SkippedInvoice[];
	failed: FailedInvoice[];
}

export interface PlanItem {
	itemIndex: number;
	json: unknown;
}

export interface PlanSettings {
	names: FieldNames;
	seller: Seller;
	bankAccount?: BankAccount;
	timeZone: string;
	language: InvoiceLanguage;
	/** 'generate': the invoice data must satisfy §14 UStG; 'binary': the item brings its PDF */
	pdfSource: 'generate' | 'binary';
	/** for 'binary': the item's PDF bytes, or undefined when the item has none */
	readPdf?: (itemIndex: number) => Promise<Buffer | undefined>;
	groupPerCustomer: boolean;
	sendAgain: boolean;
	ledger: SentLedger;
}

function failure(
	item: { itemIndex: number; invoiceNumber: string; customer: CustomerSummary },
	error: unknown,
	names: FieldNames,
): FailedInvoice {
	if (error instanceof DocumentError) {
		const element = error.position.element;
		const field = sourceOf(element, names);
		return {
			...item,
			code: error.code,
			...(field ? { field } : {}),
			...(element ? { element } : {}),
			message: `${item.invoiceNumber || 'invoice'}: ${error.reason}${field ? ` (${field})` : ''}`,
		};
	}
	return { ...item, code: 'ERROR', message: `${item.invoiceNumber || 'invoice'}: ${(error as Error)?.message ?? String(error)}` };
}

/** The totals of an invoice with a ready-made PDF: from its lines when it has any, else the stated gross total. */
function binaryTotals(invoice: Invoice, grossTotal: string | undefined, language: InvoiceLanguage): InvoiceTotals | undefined {
	if (invoice.lines.length) return computeTotals(invoice, language);
	if (grossTotal !== undefined && !/^-?\d+(\.\d+)?$/.test(grossTotal)) {
		throw new DocumentError('INVALID_VALUE', `the gross total must be a decimal number such as "119.00", not "${grossTotal}"`, undefined, {
			element: 'grossTotal',
		});
	}
	return undefined;
}

const isPdf = (bytes: Buffer) => bytes.subarray(0, 1024).includes('%PDF-');

export async function planMailing(items: readonly PlanItem[], settings: PlanSettings): Promise<MailPlan> {
	const { names, ledger } = settings;
	const skipped: SkippedInvoice[] = [];
	const failed: FailedInvoice[] = [];
	const groups = new Map<string, MailGroup>();
	const firstByNumber = new Map<string, { itemIndex: number; hash: string }>();

	for (const { itemIndex, json } of items) {
		let mapped;
		try {
			mapped = readInvoiceItem(json, names, settings.seller, settings.bankAccount, settings.timeZone);
		} catch (error) {
			failed.push(failure({ itemIndex, invoiceNumber: '', customer: {} }, error, names));
			continue;
		}
		const { invoice } = mapped;
		const invoiceNumber = invoice.number;
		const customer: CustomerSummary = {};
		if (invoice.buyer.customerNumber) customer.number = invoice.buyer.customerNumber;
		if (invoice.buyer.name) customer.name = invoice.buyer.name;
		if (mapped.email) customer.email = mapped.email;
		const base = { itemIndex, invoiceNumber, customer };
		const skip = (reason: SkipReason, message: string, extra: Partial<SkippedInvoice> = {}) =>
			skipped.push({ ...base, reason, message, ...extra });

		if (!invoiceNumber) {
			failed.push({
				...base,
				code: 'MISSING_FIELD',
				field: names.invoiceNumber,
				element: 'number',
				message: `the invoice number is missing (${names.invoiceNumber})`,
			});
			continue;
		}
		if (mapped.byPost) {
			skip('invoice by post', `${invoiceNumber}: the customer gets invoices by post (${names.invoiceByPost})`);
			continue;
		}
		const recipients = parseRecipients(mapped.email);
		if (!recipients.addresses.length && !recipients.invalid.length) {
			skip('no e-mail', `${invoiceNumber}: the customer has no e-mail address (${names.customerEmail})`);
			continue;
		}
		if (recipients.invalid.length) {
			skip('invalid e-mail', `${invoiceNumber}: "${recipients.invalid.join('", "')}" is not a valid e-mail address (${names.customerEmail})`);
			continue;
		}

		// a ready-made PDF is part of the content: read it (one at a time) for the hash
		const pdf = settings.pdfSource === 'binary' ? await settings.readPdf?.(itemIndex) : undefined;
		const hash = contentHash(invoice, pdf);

		const previous = ledger.lookup(invoiceNumber);
		if (previous && !settings.sendAgain) {
			const changed = previous.hash !== hash;
			const when = previous.sentAt.toISOString();
			skip(
				'already sent',
				(previous.uncertain
					? `${invoiceNumber} was handed to the mail server on ${when}, whose confirmation was lost (delivery uncertain): check with the customer, and set "Send Again" to mail it once more`
					: `${invoiceNumber} was mailed on ${when}`) +
					(changed ? '; its content has changed since: set "Send Again" to mail the new version' : ''),
				{ sentAt: when, contentChanged: changed, ...(previous.uncertain ? { deliveryUncertain: true } : {}) },
			);
			continue;
		}

		let totals: InvoiceTotals | undefined;
		try {
			if (settings.pdfSource === 'generate') {
				totals = validateInvoiceForPdf(invoice, settings.language);
			} else {
				if (!pdf) {
					failed.push({ ...base, code: 'NO_PDF', field: 'binary', message: `${invoiceNumber}: the item carries no PDF in the binary property` });
					continue;
				}
				if (!isPdf(pdf)) {
					failed.push({ ...base, code: 'NOT_A_PDF', field: 'binary', message: `${invoiceNumber}: the binary property holds no PDF` });
					continue;
				}
				totals = binaryTotals(invoice, mapped.grossTotal, settings.language);
			}
			if (totals && mapped.grossTotal !== undefined) {
				// a mapping that picked the wrong field (net for gross, another invoice's total) shows up here
				let stated: Big | undefined;
				try {
					stated = new Big(mapped.grossTotal);
				} catch {
					stated = undefined;
				}
				if (!stated || !stated.eq(totals.grossTotal)) {
					throw new DocumentError(
						'INVALID_VALUE',
						`the item's gross total "${mapped.grossTotal}" differs from the ${totals.grossTotal} its lines add up to`,
						undefined,
						{ element: 'grossTotal' },
					);
				}
			}
		} catch (error) {
			failed.push(failure(base, error, names));
			continue;
		}

		const first = firstByNumber.get(invoiceNumber);
		if (first) {
			if (first.hash === hash) {
				skip('already sent', `${invoiceNumber} appears again in this input (item ${first.itemIndex + 1}); it is mailed once`);
			} else {
				failed.push({
					...base,
					code: 'DUPLICATE_INVOICE_NUMBER',
					field: names.invoiceNumber,
					element: 'number',
					message: `${invoiceNumber}: another invoice with this number (item ${first.itemIndex + 1}) is in this input; an invoice number must be unique (§14 Abs. 4 Nr. 4 UStG)`,
				});
			}
			continue;
		}
		firstByNumber.set(invoiceNumber, { itemIndex, hash });

		const planned: PlannedInvoice = {
			itemIndex,
			invoice,
			...(totals ? { totals, grossTotal: totals.grossTotal } : mapped.grossTotal ? { grossTotal: mapped.grossTotal } : {}),
			currency: invoice.currency ?? 'EUR',
			hash,
			baseName: fileBaseName(invoiceNumber),
		};
		const addresses = recipients.addresses.map((a) => a.toLowerCase()).sort();
		const key = settings.groupPerCustomer ? `${invoice.buyer.customerNumber ?? ''}\u0000${addresses.join(',')}` : `#${itemIndex}`;
		const group = groups.get(key);
		if (group) group.invoices.push(planned);
		else groups.set(key, { recipients: recipients.addresses, customer, invoices: [planned] });
	}
	return { groups: [...groups.values()], skipped, failed };
}
