import { DocumentError } from '../DocumentError';
import { parseXmlDocument, type XmlElement } from '../xml';
import {
	bigDecimal,
	BMECAT_NS,
	CUSTOMER_NUMBER_ID_TYPE,
	DATE_TIME,
	DECIMAL,
	OPENTRANS_NS,
	SITE_ID_TYPE,
	UDX_TOTAL_GROSS,
	UDX_TOTAL_VAT,
	VOCABULARY,
	type OpenTransVocabulary,
} from './openTrans';
import { isCalendarDate } from '../deliveryNotes/values';
import type { Address, BusinessDocument, OrderLine, TransferableDocumentType } from './types';

/**
 * openTRANS 2.1 ORDER or QUOTATION → BusinessDocument: the files this package writes, and those of other
 * software (the ITscope and Naugrimm samples in test/fixtures/opentrans).
 *
 * Elements are looked up by namespace, never by prefix: BMEcat elements may be bound as `bmecat:`, `bme:` or
 * with an xmlns on the element. Nothing is computed that the file does not say, with two exceptions that
 * only translate: the tax rate (BMEcat factor 0.19 → "19" percent) and a price given per N units
 * (PRICE_QUANTITY), which becomes a price per unit.
 */

const READABLE_ROOTS: Record<string, TransferableDocumentType> = { ORDER: 'order', QUOTATION: 'quote' };

/** Party roles that openTRANS uses for the party goods go to. */
const DELIVERY_ROLES = ['delivery', 'final_delivery'];

export function readOpenTrans(bytes: Uint8Array, file?: string): BusinessDocument {
	refuseWhatIsNotXml(bytes, file);
	const root = parseXmlDocument(bytes, { file });
	return readOpenTransElement(root, file);
}

const EXPECTED = 'expected an openTRANS 2.1 ORDER or QUOTATION as an XML file (.xml)';

/** File kinds people drop instead of an openTRANS file, by their first bytes. */
const SIGNATURES: Array<[number[], string]> = [
	[[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
	[[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (or an Office document)'],
	[[0xd0, 0xcf, 0x11, 0xe0], 'an old Office document'],
	[[0x7b, 0x5c, 0x72, 0x74, 0x66], 'an RTF document'],
];

/**
 * A file that cannot be XML at all (it does not start with "<" after an optional byte order mark and blanks)
 * is refused by what it is, before the XML parser reports a line and column that mean nothing to its reader:
 * a PDF, an archive, or OfficeSI's own transfer file (.qtf), which is not openTRANS.
 */
function refuseWhatIsNotXml(bytes: Uint8Array, file?: string): void {
	let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
	if (bytes[0] === 0xfe || bytes[0] === 0xff) return; // UTF-16: the XML parser says what it thinks of it
	while (i < bytes.length && i < 4096 && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
	if (i < bytes.length && bytes[i] === 0x3c) return;
	const known = SIGNATURES.find(([magic]) => magic.every((b, k) => bytes[i + k] === b))?.[1];
	const qtf = /\.qtf$/i.test(file ?? '');
	const what = bytes.length === 0 ? 'an empty file' : (known ?? (qtf ? 'an OfficeSI transfer file (.qtf)' : 'not XML'));
	const hint = qtf ? '; OfficeSI’s own .qtf format cannot be read: send the order as openTRANS' : '';
	throw new DocumentError('UNSUPPORTED_FORMAT', `not an openTRANS file: this is ${what}; ${EXPECTED}${hint}`, file);
}

/** Reads an already parsed document, for callers that looked at the root first (format detection). */
export function readOpenTransElement(root: XmlElement, file?: string): BusinessDocument {
	let document = root;
	// OPENTRANS is the schema's optional envelope around exactly one business document
	if (root.ns === OPENTRANS_NS && root.name === 'OPENTRANS') {
		const inner = root.children[0];
		if (!inner) throw new DocumentError('MISSING_FIELD', 'the OPENTRANS envelope is empty', file, where(root));
		document = inner;
	}
	if (document.ns !== OPENTRANS_NS) {
		const found = document.ns ? `{${document.ns}}${document.name}` : document.name;
		throw new DocumentError(
			'UNSUPPORTED_FORMAT',
			`not an openTRANS 2.1 document: the root element is ${found}, expected ORDER or QUOTATION in namespace ${OPENTRANS_NS}`,
			file,
			where(document),
		);
	}
	const type = READABLE_ROOTS[document.name];
	if (!type) {
		throw new DocumentError(
			'UNSUPPORTED_FORMAT',
			`this is an openTRANS ${document.name}, not an ORDER or QUOTATION; only orders and quotes are exchanged between sites`,
			file,
			where(document),
		);
	}
	return new OpenTransReader(file).read(document, type, VOCABULARY[type]);
}

function where(e: XmlElement): { line: number; element: string } {
	return { line: e.line, element: e.path };
}

interface PartyId {
	type?: string;
	value: string;
}

class OpenTransReader {
	constructor(private readonly file: string | undefined) {}

	read(root: XmlElement, type: TransferableDocumentType, v: OpenTransVocabulary): BusinessDocument {
		const header = this.required(root, v.header);
		const info = this.required(header, v.info);
		const number = this.requiredText(info, v.id);
		const date = this.date(this.required(info, v.date));
		const parties = this.required(info, 'PARTIES').all('PARTY', OPENTRANS_NS);
		const references = info.first('ORDER_PARTIES_REFERENCE', OPENTRANS_NS);
		const buyerRef = this.partyRef(idref(references, 'BUYER_IDREF'));
		const supplierRef = this.partyRef(idref(references, 'SUPPLIER_IDREF'));
		const deliveryRef = this.partyRef(idref(references?.first('SHIPMENT_PARTIES_REFERENCE', OPENTRANS_NS), 'DELIVERY_IDREF'));

		// the buyer by role; "customer" is the word shop and marketplace systems use for it
		const buyer =
			parties.find((p) => roles(p).includes('buyer')) ??
			parties.find((p) => roles(p).includes('customer')) ??
			parties.find((p) => buyerRef && hasId(p, buyerRef) && !roles(p).some((r) => r === 'supplier' || DELIVERY_ROLES.includes(r)));
		const delivery =
			parties.find((p) => roles(p).some((r) => DELIVERY_ROLES.includes(r))) ??
			parties.find((p) => deliveryRef && p !== buyer && hasId(p, deliveryRef));

		const doc: BusinessDocument = {
			type,
			number,
			date,
			site: this.site(info, parties, type === 'order' ? buyerRef : supplierRef),
			currency: text(info.first('CURRENCY', BMECAT_NS)),
			customer: buyer ? this.address(buyer) : { name: '', street: '', zip: '', city: '' },
			lines: [],
			totals: {},
		};
		if (delivery && delivery.first('ADDRESS', OPENTRANS_NS)) doc.delivery = this.address(delivery);

		const remarks = info
			.all('REMARKS', OPENTRANS_NS)
			.map((r) => r.text)
			.filter(Boolean);
		if (remarks.length) doc.remarks = remarks.join('\n');

		const items = this.required(root, v.itemList).all(v.item, OPENTRANS_NS);
		if (items.length === 0) {
			throw new DocumentError('MISSING_FIELD', `${v.itemList} has no ${v.item}`, this.file, where(root));
		}
		doc.lines = items.map((item) => this.line(item));

		const summary = this.required(root, v.summary);
		const itemCount = summary.first('TOTAL_ITEM_NUM', OPENTRANS_NS);
		// the count guards against a file cut short in transit: it must agree with the lines that arrived
		if (itemCount && itemCount.text !== String(items.length)) {
			throw new DocumentError(
				'INVALID_VALUE',
				`TOTAL_ITEM_NUM says ${itemCount.text} lines, but the document has ${items.length}`,
				this.file,
				where(itemCount),
			);
		}
		const net = this.decimal(summary.first('TOTAL_AMOUNT', OPENTRANS_NS));
		if (net !== undefined) doc.totals.net = net;
		const udx = info.first('HEADER_UDX', OPENTRANS_NS);
		const vat = this.decimal(udx?.children.find((c) => c.name === UDX_TOTAL_VAT));
		const gross = this.decimal(udx?.children.find((c) => c.name === UDX_TOTAL_GROSS));
		if (vat !== undefined) doc.totals.vat = vat;
		if (gross !== undefined) doc.totals.gross = gross;
		return doc;
	}

	/**
	 * The sending site: DOCUMENT_ISSUER_IDREF where the file has one (this package always writes it), else the
	 * party in the role `document_creator`, else whoever issues this kind of document in openTRANS — the buyer
	 * for an order, the supplier for a quote.
	 */
	private site(info: XmlElement, parties: XmlElement[], issuerByKind: PartyId | undefined): string {
		const issuer = text(
			info.first('DOCEXCHANGE_PARTIES_REFERENCE', OPENTRANS_NS)?.first('DOCUMENT_ISSUER_IDREF', OPENTRANS_NS),
		);
		if (issuer) return issuer;
		const creator = parties.find((p) => roles(p).includes('document_creator'));
		if (creator) {
			const ids = partyIds(creator);
			const id = ids.find((i) => i.type === SITE_ID_TYPE) ?? ids[0];
			if (id) return id.value;
		}
		return issuerByKind?.value ?? '';
	}

	private address(party: XmlElement): Address {
		const customerNumber = partyIds(party).find((i) => i.type === CUSTOMER_NUMBER_ID_TYPE)?.value;
		const a = party.first('ADDRESS', OPENTRANS_NS);
		const contact = a?.first('CONTACT_DETAILS', OPENTRANS_NS);
		const address: Address = {
			name: text(a?.first('NAME', BMECAT_NS)),
			street: text(a?.first('STREET', BMECAT_NS)),
			zip: text(a?.first('ZIP', BMECAT_NS)),
			city: text(a?.first('CITY', BMECAT_NS)),
		};
		if (customerNumber) address.customerNumber = customerNumber;
		const name2 = text(a?.first('NAME2', BMECAT_NS));
		if (name2) address.name2 = name2;
		const country = text(a?.first('COUNTRY_CODED', BMECAT_NS)) || text(a?.first('COUNTRY', BMECAT_NS));
		if (country) address.country = country;
		const email =
			text(a?.first('EMAIL', BMECAT_NS)) || text(contact?.first('EMAILS', BMECAT_NS)?.first('EMAIL', BMECAT_NS));
		if (email) address.email = email;
		const phone = text(a?.first('PHONE', BMECAT_NS)) || text(contact?.first('PHONE', BMECAT_NS));
		if (phone) address.phone = phone;
		return address;
	}

	private line(item: XmlElement): OrderLine {
		const product = item.first('PRODUCT_ID', OPENTRANS_NS);
		const quantity = this.decimal(this.required(item, 'QUANTITY'));
		const line: OrderLine = {
			lineNumber: this.requiredText(item, 'LINE_ITEM_ID'),
			description:
				text(product?.first('DESCRIPTION_LONG', BMECAT_NS)) || text(product?.first('DESCRIPTION_SHORT', BMECAT_NS)),
			quantity: quantity ?? this.missing(item, 'QUANTITY'),
			unit: text(item.first('ORDER_UNIT', BMECAT_NS)) || 'C62',
		};
		const articleNumber = text(product?.first('SUPPLIER_PID', BMECAT_NS));
		if (articleNumber) line.articleNumber = articleNumber;

		const price = item.first('PRODUCT_PRICE_FIX', OPENTRANS_NS);
		if (price) {
			const amount = this.decimal(price.first('PRICE_AMOUNT', BMECAT_NS));
			const per = this.decimal(price.first('PRICE_QUANTITY', BMECAT_NS));
			if (amount !== undefined) {
				// a price per 100 pieces (PRICE_QUANTITY 100) becomes a price per piece, as the type promises
				const perUnits = per === undefined ? undefined : bigDecimal(per);
				line.netPrice =
					perUnits && !perUnits.eq(1) && !perUnits.eq(0) ? bigDecimal(amount).div(perUnits).toFixed() : amount;
			}
			const tax = price
				.all('TAX_DETAILS_FIX', OPENTRANS_NS)
				.find((t) => (text(t.first('TAX_TYPE', BMECAT_NS)) || 'vat').toLowerCase() === 'vat');
			const rate = this.decimal(tax?.first('TAX', BMECAT_NS));
			if (rate !== undefined) {
				// BMEcat's TAX is a factor (0.19); some senders write the percentage (19) — no VAT rate is 100 % or more
				const r = bigDecimal(rate);
				line.vatRate = r.gte(1) ? r.toFixed() : r.times(100).toFixed();
			}
		}
		const lineAmount = this.decimal(item.first('PRICE_LINE_AMOUNT', OPENTRANS_NS));
		if (lineAmount !== undefined) line.lineAmount = lineAmount;
		return line;
	}

	private partyRef(e: XmlElement | undefined): PartyId | undefined {
		const value = text(e);
		if (!value || !e) return undefined;
		return e.attributes.type ? { type: e.attributes.type, value } : { value };
	}

	/** ORDER_DATE / QUOTATION_DATE: bmecat:dtDATETIME, and a day that the calendar has. */
	private date(e: XmlElement): string {
		const value = text(e) || this.missing(e.parent ?? e, e.name);
		const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
		if (!DATE_TIME.test(value) || !m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
			throw new DocumentError('INVALID_VALUE', `${e.name} "${value}" is not a date (YYYY-MM-DD, optionally with a time)`, this.file, where(e));
		}
		return value;
	}

	private decimal(e: XmlElement | undefined): string | undefined {
		const value = text(e);
		if (!value || !e) return undefined;
		if (!DECIMAL.test(value)) {
			throw new DocumentError('INVALID_VALUE', `"${value}" is not a decimal number`, this.file, where(e));
		}
		return value;
	}

	private required(parent: XmlElement, name: string): XmlElement {
		return parent.first(name, OPENTRANS_NS) ?? this.missing(parent, name);
	}

	private requiredText(parent: XmlElement, name: string): string {
		const value = text(this.required(parent, name));
		return value || this.missing(parent, name);
	}

	private missing(parent: XmlElement, name: string): never {
		throw new DocumentError('MISSING_FIELD', `${name} is missing or empty`, this.file, {
			line: parent.line,
			element: `${parent.path}/${name}`,
		});
	}
}

function text(e: XmlElement | undefined): string {
	return e ? e.text : '';
}

function roles(party: XmlElement): string[] {
	return party.all('PARTY_ROLE', OPENTRANS_NS).map((r) => r.text.toLowerCase());
}

/**
 * A party reference (…_IDREF) in either namespace: openTRANS 2.1 defines BUYER_IDREF and SUPPLIER_IDREF in
 * BMEcat's and DELIVERY_IDREF in its own, and senders mix the two up.
 */
function idref(parent: XmlElement | undefined, name: string): XmlElement | undefined {
	return parent?.children.find((c) => c.name === name && (c.ns === OPENTRANS_NS || c.ns === BMECAT_NS));
}

function partyIds(party: XmlElement): PartyId[] {
	return party
		.all('PARTY_ID', BMECAT_NS)
		.filter((e) => e.text)
		.map((e) => (e.attributes.type ? { type: e.attributes.type, value: e.text } : { value: e.text }));
}

/** Whether the party carries this ID; the ID's type is compared only when both sides give one. */
function hasId(party: XmlElement, ref: PartyId): boolean {
	return partyIds(party).some((id) => id.value === ref.value && (!id.type || !ref.type || id.type === ref.type));
}
