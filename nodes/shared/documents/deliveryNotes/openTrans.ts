import { DocumentError } from '../DocumentError';
import { parseXmlDocument, type XmlElement } from '../xml';
import type {
	DeliveryNote,
	DeliveryNoteLine,
	DeliveryNoteParty,
	DeliveryNotePartyRole,
	DeliveryNoteReference,
	DeliveryNoteRemark,
} from './types';
import { addOnce, normaliseDate, normaliseDecimal, withoutEmpty } from './values';

/**
 * openTRANS 2.1 DISPATCHNOTIFICATION (Lieferavis / Lieferschein) → DeliveryNote.
 *
 * Elements are found by namespace, not prefix: suppliers bind BMEcat as `bmecat:`, `bme:`, or with an xmlns
 * on the element itself. Which element lives in which namespace follows `opentrans_2_1.xsd`.
 */

import { BMECAT_NS, OPENTRANS_NS } from '../openTransNamespaces';

export { BMECAT_NS, OPENTRANS_NS };

const PARTY_ROLES = new Map<string, DeliveryNotePartyRole>([
	['supplier', 'supplier'],
	['buyer', 'buyer'],
	['delivery', 'delivery'],
	['final_delivery', 'delivery'],
	// openTRANS "deliverer": the party that carries out the delivery, e.g. the logistics provider
	['deliverer', 'shipper'],
	// openTRANS "customer": the party that buys, named so by shop and marketplace systems
	['customer', 'buyer'],
]);

const GLN_TYPES = new Set(['gln', 'iln']);
const GTIN_TYPES = new Set(['gtin', 'ean', 'upc']);

export function parseDispatchNotification(bytes: Uint8Array, file?: string, transportCharset?: string): DeliveryNote {
	const root = parseXmlDocument(bytes, { file, charset: transportCharset });
	return readDispatchNotification(root, file);
}

/** Reads an already parsed document, for callers that looked at the root first (format detection). */
export function readDispatchNotification(root: XmlElement, file?: string): DeliveryNote {
	if (root.name !== 'DISPATCHNOTIFICATION' || root.ns !== OPENTRANS_NS) {
		const found = root.ns ? `{${root.ns}}${root.name}` : root.name;
		throw new DocumentError(
			'UNSUPPORTED_FORMAT',
			`expected an openTRANS 2.1 DISPATCHNOTIFICATION (namespace ${OPENTRANS_NS}), found root element ${found}`,
			file,
			{ line: root.line, element: root.path },
		);
	}
	const ot = new OpenTransReader(file);
	const header = ot.required(root, 'DISPATCHNOTIFICATION_HEADER');
	const info = ot.required(header, 'DISPATCHNOTIFICATION_INFO');
	const deliveryNoteNumber = ot.requiredText(info, 'DISPATCHNOTIFICATION_ID');

	const note: DeliveryNote = {
		format: 'opentrans',
		deliveryNoteNumber,
		orderNumbers: [],
		parties: [],
		lines: [],
	};
	const documentDate = ot.date(info.first('DISPATCHNOTIFICATION_DATE', OPENTRANS_NS));
	if (documentDate) note.documentDate = documentDate;
	const deliveryDateElement = info.first('DELIVERY_DATE', OPENTRANS_NS);
	if (deliveryDateElement) {
		// a window "from … to": the start is the earliest day the goods can arrive, which is what goods receipt plans for
		const deliveryDate =
			ot.date(deliveryDateElement.first('DELIVERY_START_DATE', OPENTRANS_NS)) ??
			ot.date(deliveryDateElement.first('DELIVERY_END_DATE', OPENTRANS_NS));
		if (deliveryDate) note.deliveryDate = deliveryDate;
	}
	const shipmentId = ot.text(info, 'SHIPMENT_ID');
	if (shipmentId) note.shipmentId = shipmentId;

	const packageIds: string[] = [];
	for (const id of packageIdsIn(info.first('LOGISTIC_DETAILS_INFO', OPENTRANS_NS))) addOnce(packageIds, id);

	const remarks = readRemarks(info);
	const references: DeliveryNoteReference[] = [];

	const itemList = ot.required(root, 'DISPATCHNOTIFICATION_ITEM_LIST');
	const items = itemList.all('DISPATCHNOTIFICATION_ITEM', OPENTRANS_NS);
	note.parties = readParties(info, items, ot);
	for (const item of items) {
		const line = readItem(item, ot);
		note.lines.push(line);
		addOnce(note.orderNumbers, line.orderNumber);
		for (const id of packageIdsIn(item.first('LOGISTIC_DETAILS', OPENTRANS_NS))) addOnce(packageIds, id);
		const supplierOrderId = ot.text(item.first('SUPPLIER_ORDER_REFERENCE', OPENTRANS_NS), 'SUPPLIER_ORDER_ID');
		if (supplierOrderId && !references.some((r) => r.value === supplierOrderId)) {
			references.push({ type: 'SUPPLIER_ORDER_ID', value: supplierOrderId });
		}
	}
	if (packageIds.length) note.packageIds = packageIds;
	if (remarks.length) note.remarks = remarks;
	if (references.length) note.references = references;
	if (file) note.sourceFile = file;
	return note;
}

function readItem(item: XmlElement, ot: OpenTransReader): DeliveryNoteLine {
	const quantityElement = ot.required(item, 'QUANTITY');
	const quantity = normaliseDecimal(quantityElement.text, '.');
	if (quantity === undefined) {
		throw ot.error('INVALID_VALUE', `QUANTITY "${quantityElement.text}" is not a decimal number`, quantityElement);
	}
	const line: DeliveryNoteLine = { lineNumber: ot.requiredText(item, 'LINE_ITEM_ID'), quantity };

	const product = ot.required(item, 'PRODUCT_ID');
	const supplierPid = ot.text(product, 'SUPPLIER_PID', BMECAT_NS);
	if (supplierPid) line.supplierArticleNumber = supplierPid;
	const buyerPid = ot.text(product, 'BUYER_PID', BMECAT_NS);
	if (buyerPid) line.buyerArticleNumber = buyerPid;
	const gtin = product
		.all('INTERNATIONAL_PID', BMECAT_NS)
		.find((pid) => GTIN_TYPES.has((pid.attributes.type ?? '').toLowerCase()) && pid.text !== '');
	if (gtin) line.gtin = gtin.text;
	const description = ot.text(product, 'DESCRIPTION_SHORT', BMECAT_NS);
	if (description) line.description = description;
	const unit = ot.text(item, 'ORDER_UNIT', BMECAT_NS);
	if (unit) line.unit = unit;

	const orderReference = item.first('ORDER_REFERENCE', OPENTRANS_NS);
	const orderNumber = ot.text(orderReference, 'ORDER_ID');
	if (orderNumber) line.orderNumber = orderNumber;
	const orderLine = ot.text(orderReference, 'LINE_ITEM_ID');
	if (orderLine) line.orderLine = orderLine;
	return line;
}

/**
 * The header's party references (openTRANS 2.1: bmecat:SUPPLIER_IDREF and bmecat:BUYER_IDREF, and
 * SHIPMENT_PARTIES_REFERENCE with DELIVERY_IDREF, FINAL_DELIVERY_IDREF, DELIVERER_IDREF). Items may name the
 * delivery party instead of the header. Either namespace is accepted: senders mix the two up.
 */
const PARTY_REFERENCES: Array<{ name: string; role: DeliveryNotePartyRole; shipment: boolean }> = [
	{ name: 'SUPPLIER_IDREF', role: 'supplier', shipment: false },
	{ name: 'BUYER_IDREF', role: 'buyer', shipment: false },
	{ name: 'DELIVERY_IDREF', role: 'delivery', shipment: true },
	{ name: 'FINAL_DELIVERY_IDREF', role: 'delivery', shipment: true },
	{ name: 'DELIVERER_IDREF', role: 'shipper', shipment: true },
];

interface PartyReference {
	role: DeliveryNotePartyRole;
	value: string;
	type?: string;
}

function partyReferences(info: XmlElement, items: XmlElement[]): PartyReference[] {
	const shipment = [info, ...items].map((e) => e.first('SHIPMENT_PARTIES_REFERENCE', OPENTRANS_NS)).find(Boolean);
	const out: PartyReference[] = [];
	for (const { name, role, shipment: inShipment } of PARTY_REFERENCES) {
		const e = inOpenTransOrBmecat(inShipment ? shipment : info, name);
		if (e && e.text) out.push(e.attributes.type ? { role, value: e.text, type: e.attributes.type } : { role, value: e.text });
	}
	return out;
}

function inOpenTransOrBmecat(parent: XmlElement | undefined, name: string): XmlElement | undefined {
	return parent?.children.find((c) => c.name === name && (c.ns === OPENTRANS_NS || c.ns === BMECAT_NS));
}

/**
 * One entry per party and role, so that a workflow can pick "the delivery address" with a simple filter. A
 * party's roles are its PARTY_ROLEs; a role that no PARTY_ROLE names goes to the first party whose PARTY_ID the
 * header's reference for that role (BUYER_IDREF, DELIVERY_IDREF …) names.
 */
function readParties(info: XmlElement, items: XmlElement[], ot: OpenTransReader): DeliveryNoteParty[] {
	const parties = info.first('PARTIES', OPENTRANS_NS)?.all('PARTY', OPENTRANS_NS) ?? [];
	const ids = parties.map((party) => party.all('PARTY_ID', BMECAT_NS).filter((id) => id.text !== ''));
	const roles = parties.map((party) =>
		party
			.all('PARTY_ROLE', OPENTRANS_NS)
			.map((r) => r.text)
			.filter(Boolean),
	);
	const named = new Set(roles.flat().map(roleOf));
	for (const ref of partyReferences(info, items)) {
		if (named.has(ref.role)) continue;
		const at = ids.findIndex((list) => list.some((id) => id.text === ref.value && sameType(id.attributes.type, ref.type)));
		if (at >= 0 && !roles[at].some((r) => roleOf(r) === ref.role)) roles[at].push(ref.role);
	}
	return parties.flatMap((party, i) => {
		const gln = ids[i].find((id) => GLN_TYPES.has((id.attributes.type ?? '').toLowerCase()))?.text;
		const id = ids[i].find((e) => !GLN_TYPES.has((e.attributes.type ?? '').toLowerCase()))?.text;
		const address = party.first('ADDRESS', OPENTRANS_NS);
		return (roles[i].length ? roles[i] : ['other']).map((roleAsGiven) =>
			withoutEmpty<DeliveryNoteParty>({
				role: roleOf(roleAsGiven),
				roleAsGiven,
				id,
				gln,
				name: ot.text(address, 'NAME', BMECAT_NS),
				name2: ot.text(address, 'NAME2', BMECAT_NS),
				street: ot.text(address, 'STREET', BMECAT_NS),
				zip: ot.text(address, 'ZIP', BMECAT_NS),
				city: ot.text(address, 'CITY', BMECAT_NS),
				country: ot.text(address, 'COUNTRY_CODED', BMECAT_NS) ?? ot.text(address, 'COUNTRY', BMECAT_NS),
			}),
		);
	});
}

function roleOf(roleAsGiven: string): DeliveryNotePartyRole {
	return PARTY_ROLES.get(roleAsGiven.toLowerCase()) ?? 'other';
}

/** A party ID's type and a reference's type must agree only when both are given. */
function sameType(a: string | undefined, b: string | undefined): boolean {
	return !a || !b || a.toLowerCase() === b.toLowerCase();
}

function readRemarks(info: XmlElement): DeliveryNoteRemark[] {
	return info
		.all('REMARKS', OPENTRANS_NS)
		.filter((r) => r.text !== '')
		.map((r) => (r.attributes.type ? { type: r.attributes.type, text: r.text } : { text: r.text }));
}

function packageIdsIn(logistics: XmlElement | undefined): string[] {
	if (!logistics) return [];
	return logistics
		.findAll('PACKAGE_INFO/PACKAGE/PACKAGE_ID')
		.filter((p) => p.ns === OPENTRANS_NS && p.text !== '')
		.map((p) => p.text);
}

/** Namespace-aware look-ups that throw DocumentErrors naming the element path. */
class OpenTransReader {
	constructor(private readonly file?: string) {}

	error(code: 'MISSING_FIELD' | 'INVALID_VALUE', reason: string, at: XmlElement, element = at.path): DocumentError {
		return new DocumentError(code, reason, this.file, { line: at.line, element });
	}

	required(parent: XmlElement, name: string, ns = OPENTRANS_NS): XmlElement {
		const child = parent.first(name, ns);
		if (!child) throw this.error('MISSING_FIELD', `${name} is missing`, parent, `${parent.path}/${name}`);
		return child;
	}

	requiredText(parent: XmlElement, name: string, ns = OPENTRANS_NS): string {
		const child = this.required(parent, name, ns);
		if (child.text === '') throw this.error('MISSING_FIELD', `${name} is empty`, child);
		return child.text;
	}

	text(parent: XmlElement | undefined, name: string, ns = OPENTRANS_NS): string | undefined {
		const t = parent?.first(name, ns)?.text;
		return t ? t : undefined;
	}

	date(element: XmlElement | undefined): string | undefined {
		if (!element || element.text === '') return undefined;
		const date = normaliseDate(element.text);
		if (!date) throw this.error('INVALID_VALUE', `${element.name} "${element.text}" is not a date`, element);
		return date;
	}
}
