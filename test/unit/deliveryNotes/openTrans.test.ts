import { parseDispatchNotification } from '../../../nodes/shared/documents/deliveryNotes/openTrans';
import { expectDocumentError, fixture } from './helpers';

const ITSCOPE = 'dispatchnotification-itscope.xml';
const itscopeBytes = fixture('opentrans', ITSCOPE);
const itscopeText = itscopeBytes.toString('utf8');

/** The ITscope sample with `edit` applied to its text, as UTF-8 bytes. */
function itscopeWith(edit: (text: string) => string): Buffer {
	const edited = edit(itscopeText);
	expect(edited).not.toBe(itscopeText);
	return Buffer.from(edited, 'utf8');
}

describe('parseDispatchNotification on the ITscope sample', () => {
	const note = parseDispatchNotification(itscopeBytes, ITSCOPE);

	it('reads the delivery note number, date, shipment, packages, remarks and source file', () => {
		expect(note.format).toBe('opentrans');
		expect(note.deliveryNoteNumber).toBe('39076516');
		expect(note.documentDate).toBe('2016-01-31T21:31:00');
		expect(note.despatchDate).toBeUndefined();
		expect(note.deliveryDate).toBeUndefined();
		expect(note.shipmentId).toBe('1Z7318301287125572');
		expect(note.packageIds).toEqual(['00000000305474401482']);
		expect(note.remarks).toEqual([{ type: 'delivererCode', text: 'Trans-O-Flex GmbH & Co. KG' }]);
		expect(note.references).toEqual([{ type: 'SUPPLIER_ORDER_ID', value: '425689442' }]);
		expect(note.sourceFile).toBe(ITSCOPE);
	});

	it('collects the order number from the items, once', () => {
		expect(note.orderNumbers).toEqual(['GWAHJV-160131-1470']);
	});

	it('maps each PARTY_ROLE and keeps the role as given, the party id and the address', () => {
		const itscope = {
			id: '123456',
			name: 'ITscope GmbH',
			street: 'Ludwig-Erhard-Allee 20',
			zip: '76131',
			city: 'Karlsruhe',
			country: 'DE',
		};
		expect(note.parties).toEqual([
			{ role: 'buyer', roleAsGiven: 'buyer', ...itscope },
			{ role: 'delivery', roleAsGiven: 'delivery', ...itscope },
			{ role: 'other', roleAsGiven: 'invoice_recipient', ...itscope },
			{
				role: 'supplier',
				roleAsGiven: 'supplier',
				id: '10000735',
				name: 'ITscope Partner-Test',
				street: 'Ludwig-Erhard-Allee 20',
				zip: '76131',
				city: 'Karlsruhe',
				country: 'DE',
			},
		]);
	});

	it("reads each line's article numbers, GTIN, description, quantity, unit and order reference", () => {
		const order = 'GWAHJV-160131-1470';
		expect(note.lines).toEqual([
			{
				lineNumber: '1',
				supplierArticleNumber: '123002',
				gtin: '0888462006781',
				description: 'APPLE iPad Air 2 64GB 3G 4G Grau',
				quantity: '1',
				unit: 'C62',
				orderNumber: order,
				orderLine: '00001',
			},
			{
				lineNumber: '2',
				supplierArticleNumber: '123001',
				gtin: '0888182569504',
				description: 'HP Inc HP Officejet 5740 e-All-in-One',
				quantity: '2',
				unit: 'C62',
				orderNumber: order,
				orderLine: '00002',
			},
			{
				lineNumber: '3',
				supplierArticleNumber: '123003',
				buyerArticleNumber: '8806085923805',
				gtin: '8806085923805',
				description: 'Samsung SC650 Series S24C650BW - LED-Monitor - 61cm/24"',
				quantity: '3',
				unit: 'C62',
				orderNumber: order,
				orderLine: '00003',
			},
		]);
	});
});

describe('parseDispatchNotification', () => {
	it("names parties without PARTY_ROLE by the header's SUPPLIER_IDREF, BUYER_IDREF and DELIVERY_IDREF", () => {
		const file = 'minimal_valid_dispatchnotification_with_delivery_reference.xml';
		const note = parseDispatchNotification(fixture('opentrans', file), file);
		expect(note.deliveryNoteNumber).toBe('dispatch-id-2');
		expect(note.documentDate).toBe('2020-01-27');
		expect(note.parties).toEqual([
			{ role: 'supplier', roleAsGiven: 'supplier', id: 'org.de.supplier' },
			{ role: 'buyer', roleAsGiven: 'buyer', id: 'org.de.buyer' },
			{ role: 'delivery', roleAsGiven: 'delivery', id: 'org.de.buyer' },
		]);
		expect(note.orderNumbers).toEqual(['order-id-1']);
		expect(note.lines).toEqual([
			{
				lineNumber: 'line-item-id-1',
				supplierArticleNumber: 'product-number-1',
				quantity: '5',
				unit: 'C62',
				orderNumber: 'order-id-1',
				orderLine: 'line-item-id-1',
			},
		]);
	});

	it('collects order numbers from every item, without duplicates, in document order', () => {
		let item = 0;
		const bytes = itscopeWith((t) =>
			t.replace(/<ORDER_ID>GWAHJV-160131-1470<\/ORDER_ID>/g, (m) => (++item === 2 ? '<ORDER_ID>PO-2</ORDER_ID>' : m)),
		);
		const note = parseDispatchNotification(bytes);
		expect(note.orderNumbers).toEqual(['GWAHJV-160131-1470', 'PO-2']);
		expect(note.lines.map((l) => l.orderNumber)).toEqual(['GWAHJV-160131-1470', 'PO-2', 'GWAHJV-160131-1470']);
	});

	it('finds BMEcat elements by namespace under any prefix or an xmlns on the element', () => {
		const bytes = itscopeWith((t) =>
			t
				.replace('xmlns:bme=', 'xmlns:bmecat=')
				.replace(/(<\/?)bme:/g, '$1bmecat:')
				.replace(
					'<bmecat:SUPPLIER_PID type="supplier_specific">123002</bmecat:SUPPLIER_PID>',
					'<SUPPLIER_PID xmlns="http://www.bmecat.org/bmecat/2005">123002</SUPPLIER_PID>',
				),
		);
		expect(parseDispatchNotification(bytes, ITSCOPE)).toEqual(parseDispatchNotification(itscopeBytes, ITSCOPE));
	});

	it('ignores an element that has the right name in the wrong namespace', () => {
		const bytes = itscopeWith((t) =>
			t.replace('<bme:SUPPLIER_PID type="supplier_specific">123002</bme:SUPPLIER_PID>', '<SUPPLIER_PID>123002</SUPPLIER_PID>'),
		);
		expect(parseDispatchNotification(bytes).lines[0].supplierArticleNumber).toBeUndefined();
	});

	it('reads an ISO-8859-1 file by its XML declaration, whatever charset the mail part claims', () => {
		const latin1 = Buffer.from(
			itscopeText.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(/Ludwig-Erhard-Allee/g, 'Ludwig-Erhard-Straße'),
			'latin1',
		);
		expect(latin1.includes(0xdf)).toBe(true);
		const note = parseDispatchNotification(latin1, 'latin1.xml', 'utf-8');
		expect(note.parties.map((p) => p.street)).toEqual(Array(4).fill('Ludwig-Erhard-Straße 20'));
		expect(note.deliveryNoteNumber).toBe('39076516');
	});

	it('strips a UTF-8 byte-order mark', () => {
		const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), itscopeBytes]);
		expect(parseDispatchNotification(withBom, ITSCOPE)).toEqual(parseDispatchNotification(itscopeBytes, ITSCOPE));
	});

	it('normalises German dates to ISO 8601 and takes the start of a delivery window', () => {
		const bytes = itscopeWith((t) =>
			t
				.replace(
					'<DISPATCHNOTIFICATION_DATE>2016-01-31T21:31:00</DISPATCHNOTIFICATION_DATE>',
					'<DISPATCHNOTIFICATION_DATE>31.01.2016</DISPATCHNOTIFICATION_DATE>',
				)
				.replace(
					'<bme:LANGUAGE>ger</bme:LANGUAGE>',
					'<bme:LANGUAGE>ger</bme:LANGUAGE><DELIVERY_DATE><DELIVERY_START_DATE>2016-02-02</DELIVERY_START_DATE><DELIVERY_END_DATE>2016-02-03</DELIVERY_END_DATE></DELIVERY_DATE>',
				),
		);
		const note = parseDispatchNotification(bytes);
		expect(note.documentDate).toBe('2016-01-31');
		expect(note.deliveryDate).toBe('2016-02-02');
	});
});

describe('parseDispatchNotification refuses', () => {
	it('another openTRANS document (an ORDER) as UNSUPPORTED_FORMAT, naming the root', () => {
		const order = Buffer.from('<?xml version="1.0"?>\n<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1" version="2.1"/>');
		expectDocumentError(
			() => parseDispatchNotification(order, 'order.xml'),
			'UNSUPPORTED_FORMAT',
			/^order\.xml: line 2, at ORDER: expected an openTRANS 2\.1 DISPATCHNOTIFICATION .* found root element \{http:\/\/www\.opentrans\.org\/XMLSchema\/2\.1\}ORDER$/,
		);
	});

	it('a DISPATCHNOTIFICATION outside the openTRANS 2.1 namespace as UNSUPPORTED_FORMAT', () => {
		const bytes = itscopeWith((t) => t.replace('xmlns="http://www.opentrans.org/XMLSchema/2.1"', ''));
		expectDocumentError(
			() => parseDispatchNotification(bytes, 'v1.xml'),
			'UNSUPPORTED_FORMAT',
			/^v1\.xml: line 3, at DISPATCHNOTIFICATION: .*found root element DISPATCHNOTIFICATION$/,
		);
	});

	it('a missing DISPATCHNOTIFICATION_ID as MISSING_FIELD with the element path', () => {
		const bytes = itscopeWith((t) => t.replace(/<DISPATCHNOTIFICATION_ID>39076516<\/DISPATCHNOTIFICATION_ID>/, ''));
		const error = expectDocumentError(
			() => parseDispatchNotification(bytes, 'no-id.xml'),
			'MISSING_FIELD',
			/^no-id\.xml: line 9, at DISPATCHNOTIFICATION\/DISPATCHNOTIFICATION_HEADER\/DISPATCHNOTIFICATION_INFO\/DISPATCHNOTIFICATION_ID: DISPATCHNOTIFICATION_ID is missing$/,
		);
		expect(error.file).toBe('no-id.xml');
	});

	it('a quantity that is not a decimal number as INVALID_VALUE, naming the item', () => {
		const bytes = itscopeWith((t) => t.replace('<QUANTITY>2.0</QUANTITY>', '<QUANTITY>2,0</QUANTITY>'));
		expectDocumentError(
			() => parseDispatchNotification(bytes, 'comma.xml'),
			'INVALID_VALUE',
			/^comma\.xml: line \d+, at DISPATCHNOTIFICATION\/DISPATCHNOTIFICATION_ITEM_LIST\/DISPATCHNOTIFICATION_ITEM\[2\]\/QUANTITY: QUANTITY "2,0" is not a decimal number$/,
		);
	});

	it('an item without QUANTITY as MISSING_FIELD, naming the item', () => {
		const bytes = itscopeWith((t) => t.replace('<QUANTITY>3.0</QUANTITY>', ''));
		expectDocumentError(
			() => parseDispatchNotification(bytes, 'q.xml'),
			'MISSING_FIELD',
			/at DISPATCHNOTIFICATION\/DISPATCHNOTIFICATION_ITEM_LIST\/DISPATCHNOTIFICATION_ITEM\[3\]\/QUANTITY: QUANTITY is missing$/,
		);
	});

	it('a truncated file as PARSE_ERROR at the line where it ends', () => {
		const cut = itscopeText.slice(0, Math.floor(itscopeText.length / 2));
		const lastLine = cut.split('\n').length;
		expectDocumentError(
			() => parseDispatchNotification(Buffer.from(cut), 'truncated.xml'),
			'PARSE_ERROR',
			new RegExp(`^truncated\\.xml: line ${lastLine}, column \\d+: unclosed tag`),
		);
	});

	it('an attachment with an external entity (XXE) before anything is read from it', () => {
		const file = 'dispatchnotification-xxe.xml';
		const error = expectDocumentError(
			() => parseDispatchNotification(fixture('opentrans', file), file),
			'ENTITY_NOT_ALLOWED',
			/^dispatchnotification-xxe\.xml: line 2, column \d+: the document has a DOCTYPE declaration/,
		);
		expect(error.message).not.toMatch(/root:/);
	});

	it('a billion-laughs attachment quickly, without expanding an entity', () => {
		const file = 'dispatchnotification-billion-laughs.xml';
		const started = Date.now();
		expectDocumentError(
			() => parseDispatchNotification(fixture('opentrans', file), file),
			'ENTITY_NOT_ALLOWED',
			/^dispatchnotification-billion-laughs\.xml: line 13, column \d+: the document has a DOCTYPE declaration/,
		);
		expect(Date.now() - started).toBeLessThan(1000);
	});
});

describe('parseDispatchNotification party roles by reference and by the customer role (ITscope sample, edited)', () => {
	/** The ITscope sample's parties: buyer, delivery, invoice_recipient (all ID 123456) and supplier (10000735). */
	const roleOf = (bytes: Buffer) => parseDispatchNotification(bytes).parties.map((p) => `${p.role}/${p.roleAsGiven}/${p.id}`);

	it('reads PARTY_ROLE customer as the buyer, keeping the word as given', () => {
		const bytes = itscopeWith((t) => t.replace('<PARTY_ROLE>buyer</PARTY_ROLE>', '<PARTY_ROLE>customer</PARTY_ROLE>'));
		expect(roleOf(bytes)).toEqual(['buyer/customer/123456', 'delivery/delivery/123456', 'other/invoice_recipient/123456', 'supplier/supplier/10000735']);
	});

	it('gives the delivery role to the party DELIVERY_IDREF names when no PARTY_ROLE says delivery', () => {
		// the sender lists one party as invoice recipient and ships to it, saying so only by reference
		const bytes = itscopeWith((t) =>
			t
				.replace('<PARTY_ROLE>delivery</PARTY_ROLE>', '<PARTY_ROLE>other</PARTY_ROLE>')
				.replace(/123456(<\/bme:PARTY_ID>\s*<PARTY_ROLE>invoice_recipient)/, '7000$1')
				.replace(/<DELIVERY_IDREF type="supplier_specific">123456<\/DELIVERY_IDREF>/g, '<DELIVERY_IDREF type="supplier_specific">7000</DELIVERY_IDREF>'),
		);
		expect(roleOf(bytes)).toEqual([
			'buyer/buyer/123456',
			'other/other/123456',
			'other/invoice_recipient/7000',
			'delivery/delivery/7000',
			'supplier/supplier/10000735',
		]);
	});

	it('finds BUYER_IDREF and SUPPLIER_IDREF written in the openTRANS namespace, and DELIVERY_IDREF given only on the items', () => {
		const bytes = itscopeWith((t) =>
			t
				.replace(/\s*<PARTY_ROLE>[a-z_]+<\/PARTY_ROLE>/g, '')
				.replace(/<bme:(SUPPLIER|BUYER)_IDREF type="supplier_specific">(\d+)<\/bme:\1_IDREF>\s*(?=<(?:bme:BUYER_IDREF|SHIPMENT_PARTIES_REFERENCE))/g, '<$1_IDREF type="supplier_specific">$2</$1_IDREF>')
				.replace(/<SHIPMENT_PARTIES_REFERENCE>\s*<DELIVERY_IDREF type="supplier_specific">123456<\/DELIVERY_IDREF>\s*<\/SHIPMENT_PARTIES_REFERENCE>\s*<SHIPMENT_ID>/, '<SHIPMENT_ID>'),
		);
		expect(bytes.toString()).toContain('<SUPPLIER_IDREF type="supplier_specific">10000735</SUPPLIER_IDREF>');
		expect(bytes.toString()).toContain('<BUYER_IDREF type="supplier_specific">123456</BUYER_IDREF>');
		// the first party with ID 123456 is named by BUYER_IDREF and by the items' DELIVERY_IDREF
		expect(roleOf(bytes)).toEqual(['buyer/buyer/123456', 'delivery/delivery/123456', 'other/other/123456', 'other/other/123456', 'supplier/supplier/10000735']);
	});

	it('does not match a reference to a party ID of another type', () => {
		const bytes = itscopeWith((t) =>
			t.replace('<PARTY_ROLE>delivery</PARTY_ROLE>', '<PARTY_ROLE>other</PARTY_ROLE>').replace(/<DELIVERY_IDREF type="supplier_specific">/g, '<DELIVERY_IDREF type="buyer_specific">'),
		);
		expect(roleOf(bytes)).not.toContain('delivery/delivery/123456');
	});
});

describe('parseDispatchNotification and control characters', () => {
	it('refuses an XML 1.1 character reference to ESC in a value, as DESADV and MT940 refuse control characters', () => {
		const bytes = itscopeWith((t) =>
			t.replace('<?xml version="1.0"', '<?xml version="1.1"').replace('<bme:NAME>ITscope Partner-Test</bme:NAME>', '<bme:NAME>ITscope&#x1B;[31m Partner-Test</bme:NAME>'),
		);
		expectDocumentError(() => parseDispatchNotification(bytes, ITSCOPE), 'INVALID_VALUE', /^dispatchnotification-itscope\.xml: line 87, column \d+, at NAME: control character U\+001B in a value$/);
	});
});
