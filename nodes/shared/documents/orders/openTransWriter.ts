import { DocumentError } from '../DocumentError';
import { XmlWriter, type XmlNode } from '../xmlWriter';
import { BMECAT_COUNTRIES, BMECAT_CURRENCIES, BMECAT_ORDER_UNITS } from './bmecatCodes';
import {
	bigDecimal,
	BMECAT_NS,
	CUSTOMER_NUMBER_ID_TYPE,
	DATE_TIME,
	DECIMAL,
	DOCUMENT_LOCAL_ID_TYPE,
	MAX_LENGTH,
	OPENTRANS_NS,
	SITE_ID_TYPE,
	UDX_TOTAL_GROSS,
	UDX_TOTAL_VAT,
	VOCABULARY,
} from './openTrans';
import type { Address, BusinessDocument, OrderLine, TransferableDocumentType } from './types';

/**
 * BusinessDocument → openTRANS 2.1 ORDER (orders) or QUOTATION (quotes), UTF-8, valid against
 * `opentrans_2_1.xsd`.
 *
 * Where the sending site goes: PARTIES gets a PARTY whose PARTY_ID has type="site" and whose roles are
 * `supplier` (the site sells on behalf of the company) and `document_creator` (it wrote this document);
 * ORDER_PARTIES_REFERENCE/SUPPLIER_IDREF and DOCEXCHANGE_PARTIES_REFERENCE/DOCUMENT_ISSUER_IDREF point to it.
 * DOCUMENT_ISSUER_IDREF is openTRANS's own element for "who issued this document", so a third-party
 * reader finds the site where the standard says, and the schema checks all of it.
 *
 * The writer writes what the document says and computes nothing (no line amounts, no totals): the sending
 * system's figures, with its rounding and discounts, are the ones the receiver must see. Values the schema
 * would reject (unknown unit or currency code, over-long names, malformed decimals or dates) are refused with
 * a DocumentError that names the field, so no invalid file ever leaves the site.
 */

export interface WriteOpenTransOptions {
	/** CONTROL_INFO/GENERATOR_INFO */
	generator?: string;
	/** CONTROL_INFO/GENERATION_DATE; left out unless given, so that the same document gives the same bytes */
	generatedAt?: Date;
}

const DEFAULT_GENERATOR = 'n8n-nodes-backoffice';
const DEFAULT_UNIT = 'C62';

type Content = string | Array<XmlNode | undefined>;

function el(name: string, content?: Content, attributes?: Record<string, string>): XmlNode {
	if (typeof content === 'string') return { name, attributes, text: content };
	return { name, attributes, children: (content ?? []).filter((c): c is XmlNode => c !== undefined) };
}

/** An element only when there is a value for it. */
function optional(name: string, value: string | undefined, attributes?: Record<string, string>): XmlNode | undefined {
	return value === undefined || value === '' ? undefined : el(name, value, attributes);
}

export function writeOpenTrans(doc: BusinessDocument, options: WriteOpenTransOptions = {}): Buffer {
	const type = transferableType(doc.type);
	const v = VOCABULARY[type];
	const check = new FieldCheck();

	const number = check.required(doc.number, 'number', MAX_LENGTH.documentId);
	const date = check.required(doc.date, 'date');
	if (!DATE_TIME.test(date)) {
		check.fail('INVALID_VALUE', 'date', `"${date}" is not an ISO 8601 date such as 2025-03-14 or 2025-03-14T10:30:00`);
	}
	const site = check.required(doc.site, 'site', MAX_LENGTH.partyId);
	const currency = check.text(doc.currency, 'currency');
	if (currency && !BMECAT_CURRENCIES.has(currency)) {
		check.fail('INVALID_VALUE', 'currency', `"${currency}" is not an ISO 4217 currency code that BMEcat knows`);
	}
	// QUOTATION_INFO requires bmecat:CURRENCY; ORDER_INFO does not
	if (!currency && type === 'quote') check.fail('MISSING_FIELD', 'currency', 'a quote needs a currency');
	if (doc.lines.length === 0) check.fail('MISSING_FIELD', 'lines', 'the document has no lines; openTRANS needs at least one');

	const siteRef = { type: SITE_ID_TYPE };
	const customerId = partyId(doc.customer, 'customer');
	const deliveryId = doc.delivery ? partyId(doc.delivery, 'delivery') : undefined;

	const parties = el('PARTIES', [
		el('PARTY', [
			el('bmecat:PARTY_ID', site, siteRef),
			el('PARTY_ROLE', 'supplier'),
			el('PARTY_ROLE', 'document_creator'),
		]),
		el('PARTY', [
			el('bmecat:PARTY_ID', customerId.value, { type: customerId.type }),
			el('PARTY_ROLE', 'buyer'),
			address(doc.customer, 'customer', check),
		]),
		doc.delivery && deliveryId
			? el('PARTY', [
					el('bmecat:PARTY_ID', deliveryId.value, { type: deliveryId.type }),
					el('PARTY_ROLE', 'delivery'),
					address(doc.delivery, 'delivery', check),
				])
			: undefined,
	]);

	const udx = [
		optional(UDX_TOTAL_VAT, check.decimal(doc.totals.vat, 'totals.vat')),
		optional(UDX_TOTAL_GROSS, check.decimal(doc.totals.gross, 'totals.gross')),
	].filter((n): n is XmlNode => n !== undefined);

	const info = el(v.info, [
		el(v.id, number),
		el(v.date, date),
		parties,
		el('ORDER_PARTIES_REFERENCE', [
			el('bmecat:BUYER_IDREF', customerId.value, { type: customerId.type }),
			el('bmecat:SUPPLIER_IDREF', site, siteRef),
			deliveryId
				? el('SHIPMENT_PARTIES_REFERENCE', [el('DELIVERY_IDREF', deliveryId.value, { type: deliveryId.type })])
				: undefined,
		]),
		el('DOCEXCHANGE_PARTIES_REFERENCE', [el('DOCUMENT_ISSUER_IDREF', site, siteRef)]),
		optional('bmecat:CURRENCY', currency),
		optional('REMARKS', check.text(doc.remarks, 'remarks', MAX_LENGTH.remarks), { type: 'general' }),
		udx.length ? el('HEADER_UDX', udx) : undefined,
	]);

	const generatedAt = options.generatedAt ? options.generatedAt.toISOString() : undefined;
	const header = el(v.header, [
		el('CONTROL_INFO', [
			el('GENERATOR_INFO', check.required(options.generator ?? DEFAULT_GENERATOR, 'generator', 250)),
			optional('GENERATION_DATE', generatedAt),
		]),
		info,
	]);

	const items = el(
		v.itemList,
		doc.lines.map((line, i) => item(v.item, line, `lines[${i}]`, check)),
	);

	const summary = el(v.summary, [
		el('TOTAL_ITEM_NUM', String(doc.lines.length)),
		optional('TOTAL_AMOUNT', check.decimal(doc.totals.net, 'totals.net')),
	]);

	const rootAttributes: Record<string, string> = { xmlns: OPENTRANS_NS, 'xmlns:bmecat': BMECAT_NS, version: '2.1' };
	if (type === 'order') rootAttributes.type = 'standard';
	const root = el(v.root, [header, items, summary], rootAttributes);

	return new XmlWriter().node(root).toBuffer();
}

function transferableType(type: BusinessDocument['type']): TransferableDocumentType {
	if (type === 'order' || type === 'quote') return type;
	if (type === 'invoice' || type === 'creditNote') {
		throw new DocumentError(
			'INVALID_VALUE',
			`${type === 'invoice' ? 'invoices' : 'credit notes'} are never transferred between sites; only quotes and orders are`,
			undefined,
			{ element: 'type' },
		);
	}
	throw new DocumentError('INVALID_VALUE', `unknown document type "${String(type)}"`, undefined, { element: 'type' });
}

/** The customer number when there is one, else an ID that only holds inside this document (PARTY_ID is mandatory). */
function partyId(party: Address, role: 'customer' | 'delivery'): { type: string; value: string } {
	const customerNumber = party.customerNumber?.trim();
	if (customerNumber) return { type: CUSTOMER_NUMBER_ID_TYPE, value: customerNumber };
	return { type: DOCUMENT_LOCAL_ID_TYPE, value: role };
}

function address(party: Address, field: 'customer' | 'delivery', check: FieldCheck): XmlNode | undefined {
	if (party.customerNumber !== undefined) check.text(party.customerNumber, `${field}.customerNumber`, MAX_LENGTH.partyId);
	const country = check.text(party.country, `${field}.country`, MAX_LENGTH.country);
	// a code the schema's country list knows goes to COUNTRY_CODED, anything else is a name
	const countryCoded = country && BMECAT_COUNTRIES.has(country) ? country : undefined;
	const children = [
		optional('bmecat:NAME', check.text(party.name, `${field}.name`, MAX_LENGTH.name)),
		optional('bmecat:NAME2', check.text(party.name2, `${field}.name2`, MAX_LENGTH.name)),
		optional('bmecat:STREET', check.text(party.street, `${field}.street`, MAX_LENGTH.street)),
		optional('bmecat:ZIP', check.text(party.zip, `${field}.zip`, MAX_LENGTH.zip)),
		optional('bmecat:CITY', check.text(party.city, `${field}.city`, MAX_LENGTH.city)),
		countryCoded ? undefined : optional('bmecat:COUNTRY', country),
		optional('bmecat:COUNTRY_CODED', countryCoded),
		optional('bmecat:PHONE', check.text(party.phone, `${field}.phone`, MAX_LENGTH.phone)),
		optional('bmecat:EMAIL', check.text(party.email, `${field}.email`, MAX_LENGTH.email)),
	].filter((n): n is XmlNode => n !== undefined);
	return children.length ? el('ADDRESS', children) : undefined;
}

function item(name: string, line: OrderLine, field: string, check: FieldCheck): XmlNode {
	const lineNumber = check.required(line.lineNumber, `${field}.lineNumber`, MAX_LENGTH.lineItemId);
	const quantity = check.decimal(line.quantity, `${field}.quantity`);
	if (quantity === undefined) check.fail('MISSING_FIELD', `${field}.quantity`, 'a line needs a quantity');
	const unit = check.text(line.unit, `${field}.unit`) || DEFAULT_UNIT;
	if (!BMECAT_ORDER_UNITS.has(unit)) {
		check.fail(
			'INVALID_VALUE',
			`${field}.unit`,
			`"${unit}" is not a UN/ECE Rec. 20 unit code that BMEcat 2005 knows` +
				(unit === 'H87' || unit === 'PCE' ? ' (for pieces use C62)' : ''),
		);
	}
	const netPrice = check.decimal(line.netPrice, `${field}.netPrice`);
	const vatRate = check.decimal(line.vatRate, `${field}.vatRate`);
	if (vatRate !== undefined && netPrice === undefined) {
		check.fail('MISSING_FIELD', `${field}.netPrice`, 'a line with a VAT rate needs a net price: openTRANS carries the rate inside the price');
	}
	const description = check.text(line.description, `${field}.description`, MAX_LENGTH.descriptionLong);
	const { short, long } = splitDescription(description);

	return el(name, [
		el('LINE_ITEM_ID', lineNumber),
		el('PRODUCT_ID', [
			optional('bmecat:SUPPLIER_PID', check.text(line.articleNumber, `${field}.articleNumber`, MAX_LENGTH.supplierPid)),
			optional('bmecat:DESCRIPTION_SHORT', short),
			optional('bmecat:DESCRIPTION_LONG', long),
		]),
		el('QUANTITY', quantity ?? ''),
		el('bmecat:ORDER_UNIT', unit),
		netPrice !== undefined
			? el('PRODUCT_PRICE_FIX', [
					el('bmecat:PRICE_AMOUNT', netPrice),
					vatRate !== undefined
						? el('TAX_DETAILS_FIX', [
								el('bmecat:TAX_TYPE', 'vat'),
								// BMEcat gives the rate as a factor: 0.19 for 19 %
								el('bmecat:TAX', bigDecimal(vatRate).div(100).toFixed()),
							])
						: undefined,
				])
			: undefined,
		optional('PRICE_LINE_AMOUNT', check.decimal(line.lineAmount, `${field}.lineAmount`)),
	]);
}

/**
 * DESCRIPTION_SHORT holds at most 150 characters on one line; a longer or multi-line text goes whole into
 * DESCRIPTION_LONG, and its first line (shortened if need be) into DESCRIPTION_SHORT for lists and receivers
 * that only show the short one.
 */
function splitDescription(description: string): { short?: string; long?: string } {
	if (!description) return {};
	const chars = [...description];
	if (chars.length <= MAX_LENGTH.descriptionShort && !description.includes('\n')) return { short: description };
	const firstLine = [...description.split('\n')[0].trim()];
	const short =
		firstLine.length <= MAX_LENGTH.descriptionShort
			? firstLine.join('')
			: firstLine.slice(0, MAX_LENGTH.descriptionShort - 1).join('').trimEnd() + '…';
	return { short: short || undefined, long: description };
}

/**
 * Checks and cleans the document's values on the way out. Text is trimmed and line breaks become "\n"
 * (XML parsers turn CR LF into LF anyway); characters XML 1.0 cannot carry are refused.
 */
class FieldCheck {
	fail(code: 'INVALID_VALUE' | 'MISSING_FIELD', field: string, reason: string): never {
		throw new DocumentError(code, reason, undefined, { element: field });
	}

	text(value: string | undefined, field: string, maxLength?: number): string {
		// values mapped from workflow items can be null or a number at run time, whatever the type says
		if (value === undefined || value === null) return '';
		if (typeof value !== 'string') this.fail('INVALID_VALUE', field, `expected text, got ${typeof value}`);
		const text = value.replace(/\r\n?/g, '\n').trim();
		const bad = firstCharacterXmlCannotCarry(text);
		if (bad !== undefined) {
			const code = bad.toString(16).toUpperCase().padStart(4, '0');
			this.fail('INVALID_VALUE', field, `contains the character U+${code}, which XML cannot carry`);
		}
		if (maxLength !== undefined) {
			const length = [...text].length;
			if (length > maxLength) {
				this.fail('INVALID_VALUE', field, `is ${length} characters long; openTRANS allows at most ${maxLength}`);
			}
		}
		return text;
	}

	required(value: string | undefined, field: string, maxLength?: number): string {
		const text = this.text(value, field, maxLength);
		if (!text) this.fail('MISSING_FIELD', field, 'must not be empty');
		return text;
	}

	/** A decimal string as xsd:decimal has it (no exponent, no decimal comma), or undefined when absent. */
	decimal(value: string | undefined, field: string): string | undefined {
		const text = this.text(value, field);
		if (!text) return undefined;
		if (!DECIMAL.test(text)) {
			this.fail('INVALID_VALUE', field, `"${text}" is not a decimal number with a point (e.g. 1234.5)`);
		}
		return text;
	}
}

/**
 * XML 1.0 carries tab, line feed, carriage return and everything from U+0020 on, except the non-characters
 * U+FFFE and U+FFFF and halves of surrogate pairs. Returns the first code unit outside that, if any.
 */
function firstCharacterXmlCannotCarry(text: string): number | undefined {
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
		if (c === 0xfffe || c === 0xffff) return c;
		if (c >= 0xd800 && c <= 0xdbff) {
			const next = text.charCodeAt(i + 1);
			if (next >= 0xdc00 && next <= 0xdfff) i++;
			else return c;
		} else if (c >= 0xdc00 && c <= 0xdfff) return c;
	}
	return undefined;
}
