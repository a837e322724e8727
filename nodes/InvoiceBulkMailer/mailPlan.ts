import Big from 'big.js';

import { DocumentError } from '../shared/documents/DocumentError';
import { checkInvoice, checkPrintable, computeTotals } from '../shared/documents/invoices';
import type { BankAccount, CheckedInvoice, Invoice, InvoiceLanguage, InvoiceTotals, Seller } from '../shared/documents/invoices';
import { parseRecipients } from '../shared/mail/addresses';
import { eInvoiceData, fileBaseName } from './attachments';
import { contentHash, readInvoiceItem, sourceOf, type FieldNames } from './invoiceItems';
import type { PreviousSend, SentLookup } from './sentLedger';

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
	/** the invoice checked and totalled once, for a generated PDF: what the PDF and the e-invoice are made from */
	checked?: CheckedInvoice;
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
	ledger: SentLookup;
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

/** What planning has found so far: the outputs and the groups, and the first invoice of each number. */
interface PlanState {
	plan: MailPlan;
	groups: Map<string, MailGroup>;
	firstByNumber: Map<string, { itemIndex: number; hash: string }>;
}

type Base = { itemIndex: number; invoiceNumber: string; customer: CustomerSummary };

export async function planMailing(items: readonly PlanItem[], settings: PlanSettings): Promise<MailPlan> {
	const state: PlanState = { plan: { groups: [], skipped: [], failed: [] }, groups: new Map(), firstByNumber: new Map() };
	for (const item of items) await planInvoice(item, settings, state);
	state.plan.groups = [...state.groups.values()];
	return state.plan;
}

/** One input item: into a mail group, or Skipped, or Failed. */
async function planInvoice({ itemIndex, json }: PlanItem, settings: PlanSettings, state: PlanState): Promise<void> {
	const { names } = settings;
	let mapped;
	try {
		mapped = readInvoiceItem(json, names, settings.seller, settings.bankAccount, settings.timeZone);
	} catch (error) {
		state.plan.failed.push(failure({ itemIndex, invoiceNumber: '', customer: {} }, error, names));
		return;
	}
	const { invoice } = mapped;
	const customer: CustomerSummary = {};
	if (invoice.buyer.customerNumber) customer.number = invoice.buyer.customerNumber;
	if (invoice.buyer.name) customer.name = invoice.buyer.name;
	if (mapped.email) customer.email = mapped.email;
	const base: Base = { itemIndex, invoiceNumber: invoice.number, customer };
	const recipients = addressCheck(base, mapped, names, state.plan);
	if (!recipients) return;

	// a ready-made PDF is part of the content: read it (one at a time) for the hash
	const pdf = settings.pdfSource === 'binary' ? await settings.readPdf?.(itemIndex) : undefined;
	const hash = contentHash(invoice, pdf);
	if (await alreadySent(base, hash, settings, state.plan)) return;
	const content = checkContent(base, invoice, mapped.grossTotal, pdf, settings, state.plan);
	if (!content || isDuplicate(base, hash, names, state)) return;

	const planned: PlannedInvoice = {
		itemIndex,
		invoice,
		...content,
		currency: invoice.currency ?? 'EUR',
		hash,
		baseName: fileBaseName(invoice.number),
	};
	const addresses = recipients.map((a) => a.toLowerCase()).sort();
	const key = settings.groupPerCustomer ? `${invoice.buyer.customerNumber ?? ''}\u0000${addresses.join(',')}` : `#${itemIndex}`;
	const group = state.groups.get(key);
	if (group) group.invoices.push(planned);
	else state.groups.set(key, { recipients, customer, invoices: [planned] });
}

/** Invoice number, by post, e-mail present and valid: the recipients, or undefined when the invoice goes elsewhere. */
function addressCheck(base: Base, mapped: { byPost?: boolean; email?: string }, names: FieldNames, plan: MailPlan): string[] | undefined {
	const skip = (reason: SkipReason, message: string) => void plan.skipped.push({ ...base, reason, message });
	const number = base.invoiceNumber;
	if (!number) {
		plan.failed.push({ ...base, code: 'MISSING_FIELD', field: names.invoiceNumber, element: 'number', message: `the invoice number is missing (${names.invoiceNumber})` });
		return undefined;
	}
	if (mapped.byPost) return skip('invoice by post', `${number}: the customer gets invoices by post (${names.invoiceByPost})`);
	const recipients = parseRecipients(mapped.email);
	if (!recipients.addresses.length && !recipients.invalid.length) {
		return skip('no e-mail', `${number}: the customer has no e-mail address (${names.customerEmail})`);
	}
	if (recipients.invalid.length) {
		return skip('invalid e-mail', `${number}: "${recipients.invalid.join('", "')}" is not a valid e-mail address (${names.customerEmail})`);
	}
	return recipients.addresses;
}

/** "Already sent" (the record) comes before the data check: an invoice mailed before is reported as such. */
async function alreadySent(base: Base, hash: string, settings: PlanSettings, plan: MailPlan): Promise<boolean> {
	if (settings.sendAgain) return false;
	const previous = await settings.ledger.previousSend(base.invoiceNumber, hash);
	if (!previous) return false;
	plan.skipped.push(alreadySentSkip(base, previous));
	return true;
}

/** The Skipped entry of an invoice mailed before (or being mailed by another run at this moment). */
export function alreadySentSkip(base: { itemIndex: number; invoiceNumber: string; customer: CustomerSummary }, previous: PreviousSend): SkippedInvoice {
	const when = previous.sentAt ? ` on ${previous.sentAt.toISOString()}` : ' before';
	const message =
		(previous.uncertain
			? `${base.invoiceNumber} was handed to the mail server${when}, whose confirmation was lost (delivery uncertain) — or another run of this workflow is mailing it right now: check with the customer, and set "Send Again" to mail it once more`
			: `${base.invoiceNumber} was mailed${when}`) +
		(previous.contentChanged ? '; its content has changed since: set "Send Again" to mail the new version' : '');
	return {
		...base,
		reason: 'already sent',
		message,
		...(previous.sentAt ? { sentAt: previous.sentAt.toISOString() } : {}),
		contentChanged: previous.contentChanged,
		...(previous.uncertain ? { deliveryUncertain: true } : {}),
	};
}

/**
 * The invoice data complete (§14 UStG, checked and totalled once), or a readable PDF; and the item's gross
 * total, when it states one, the one the lines add up to. Undefined when the invoice goes to Failed.
 */
function checkContent(
	base: Base,
	invoice: Invoice,
	grossTotal: string | undefined,
	pdf: Buffer | undefined,
	settings: PlanSettings,
	plan: MailPlan,
): Pick<PlannedInvoice, 'checked' | 'totals' | 'grossTotal'> | undefined {
	const fail = (code: string, message: string) => void plan.failed.push({ ...base, code, field: 'binary', message: `${base.invoiceNumber}: ${message}` });
	try {
		let checked: CheckedInvoice | undefined;
		let totals: InvoiceTotals | undefined;
		if (settings.pdfSource === 'generate') {
			// the invoice as the e-invoice states it, too: the PDF does not print the buyer's e-mail address
			checked = checkInvoice(eInvoiceData(invoice), settings.language);
			// a character the PDF's font lacks, or an address too long for the window: Failed now, never a "?"
			checkPrintable(checked);
			totals = checked.totals;
		} else {
			if (!pdf) return fail('NO_PDF', 'the item carries no PDF in the binary property');
			if (!isPdf(pdf)) return fail('NOT_A_PDF', 'the binary property holds no PDF');
			totals = binaryTotals(invoice, grossTotal, settings.language);
		}
		if (totals && grossTotal !== undefined) checkStatedTotal(grossTotal, totals);
		return { ...(checked ? { checked } : {}), ...(totals ? { totals, grossTotal: totals.grossTotal } : grossTotal ? { grossTotal } : {}) };
	} catch (error) {
		plan.failed.push(failure(base, error, settings.names));
		return undefined;
	}
}

/** A mapping that picked the wrong field (net for gross, another invoice's total) shows up here. */
function checkStatedTotal(grossTotal: string, totals: InvoiceTotals): void {
	let stated: Big | undefined;
	try {
		stated = new Big(grossTotal);
	} catch {
		stated = undefined;
	}
	if (!stated || !stated.eq(totals.grossTotal)) {
		throw new DocumentError('INVALID_VALUE', `the item's gross total "${grossTotal}" differs from the ${totals.grossTotal} its lines add up to`, undefined, {
			element: 'grossTotal',
		});
	}
}

/** A second invoice of the same number in this input: the same content is mailed once, another one fails. */
function isDuplicate(base: Base, hash: string, names: FieldNames, state: PlanState): boolean {
	const first = state.firstByNumber.get(base.invoiceNumber);
	if (!first) {
		state.firstByNumber.set(base.invoiceNumber, { itemIndex: base.itemIndex, hash });
		return false;
	}
	if (first.hash === hash) {
		state.plan.skipped.push({
			...base,
			reason: 'already sent',
			message: `${base.invoiceNumber} appears again in this input (item ${first.itemIndex + 1}); it is mailed once`,
		});
	} else {
		state.plan.failed.push({
			...base,
			code: 'DUPLICATE_INVOICE_NUMBER',
			field: names.invoiceNumber,
			element: 'number',
			message: `${base.invoiceNumber}: another invoice with this number (item ${first.itemIndex + 1}) is in this input; an invoice number must be unique (§14 Abs. 4 Nr. 4 UStG)`,
		});
	}
	return true;
}
