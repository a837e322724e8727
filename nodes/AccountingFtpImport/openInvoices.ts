import type { IDataObject } from 'n8n-workflow';

import type { OpenInvoice } from '../shared/documents/payments';

/**
 * Open invoices from the node's input items (e.g. an ERP's "open items" query before this node). An item
 * is an open invoice when it has an invoice number; other items (the Schedule Trigger's own item) are
 * ignored. Field names are the user's, with dots for nested fields (`invoice.number`).
 */

export interface InvoiceFields {
	invoiceNumber: string;
	openAmount: string;
	currency: string;
	customerName: string;
	customerIban: string;
	creditorReference: string;
}

export const DEFAULT_INVOICE_FIELDS: InvoiceFields = {
	invoiceNumber: 'invoiceNumber',
	openAmount: 'openAmount',
	currency: 'currency',
	customerName: 'customerName',
	customerIban: 'customerIban',
	creditorReference: 'creditorReference',
};

export class InvoiceInputError extends Error {
	constructor(
		message: string,
		readonly itemIndex: number,
	) {
		super(message);
		this.name = 'InvoiceInputError';
	}
}

export interface OpenInvoicesFromItems {
	invoices: OpenInvoice[];
	/** the input item each invoice came from, by the invoice's index */
	itemIndex: number[];
}

function valueAt(json: IDataObject, field: string): unknown {
	if (!field) return undefined;
	if (field in json) return json[field];
	let current: unknown = json;
	for (const part of field.split('.')) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as IDataObject)[part];
	}
	return current;
}

const text = (v: unknown): string | undefined => {
	if (v === undefined || v === null) return undefined;
	const s = String(v).trim();
	return s === '' ? undefined : s;
};

/**
 * An amount as ERPs deliver it, as a plain decimal string: a JSON number (float noise beyond 10 places
 * cut, so 0.1 + 0.2 computed upstream is still 0.3), "1234.56", "1234,56", "1.234,56", "1,234.56",
 * with or without a currency sign or code. Returns undefined for anything else.
 */
export function decimalAmount(v: unknown): string | undefined {
	if (typeof v === 'number') {
		if (!Number.isFinite(v)) return undefined;
		return v.toFixed(10).replace(/\.?0+$/, '');
	}
	if (typeof v !== 'string') return undefined;
	let s = v.replace(/\s+/g, '').replace(/^(?:[A-Z]{3}|€|\$|£)|(?:[A-Z]{3}|€|\$|£)$/gi, '');
	const negative = s.startsWith('-');
	if (negative) s = s.slice(1);
	const lastComma = s.lastIndexOf(',');
	const lastDot = s.lastIndexOf('.');
	if (lastComma >= 0 && lastDot >= 0) {
		// the later of the two is the decimal separator, the other groups thousands
		s = lastComma > lastDot ? s.replace(/\./g, '').replace(',', '.') : s.replace(/,/g, '');
	} else if (lastComma >= 0) {
		if (s.indexOf(',') !== lastComma) return undefined;
		s = s.replace(',', '.');
	}
	if (!/^\d+(?:\.\d+)?$/.test(s)) return undefined;
	return negative ? `-${s}` : s;
}

export function openInvoicesFromItems(items: ReadonlyArray<{ json: IDataObject }>, fields: InvoiceFields): OpenInvoicesFromItems {
	const invoices: OpenInvoice[] = [];
	const itemIndex: number[] = [];
	items.forEach((item, index) => {
		const invoiceNumber = text(valueAt(item.json, fields.invoiceNumber));
		if (invoiceNumber === undefined) return;
		const raw = valueAt(item.json, fields.openAmount);
		const openAmount = decimalAmount(raw);
		if (openAmount === undefined) {
			throw new InvoiceInputError(
				`Invoice ${invoiceNumber} has no open amount the node can read in field "${fields.openAmount}" (found ${JSON.stringify(raw) ?? 'nothing'})`,
				index,
			);
		}
		invoices.push({
			invoiceNumber,
			openAmount,
			currency: text(valueAt(item.json, fields.currency))?.toUpperCase(),
			customerName: text(valueAt(item.json, fields.customerName)),
			customerIban: text(valueAt(item.json, fields.customerIban)),
			creditorReference: text(valueAt(item.json, fields.creditorReference)),
		});
		itemIndex.push(index);
	});
	return { invoices, itemIndex };
}
