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
		parties: readParties(info, ot),
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
	for (const item of itemList.all('DISPATCHNOTIFICATION_ITEM', OPENTRANS_NS)) {
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

function readParties(info: XmlElement, ot: OpenTransReader): DeliveryNoteParty[] {
	const partyList = info.first('PARTIES', OPENTRANS_NS);
	if (!partyList) return [];
	// a PARTY without PARTY_ROLE is named by the header's IDREFs instead (the XSD allows either)
	const byReference: Array<[string | undefined, string]> = [
		[ot.text(info, 'SUPPLIER_IDREF', BMECAT_NS), 'supplier'],
		[ot.text(info, 'BUYER_IDREF', BMECAT_NS), 'buyer'],
		[ot.text(info.first('SHIPMENT_PARTIES_REFERENCE', OPENTRANS_NS), 'DELIVERY_IDREF'), 'delivery'],
	];
	const parties: DeliveryNoteParty[] = [];
	for (const party of partyList.all('PARTY', OPENTRANS_NS)) {
		const ids = party.all('PARTY_ID', BMECAT_NS).filter((id) => id.text !== '');
		const gln = ids.find((id) => GLN_TYPES.has((id.attributes.type ?? '').toLowerCase()))?.text;
		const id = ids.find((i) => !GLN_TYPES.has((i.attributes.type ?? '').toLowerCase()))?.text;
		let roles = party
			.all('PARTY_ROLE', OPENTRANS_NS)
			.map((r) => r.text)
			.filter(Boolean);
		if (!roles.length) {
			roles = byReference.filter(([ref]) => ref && ids.some((i) => i.text === ref)).map(([, role]) => role);
		}
		if (!roles.length) roles = ['other'];
		const address = party.first('ADDRESS', OPENTRANS_NS);
		// one entry per role, so that a workflow can pick "the delivery address" with a simple filter
		for (const roleAsGiven of roles) {
			const entry: DeliveryNoteParty = withoutEmpty({
				role: PARTY_ROLES.get(roleAsGiven) ?? 'other',
				roleAsGiven,
				id,
				gln,
				name: ot.text(address, 'NAME', BMECAT_NS),
				name2: ot.text(address, 'NAME2', BMECAT_NS),
				street: ot.text(address, 'STREET', BMECAT_NS),
				zip: ot.text(address, 'ZIP', BMECAT_NS),
				city: ot.text(address, 'CITY', BMECAT_NS),
				country: ot.text(address, 'COUNTRY_CODED', BMECAT_NS) ?? ot.text(address, 'COUNTRY', BMECAT_NS),
			});
			parties.push(entry);
		}
	}
	return parties;
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
