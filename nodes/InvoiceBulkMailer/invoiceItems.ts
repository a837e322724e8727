import { createHash } from 'node:crypto';

import { DocumentError } from '../shared/documents/DocumentError';
import type { AllowanceCharge, BankAccount, DocumentAllowanceCharge, Invoice, InvoiceLine, Seller } from '../shared/documents/invoices';
import { canonicalJson as canonical } from '../shared/documents/canonicalJson';
import { calendarDateIn } from '../shared/documents/values';

/**
 * Turns a workflow item (one invoice, from any ERP, database or spreadsheet) into the `Invoice` the PDF and
 * the e-invoice are made from. Which field of the item holds what is a node parameter; the defaults below
 * are what the README documents. Values are read leniently where the meaning is unambiguous — a number
 * becomes a decimal string, "14.03.2025" and "2025-03-13T23:00:00Z" become calendar dates, "ja"/"x"/1 mean
 * yes — and refused with the field's name where it is not.
 */

export interface FieldDefinition {
	key: string;
	displayName: string;
	default: string;
	description: string;
}

/** Every mapped field: its parameter name, label and default path in the item. Line fields are relative to a line. */
export const FIELDS = [
	{ key: 'invoiceNumber', displayName: 'Invoice Number', default: 'invoiceNumber', description: 'Required. Names the PDF (RE-2025-0042.pdf) and keys the "already sent" check.' },
	{ key: 'invoiceType', displayName: 'Document Type', default: 'type', description: '"invoice" (default when absent) or "creditNote" (also "Gutschrift")' },
	{ key: 'invoiceDate', displayName: 'Invoice Date', default: 'invoiceDate', description: 'Date like 2025-03-14 or 14.03.2025' },
	{ key: 'deliveryDate', displayName: 'Delivery Date', default: 'deliveryDate', description: 'Date of delivery or service (§14 UStG); give the invoice date when they are the same' },
	{ key: 'servicePeriodStart', displayName: 'Service Period Start', default: 'servicePeriod.from', description: 'Instead of a delivery date: start of the service period' },
	{ key: 'servicePeriodEnd', displayName: 'Service Period End', default: 'servicePeriod.to', description: 'End of the service period' },
	{ key: 'dueDate', displayName: 'Due Date', default: 'dueDate', description: 'Optional' },
	{ key: 'currency', displayName: 'Currency', default: 'currency', description: 'ISO code such as EUR (the default when absent)' },
	{ key: 'paymentTerms', displayName: 'Payment Terms', default: 'paymentTerms', description: 'Text such as "Zahlbar innerhalb von 14 Tagen ohne Abzug."' },
	{ key: 'orderReference', displayName: 'Order Reference', default: 'orderReference', description: "The customer's order number (optional)" },
	{ key: 'notes', displayName: 'Notes', default: 'notes', description: 'Text (or list of texts) printed below the totals (optional)' },
	{ key: 'grossTotal', displayName: 'Gross Total', default: 'grossTotal', description: 'Optional. Checked against the lines; used as the amount when a ready PDF comes without lines.' },
	{ key: 'customerNumber', displayName: 'Customer Number', default: 'customer.number', description: 'Groups invoices per customer (with the e-mail address)' },
	{ key: 'customerName', displayName: 'Customer Name', default: 'customer.name', description: 'Required for a generated PDF' },
	{ key: 'customerName2', displayName: 'Customer Name 2', default: 'customer.name2', description: 'Second address line, e.g. "z. Hd. Frau Weber" (optional)' },
	{ key: 'customerEmail', displayName: 'Customer E-Mail', default: 'customer.email', description: 'Recipient; several addresses separated by comma or semicolon' },
	{ key: 'invoiceByPost', displayName: 'Invoice by Post', default: 'customer.invoiceByPost', description: 'Yes (true, 1, "ja", "x") skips the invoice with reason "invoice by post"' },
	{ key: 'customerStreet', displayName: 'Customer Street', default: 'customer.street', description: 'Street and house number' },
	{ key: 'customerZip', displayName: 'Customer Postcode', default: 'customer.zip', description: 'Postcode' },
	{ key: 'customerCity', displayName: 'Customer City', default: 'customer.city', description: 'City' },
	{ key: 'customerCountry', displayName: 'Customer Country', default: 'customer.country', description: 'ISO code such as DE (the default when absent)' },
	{ key: 'customerVatId', displayName: 'Customer VAT ID', default: 'customer.vatId', description: 'Required for reverse charge and intra-EU supplies' },
	{
		key: 'buyerReference',
		displayName: 'Buyer Reference',
		default: 'customer.buyerReference',
		description: "The customer's reference; for public authorities the Leitweg-ID, which XRechnung requires (BR-DE-15)",
	},
	{ key: 'lines', displayName: 'Lines', default: 'lines', description: 'List of invoice lines (or a JSON text of one)' },
	{ key: 'lineDescription', displayName: 'Line: Description', default: 'description', description: 'Within each line' },
	{ key: 'lineQuantity', displayName: 'Line: Quantity', default: 'quantity', description: 'Within each line; number or decimal text "2.5"' },
	{ key: 'lineUnit', displayName: 'Line: Unit', default: 'unit', description: 'Within each line: "Stk", "Std", "kg", or a UN/ECE code such as C62' },
	{ key: 'lineNetUnitPrice', displayName: 'Line: Net Unit Price', default: 'netUnitPrice', description: 'Within each line; number or decimal text "12.50"' },
	{ key: 'lineVatRate', displayName: 'Line: VAT Rate', default: 'vatRate', description: 'Within each line, in percent: 19, 7, 0' },
	{
		key: 'lineVatCategory',
		displayName: 'Line: VAT Category',
		default: 'vatCategory',
		description: 'Within each line (optional): S standard, Z zero rated, E exempt, AE reverse charge, K intra-EU supply, G export, O not subject to VAT; S or Z from the rate when absent',
	},
	{
		key: 'lineVatExemptionReason',
		displayName: 'Line: VAT Exemption Reason',
		default: 'vatExemptionReason',
		description: 'Within each line (optional): why an E, AE, K or G line carries no VAT; the standard German wording when absent',
	},
	{ key: 'lineArticleNumber', displayName: 'Line: Article Number', default: 'articleNumber', description: 'Within each line (optional)' },
	{
		key: 'linePriceBaseQuantity',
		displayName: 'Line: Price Base Quantity',
		default: 'priceBaseQuantity',
		description: 'Within each line (optional): how many units the net price is for, e.g. 100 for a price per 100 pieces (EN 16931 BT-149)',
	},
	{ key: 'linePeriodStart', displayName: 'Line: Period Start', default: 'period.from', description: 'Within each line (optional): start of the period this line is for (BG-26)' },
	{ key: 'linePeriodEnd', displayName: 'Line: Period End', default: 'period.to', description: 'Within each line (optional): end of the period this line is for' },
	{
		key: 'lineAllowancesCharges',
		displayName: 'Line: Allowances and Charges',
		default: 'allowancesCharges',
		description:
			'Within each line (optional): a list of discounts and surcharges of the line (BG-27/28), each with kind ("allowance" or "charge"), amount or percent, reason or reasonCode',
	},
	{
		key: 'allowancesCharges',
		displayName: 'Allowances and Charges',
		default: 'allowancesCharges',
		description:
			'Optional list of discounts and surcharges on the whole invoice (BG-20/21: loyalty discount, freight), each with kind, amount or percent (baseAmount), reason or reasonCode, vatRate (vatCategory)',
	},
] as const satisfies readonly FieldDefinition[];

export type FieldKey = (typeof FIELDS)[number]['key'];
export type FieldNames = Record<FieldKey, string>;

export function fieldNames(overrides: Partial<Record<string, unknown>> = {}): FieldNames {
	const names = {} as FieldNames;
	for (const field of FIELDS) {
		const given = overrides[field.key];
		names[field.key] = typeof given === 'string' && given.trim() !== '' ? given.trim() : field.default;
	}
	return names;
}

/**
 * The value at `path`: a key of that exact name first (spreadsheet columns such as "customer.email" or
 * "Kunde E-Mail"), else the dotted path through nested objects and lists ("customer.email", "lines.0.unit").
 */
export function valueAt(json: unknown, path: string): unknown {
	if (json === null || typeof json !== 'object') return undefined;
	const record = json as Record<string, unknown>;
	if (Object.prototype.hasOwnProperty.call(record, path)) return record[path];
	let current: unknown = json;
	for (const key of path.split('.')) {
		if (current === null || typeof current !== 'object') return undefined;
		if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
		current = (current as Record<string, unknown>)[key];
	}
	return current;
}

function invalid(field: string, reason: string): DocumentError {
	return new DocumentError('INVALID_VALUE', `${field}: ${reason}`, undefined, { element: field });
}

/** A JS number as a decimal string without exponent ("0.0000001", not "1e-7"). */
export function decimalText(value: number): string {
	const text = String(value);
	if (!/e/i.test(text)) return text;
	return value.toFixed(20).replace(/\.?0+$/, '');
}

/** Text of a scalar field; undefined when empty. Numbers become decimal strings. */
function text(value: unknown, field: string): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw invalid(field, `"${value}" is not a number`);
		return decimalText(value);
	}
	if (typeof value === 'boolean') return String(value);
	if (typeof value !== 'string') throw invalid(field, `expected a text or number, found ${Array.isArray(value) ? 'a list' : 'an object'}`);
	const trimmed = value.trim();
	return trimmed === '' ? undefined : trimmed;
}


/**
 * A date as the invoice model wants it (2025-03-14). Databases hand dates to n8n as timestamps, often as
 * midnight of the local day in UTC ("2025-03-13T23:00:00.000Z" for the 14th in Berlin), so a timestamp with a
 * zone is read in the workflow's time zone; "14.03.2025" is read as German dd.mm.yyyy.
 */
export function calendarDate(value: unknown, field: string, timeZone: string): string | undefined {
	const raw = text(value, field);
	if (raw === undefined) return undefined;
	if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) return raw;
	const german = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(raw);
	if (german) return `${german[3]}-${german[2].padStart(2, '0')}-${german[1].padStart(2, '0')}`;
	const timestamp = /^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(raw);
	if (timestamp) {
		if (!timestamp[4]) return timestamp[1];
		const instant = new Date(raw.replace(' ', 'T'));
		if (!Number.isNaN(instant.getTime())) return calendarDateIn(instant, timeZone);
	}
	// left as it is: the invoice check names the field and the expected form
	return raw;
}

const YES = new Set(['true', '1', 'yes', 'y', 'ja', 'j', 'x', 'wahr', 'on']);

export function yes(value: unknown): boolean {
	if (value === true) return true;
	if (typeof value === 'number') return value !== 0;
	if (typeof value === 'string') return YES.has(value.trim().toLowerCase());
	return false;
}

function documentType(value: string | undefined): Invoice['type'] {
	if (value === undefined) return 'invoice';
	const key = value.toLowerCase().replace(/[\s_-]/g, '');
	if (['creditnote', 'gutschrift', 'rechnungskorrektur', '381'].includes(key)) return 'creditNote';
	if (['invoice', 'rechnung', '380'].includes(key)) return 'invoice';
	// an unknown type is refused by the invoice check, naming the field
	return value as Invoice['type'];
}

/** What a workflow writes for the kind of an allowance or charge, in English or German. */
const KINDS: Record<string, AllowanceCharge['kind']> = {
	allowance: 'allowance',
	discount: 'allowance',
	nachlass: 'allowance',
	rabatt: 'allowance',
	abschlag: 'allowance',
	charge: 'charge',
	surcharge: 'charge',
	zuschlag: 'charge',
};

/** A list given as a list or as a JSON text of one (a spreadsheet cell, a database JSON column), or undefined. */
function listOf(value: unknown, field: string, what: string): unknown[] | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	let list: unknown = value;
	if (typeof list === 'string') {
		try {
			list = JSON.parse(list) as unknown;
		} catch {
			throw invalid(field, `expected a list of ${what} (or a JSON text of one)`);
		}
	}
	if (!Array.isArray(list)) throw invalid(field, `expected a list of ${what}`);
	return list;
}

/**
 * The allowances and charges of a line or of the invoice (`withVat`: the document level ones, which carry a VAT
 * rate and category). An unknown kind is kept as given: the invoice check refuses it, naming the field.
 */
function allowancesChargesOf(value: unknown, field: string, withVat: true): DocumentAllowanceCharge[] | undefined;
function allowancesChargesOf(value: unknown, field: string, withVat: false): AllowanceCharge[] | undefined;
function allowancesChargesOf(value: unknown, field: string, withVat: boolean): AllowanceCharge[] | undefined {
	const list = listOf(value, field, 'allowances and charges');
	if (!list || list.length === 0) return undefined;
	return list.map((entry: unknown, i) => {
		const where = `${field}[${i + 1}]`;
		if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw invalid(where, 'expected an object per allowance or charge');
		const record = entry as Record<string, unknown>;
		const kindText = text(record.kind, `${where}.kind`) ?? '';
		const out: AllowanceCharge = { kind: KINDS[kindText.toLowerCase()] ?? (kindText as AllowanceCharge['kind']) };
		for (const key of ['amount', 'percent', 'baseAmount', 'reason', 'reasonCode'] as const) {
			const value = text(record[key], `${where}.${key}`);
			if (value !== undefined) out[key] = key === 'reasonCode' ? value.toUpperCase() : value;
		}
		if (!withVat) return out;
		const documentLevel: DocumentAllowanceCharge = { ...out, vatRate: text(record.vatRate, `${where}.vatRate`) ?? '' };
		const category = text(record.vatCategory, `${where}.vatCategory`)?.toUpperCase();
		if (category) documentLevel.vatCategory = category as DocumentAllowanceCharge['vatCategory'];
		return documentLevel;
	});
}

function linesOf(value: unknown, names: FieldNames): InvoiceLine[] {
	const list = listOf(value, names.lines, 'lines') ?? [];
	return list.map((entry: unknown, i) => {
		const where = `${names.lines}[${i + 1}]`;
		if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw invalid(where, 'expected an object per line');
		const field = (key: FieldKey) => text(valueAt(entry, names[key]), `${where}.${names[key]}`);
		const line: InvoiceLine = {
			description: field('lineDescription') ?? '',
			quantity: field('lineQuantity') ?? '',
			unit: field('lineUnit') ?? '',
			netUnitPrice: field('lineNetUnitPrice') ?? '',
			vatRate: field('lineVatRate') ?? '',
		};
		const article = field('lineArticleNumber');
		if (article) line.articleNumber = article;
		// for exempt, reverse-charge, intra-EU and export lines; "ae" is as clear as "AE", anything else is refused
		// by the invoice check, naming the field
		const category = field('lineVatCategory')?.toUpperCase();
		if (category) line.vatCategory = category as InvoiceLine['vatCategory'];
		const reason = field('lineVatExemptionReason');
		if (reason) line.vatExemptionReason = reason;
		const base = field('linePriceBaseQuantity');
		if (base) line.priceBaseQuantity = base;
		const from = field('linePeriodStart');
		const to = field('linePeriodEnd');
		if (from || to) line.period = { from: from ?? '', to: to ?? '' };
		const allowancesCharges = allowancesChargesOf(valueAt(entry, names.lineAllowancesCharges), `${where}.${names.lineAllowancesCharges}`, false);
		if (allowancesCharges) line.allowancesCharges = allowancesCharges;
		return line;
	});
}

export interface InvoiceItem {
	invoice: Invoice;
	/** the recipient field as given, for the Skipped item */
	email?: string;
	byPost: boolean;
	/** the gross total the item states, if any */
	grossTotal?: string;
}

/** The item's invoice number as `readInvoiceItem` reads it; '' when it has none or an unreadable one. */
export function invoiceNumberOf(json: unknown, names: FieldNames): string {
	try {
		return text(valueAt(json, names.invoiceNumber), names.invoiceNumber) ?? '';
	} catch {
		return '';
	}
}

/** Maps one item; throws a DocumentError naming the item's field when a value has the wrong shape. */
export function readInvoiceItem(
	json: unknown,
	names: FieldNames,
	seller: Seller,
	bankAccount: BankAccount | undefined,
	timeZone: string,
): InvoiceItem {
	const field = (key: FieldKey) => text(valueAt(json, names[key]), names[key]);
	const date = (key: FieldKey) => calendarDate(valueAt(json, names[key]), names[key], timeZone);
	const invoice: Invoice = {
		number: field('invoiceNumber') ?? '',
		type: documentType(field('invoiceType')),
		issueDate: date('invoiceDate') ?? '',
		seller,
		buyer: {
			name: field('customerName') ?? '',
			street: field('customerStreet') ?? '',
			zip: field('customerZip') ?? '',
			city: field('customerCity') ?? '',
		},
		lines: linesOf(valueAt(json, names.lines), names),
	};
	const optional = <K extends keyof Invoice>(key: K, value: Invoice[K] | undefined) => {
		if (value !== undefined) invoice[key] = value;
	};
	optional('deliveryDate', date('deliveryDate'));
	const periodStart = date('servicePeriodStart');
	const periodEnd = date('servicePeriodEnd');
	if (periodStart || periodEnd) invoice.servicePeriod = { from: periodStart ?? '', to: periodEnd ?? '' };
	optional('dueDate', date('dueDate'));
	optional('currency', field('currency')?.toUpperCase());
	optional('paymentTerms', field('paymentTerms'));
	optional('orderReference', field('orderReference'));
	optional('bankAccount', bankAccount);
	optional('allowancesCharges', allowancesChargesOf(valueAt(json, names.allowancesCharges), names.allowancesCharges, true));
	const notes = valueAt(json, names.notes);
	if (Array.isArray(notes)) {
		const texts = notes.map((note, i) => text(note, `${names.notes}[${i + 1}]`)).filter((n): n is string => n !== undefined);
		if (texts.length) invoice.notes = texts;
	} else {
		const note = text(notes, names.notes);
		if (note) invoice.notes = [note];
	}
	const buyer = invoice.buyer;
	const buyerField = <K extends keyof Invoice['buyer']>(key: K, value: Invoice['buyer'][K] | undefined) => {
		if (value !== undefined) buyer[key] = value;
	};
	buyerField('name2', field('customerName2'));
	buyerField('country', field('customerCountry')?.toUpperCase());
	buyerField('vatId', field('customerVatId'));
	buyerField('customerNumber', field('customerNumber'));
	buyerField('buyerReference', field('buyerReference'));

	const rawEmail = valueAt(json, names.customerEmail);
	const email = Array.isArray(rawEmail) ? rawEmail.map(String).join(', ') : text(rawEmail, names.customerEmail);
	if (email) buyer.email = email;
	return {
		invoice,
		email,
		byPost: yes(valueAt(json, names.invoiceByPost)),
		grossTotal: field('grossTotal'),
	};
}

/** Where a model element (from a DocumentError) comes from: the item's field, or the node's seller parameters. */
export function sourceOf(element: string | undefined, names: FieldNames): string | undefined {
	if (!element) return undefined;
	const allowance = /^(?:lines\[(\d+)\]\.)?allowancesCharges(\[\d+\](?:\.\w+)?)?$/.exec(element);
	if (allowance) {
		const rest = allowance[2] ?? '';
		return allowance[1] ? `${names.lines}[${allowance[1]}].${names.lineAllowancesCharges}${rest}` : `${names.allowancesCharges}${rest}`;
	}
	const line = /^lines\[(\d+)\](?:\.(\w+(?:\.(?:from|to))?))?$/.exec(element);
	if (line) {
		const lineKeys: Record<string, FieldKey> = {
			description: 'lineDescription',
			quantity: 'lineQuantity',
			unit: 'lineUnit',
			netUnitPrice: 'lineNetUnitPrice',
			vatRate: 'lineVatRate',
			articleNumber: 'lineArticleNumber',
			vatCategory: 'lineVatCategory',
			vatExemptionReason: 'lineVatExemptionReason',
			priceBaseQuantity: 'linePriceBaseQuantity',
			period: 'linePeriodStart',
			'period.from': 'linePeriodStart',
			'period.to': 'linePeriodEnd',
		};
		const inner = line[2] ? (lineKeys[line[2]] ? names[lineKeys[line[2]]] : line[2]) : undefined;
		return `${names.lines}[${line[1]}]${inner ? `.${inner}` : ''}`;
	}
	if (element.startsWith('seller.') || element === 'seller') return `Seller parameter "${element.slice(7) || 'seller'}"`;
	if (element.startsWith('bankAccount.')) return `Seller parameter "${element.slice(12)}"`;
	const direct: Record<string, FieldKey> = {
		number: 'invoiceNumber',
		type: 'invoiceType',
		issueDate: 'invoiceDate',
		deliveryDate: 'deliveryDate',
		'servicePeriod.from': 'servicePeriodStart',
		'servicePeriod.to': 'servicePeriodEnd',
		servicePeriod: 'servicePeriodStart',
		dueDate: 'dueDate',
		currency: 'currency',
		paymentTerms: 'paymentTerms',
		orderReference: 'orderReference',
		notes: 'notes',
		lines: 'lines',
		grossTotal: 'grossTotal',
		'buyer.name': 'customerName',
		'buyer.name2': 'customerName2',
		'buyer.street': 'customerStreet',
		'buyer.zip': 'customerZip',
		'buyer.city': 'customerCity',
		'buyer.country': 'customerCountry',
		'buyer.vatId': 'customerVatId',
		'buyer.customerNumber': 'customerNumber',
		'buyer.buyerReference': 'buyerReference',
		'buyer.email': 'customerEmail',
	};
	const key = direct[element];
	return key ? names[key] : element;
}

/**
 * The content hash of an invoice for the "already sent" record: the invoice data as mapped (seller, customer,
 * lines, dates …) and, for a ready-made PDF, its bytes. 16 hex digits (64 bits) are plenty to tell a change.
 */
export function contentHash(invoice: Invoice, pdf?: Uint8Array): string {
	const hash = createHash('sha256').update(canonical(invoice));
	if (pdf) hash.update(pdf);
	return hash.digest('hex').slice(0, 16);
}
