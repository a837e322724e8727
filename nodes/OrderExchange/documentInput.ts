import Big from 'big.js';
import type { IDataObject } from 'n8n-workflow';

import type { Address, BusinessDocument, BusinessDocumentType, OrderLine } from '../shared/documents/orders';

/**
 * A workflow item as a BusinessDocument: the item's JSON has the document's own field names (see the README
 * section "Send: the input item"). Workflows hand over numbers as JSON numbers and IDs as numbers too, so
 * numbers become decimal strings here (never with an exponent); anything else is left to the openTRANS
 * writer, which names the field it refuses.
 */

export class DocumentInputError extends Error {
	constructor(
		readonly field: string,
		reason: string,
	) {
		super(`${field}: ${reason}`);
		this.name = 'DocumentInputError';
	}
}

/**
 * The words a sending system may use for the document type, lower case without blanks, dashes or
 * underscores. German ones because OfficeSI-style systems export "Angebot" / "Auftrag".
 */
const TYPE_WORDS: Record<string, BusinessDocumentType> = {
	order: 'order',
	auftrag: 'order',
	bestellung: 'order',
	quote: 'quote',
	quotation: 'quote',
	offer: 'quote',
	angebot: 'quote',
	invoice: 'invoice',
	rechnung: 'invoice',
	creditnote: 'creditNote',
	gutschrift: 'creditNote',
};

export function documentTypeOf(value: unknown): BusinessDocumentType {
	const word = String(value ?? '')
		.toLowerCase()
		.replace(/[\s_-]+/g, '');
	const type = TYPE_WORDS[word];
	if (!type) {
		throw new DocumentInputError('type', `"${String(value ?? '')}" is not a document type; use order, quote, invoice or creditNote`);
	}
	return type;
}

/** A JSON number as a decimal string without exponent ("0.0000001", not "1e-7"); text stays text. */
function textOf(value: unknown, field: string): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value === 'string') return value;
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new DocumentInputError(field, `${value} is not a number that can be sent`);
		return new Big(value).toFixed();
	}
	if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
	throw new DocumentInputError(field, `expected text or a number, got ${Array.isArray(value) ? 'a list' : typeof value}`);
}

function objectOf(value: unknown, field: string): IDataObject {
	if (value && typeof value === 'object' && !Array.isArray(value)) return value as IDataObject;
	throw new DocumentInputError(field, 'expected an object');
}

function addressOf(value: unknown, field: string): Address {
	const a = objectOf(value, field);
	const address: Address = {
		name: textOf(a.name, `${field}.name`) ?? '',
		street: textOf(a.street, `${field}.street`) ?? '',
		zip: textOf(a.zip, `${field}.zip`) ?? '',
		city: textOf(a.city, `${field}.city`) ?? '',
	};
	for (const key of ['customerNumber', 'name2', 'country', 'email', 'phone'] as const) {
		const v = textOf(a[key], `${field}.${key}`);
		if (v !== undefined && v.trim() !== '') address[key] = v;
	}
	return address;
}

function lineOf(value: unknown, index: number): OrderLine {
	const field = `lines[${index}]`;
	const l = objectOf(value, field);
	const line: OrderLine = {
		// a line without a number gets its position, as most systems number lines 1, 2, 3
		lineNumber: textOf(l.lineNumber, `${field}.lineNumber`) ?? String(index + 1),
		description: textOf(l.description, `${field}.description`) ?? '',
		quantity: textOf(l.quantity, `${field}.quantity`) ?? '',
		unit: textOf(l.unit, `${field}.unit`) ?? '',
	};
	for (const key of ['articleNumber', 'netPrice', 'vatRate', 'lineAmount'] as const) {
		const v = textOf(l[key], `${field}.${key}`);
		if (v !== undefined && v.trim() !== '') line[key] = v;
	}
	return line;
}

/** The item's JSON as a document; `site` is the sending site (the node's Site ID parameter). */
export function documentFromItem(json: IDataObject, site: string): BusinessDocument {
	if (!Array.isArray(json.lines)) throw new DocumentInputError('lines', 'expected a list of lines');
	const totals = json.totals === undefined || json.totals === null ? {} : objectOf(json.totals, 'totals');
	const doc: BusinessDocument = {
		type: documentTypeOf(json.type),
		number: textOf(json.number, 'number') ?? '',
		date: textOf(json.date, 'date') ?? '',
		site,
		currency: textOf(json.currency, 'currency') ?? '',
		customer: addressOf(json.customer, 'customer'),
		lines: json.lines.map(lineOf),
		totals: {},
	};
	for (const key of ['net', 'vat', 'gross'] as const) {
		const v = textOf(totals[key], `totals.${key}`);
		if (v !== undefined && v.trim() !== '') doc.totals[key] = v;
	}
	if (json.delivery !== undefined && json.delivery !== null) doc.delivery = addressOf(json.delivery, 'delivery');
	const remarks = textOf(json.remarks, 'remarks');
	if (remarks !== undefined && remarks.trim() !== '') doc.remarks = remarks;
	return doc;
}

/** The document as item JSON (what Receive emits and Match reads back). */
export function documentJson(doc: BusinessDocument): IDataObject {
	return JSON.parse(JSON.stringify(doc)) as IDataObject;
}

/** Reads an item that Receive emitted back into a document, for Match; only the shape is checked. */
export function receivedDocumentOf(json: IDataObject): BusinessDocument {
	const type = documentTypeOf(json.type);
	const site = textOf(json.site, 'site') ?? '';
	const doc = documentFromItem({ ...json, type }, site);
	// the importer's own flags survive a round through the workflow
	(json.lines as IDataObject[]).forEach((l, i) => {
		if (typeof l?.articleLinked === 'boolean') doc.lines[i].articleLinked = l.articleLinked;
	});
	return doc;
}
