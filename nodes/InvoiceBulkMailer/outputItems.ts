import type { IDataObject, INodeExecutionData, IPairedItemData } from 'n8n-workflow';

import { DocumentError } from '../shared/documents/DocumentError';
import { EInvoiceError } from '../shared/documents/invoices/cii';
import type { Endpoint } from '../shared/transports/transportError';
import type { DeliveryOutcome } from '../shared/transports/smtp';
import { E_INVOICE_LABELS, PdfNotConvertibleError, type EInvoiceFormat } from './attachments';
import { sourceOf, type FieldNames } from './invoiceItems';
import type { CustomerSummary, FailedInvoice, MailGroup, PlannedInvoice, SkippedInvoice } from './mailPlan';

/**
 * The items of Send Invoices' three outputs (Sent, Skipped, Failed), one builder per kind. Each item keeps the
 * position of the first input item it stands for, so that every output comes out in input order.
 */

export interface OrderedItem {
	/** the first input item it stands for, to hand items out in input order */
	order: number;
	item: INodeExecutionData;
}

/** The three outputs as the node returns them, each in input order. */
export interface Outputs {
	sent: OrderedItem[];
	skipped: OrderedItem[];
	failed: OrderedItem[];
}

export function inInputOrder({ sent, skipped, failed }: Outputs): INodeExecutionData[][] {
	const ordered = (list: OrderedItem[]) => list.sort((a, b) => a.order - b.order).map((entry) => entry.item);
	return [ordered(sent), ordered(skipped), ordered(failed)];
}

export function paired(invoices: Array<{ itemIndex: number }>): IPairedItemData[] {
	return invoices.map((invoice) => ({ item: invoice.itemIndex }));
}

function customerJson(customer: CustomerSummary): IDataObject {
	return { ...customer };
}

/** An invoice the plan refused (data incomplete, no PDF, duplicate number). */
export function failedInvoiceItem(failure: FailedInvoice): OrderedItem {
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

/** An invoice the plan skipped (by post, no or invalid e-mail, already sent). */
export function skippedItem(skip: SkippedInvoice): OrderedItem {
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
}

/** What every item about one mail says: who it went to, and in which e-invoice format. */
export function mailJson(group: MailGroup, eInvoice: EInvoiceFormat): IDataObject {
	return {
		customer: customerJson(group.customer),
		recipient: group.recipients.join(', '),
		recipients: [...group.recipients],
		...(eInvoice === 'none' ? {} : { eInvoice }),
	};
}

/**
 * The Failed item of an invoice whose attachments could not be made. The message names the input field the
 * user maps (customer.buyerReference), not the invoice model's element (buyer.buyerReference), and keeps the
 * e-invoice rule the invoice breaks: "RE-7 (XRechnung): customer.buyerReference: … is missing (BR-DE-15)".
 */
export function attachmentFailureItem(planned: PlannedInvoice, group: MailGroup, error: unknown, eInvoice: EInvoiceFormat, names: FieldNames): OrderedItem {
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
}

/** A mail the server took (or, in a dry run, would have been sent). */
export function sentMailItem(order: number, included: PlannedInvoice[], json: IDataObject, binary?: INodeExecutionData['binary']): OrderedItem {
	return { order, item: { json, ...(binary ? { binary } : {}), pairedItem: paired(included) } };
}

/** The invoices of a mail as the Sent item lists them. */
export function invoicesJson(included: PlannedInvoice[]): IDataObject[] {
	return included.map((p) => ({ number: p.invoice.number, grossTotal: p.grossTotal ?? '', currency: p.currency }));
}

/** A mail that went out to nobody: refused, deferred beyond the retries, or of uncertain fate (DELIVERY_UNCERTAIN). */
export function failedMailItem(
	order: number,
	included: PlannedInvoice[],
	base: IDataObject,
	outcome: Extract<DeliveryOutcome, { delivered: false }>,
	endpoint: Endpoint,
): OrderedItem {
	const { failure } = outcome;
	const rejected = outcome.rejected.map((r) => ({ recipient: r.recipient, code: r.code, response: r.response ?? r.message }));
	const json: IDataObject = {
		...base,
		code: failure.code,
		...(outcome.uncertain ? { messageId: outcome.messageId, server: `${endpoint.host}:${endpoint.port}` } : {}),
		...(failure.response ? { response: failure.response } : {}),
		temporary: failure.temporary,
		...(failure.command ? { command: failure.command } : {}),
		message: failure.message,
		attempts: outcome.attempts,
	};
	if (rejected.length) json.rejected = rejected;
	return { order, item: { json, pairedItem: paired(included) } };
}

/** Every invoice of a mail that could not be tried at all (the server unreachable, the template failed). */
export function failedGroupItem(order: number, included: PlannedInvoice[], json: IDataObject): OrderedItem {
	return { order, item: { json, pairedItem: paired(included) } };
}
