import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import { BMECAT_NS, OPENTRANS_NS } from '../../../nodes/shared/documents/orders/openTrans';
import { readOpenTrans } from '../../../nodes/shared/documents/orders/openTransReader';
import { writeOpenTrans } from '../../../nodes/shared/documents/orders/openTransWriter';
import { fixture, sampleOrder } from './sampleDocuments';

function thrown(read: () => unknown): DocumentError {
	try {
		read();
	} catch (e) {
		if (e instanceof DocumentError) return e;
		throw e;
	}
	throw new Error('expected a DocumentError, nothing was thrown');
}

const ITEM = (body: string) =>
	`<ORDER_ITEM><LINE_ITEM_ID>1</LINE_ITEM_ID><PRODUCT_ID><b:SUPPLIER_PID>A-1</b:SUPPLIER_PID></PRODUCT_ID>` +
	`<QUANTITY>200</QUANTITY><b:ORDER_UNIT>C62</b:ORDER_UNIT>${body}</ORDER_ITEM>`;

/** A small third-party order around the given items and summary; `references` follow ORDER_PARTIES_REFERENCE. */
function order(items: string, summary = '<TOTAL_ITEM_NUM>1</TOTAL_ITEM_NUM>', references = ''): Buffer {
	return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<ORDER xmlns="${OPENTRANS_NS}" xmlns:b="${BMECAT_NS}" version="2.1" type="standard">
<ORDER_HEADER><ORDER_INFO><ORDER_ID>B-1</ORDER_ID><ORDER_DATE>2025-01-02</ORDER_DATE>
<PARTIES><PARTY><b:PARTY_ID>buyer-1</b:PARTY_ID><PARTY_ROLE>buyer</PARTY_ROLE></PARTY></PARTIES>
<ORDER_PARTIES_REFERENCE><b:BUYER_IDREF>buyer-1</b:BUYER_IDREF><b:SUPPLIER_IDREF>s</b:SUPPLIER_IDREF></ORDER_PARTIES_REFERENCE>
${references}</ORDER_INFO></ORDER_HEADER>
<ORDER_ITEM_LIST>${items}</ORDER_ITEM_LIST><ORDER_SUMMARY>${summary}</ORDER_SUMMARY></ORDER>`);
}

describe('readOpenTrans with orders written by other software', () => {
	it('reads the ITscope sample order: buyer and delivery party by role, customer number, lines, total, remarks', () => {
		const doc = readOpenTrans(fixture('order-itscope.xml'), 'order-itscope.xml');
		expect(doc).toEqual({
			type: 'order',
			number: 'ORDER_180801-004',
			date: '2018-08-01T18:54:55',
			// no DOCUMENT_ISSUER_IDREF: an order is issued by its buyer
			site: '123456',
			currency: 'EUR',
			customer: {
				customerNumber: '123456',
				name: 'ITscope GmbH',
				street: 'Ludwig-Erhard-Allee 20',
				zip: '76131',
				city: 'Karlsruhe',
				country: 'DE',
				email: 'support@itscope.com',
				phone: '+49 721/6273760',
			},
			delivery: {
				customerNumber: '123456',
				name: 'ITscope GmbH',
				name2: '5 Stock',
				street: 'Ludwig-Erhard-Allee 20',
				zip: '76131',
				city: 'Karlsruhe',
				country: 'DE',
				email: 'support@itscope.com',
				phone: '+49 721/6273760',
			},
			lines: [
				{
					lineNumber: '00001',
					articleNumber: '123002',
					description: 'APPLE iPad Pro Wi-Fi 256 GB Grau - 11" Tablet - 27,9cm-Display',
					quantity: '1.0',
					unit: 'C62',
					netPrice: '868.0',
					lineAmount: '868.0',
				},
				expect.objectContaining({ lineNumber: '00002', articleNumber: '123003', quantity: '2.0', lineAmount: '272.0' }),
				expect.objectContaining({ lineNumber: '00003', description: 'HP Inc HP Color LaserJet Pro MFP M477fdw', netPrice: '386.0' }),
			],
			totals: { net: '2298.0' },
			remarks: 'hier ist ein Kommentar',
		});
		// the long description wins over the short one: it is the whole text
		expect(doc.lines[1].description).toMatch(/^LG 24BK550Y-B - LED-Monitor .*DP1\.2 HDMI DVI-D USB 2x1 2W schwarz$/);
	});

	it('finds the buyer by BUYER_IDREF when the parties have no roles (Naugrimm minimal order with address)', () => {
		const doc = readOpenTrans(fixture('order-minimal-with-address.xml'));
		expect(doc.customer).toEqual({
			name: 'Someone',
			name2: 'Else',
			street: 'Some street',
			zip: '98765',
			city: 'Somewhere',
			country: 'DE',
			phone: '+49 123 456789 - 0',
		});
		expect(doc.delivery).toBeUndefined();
		expect(doc.site).toBe('org.de.buyer');
	});

	it('leaves out prices, totals and currency that the file does not give, instead of inventing zeros', () => {
		const doc = readOpenTrans(fixture('order-minimal.xml'));
		expect(doc.lines).toEqual([
			{ lineNumber: 'line-item-id-1', articleNumber: 'product-number-1', description: '', quantity: '10.0', unit: 'C62' },
		]);
		expect(doc.totals).toEqual({});
		expect(doc.currency).toBe('');
		expect(doc.customer).toEqual({ name: '', street: '', zip: '', city: '' });
	});

	it('finds BMEcat elements by namespace, whatever prefix binds them or none', () => {
		const ours = writeOpenTrans(sampleOrder()).toString('utf-8');
		const expected = readOpenTrans(Buffer.from(ours));
		const otherPrefix = ours.replace(/bmecat:/g, 'bme:').replace('xmlns:bmecat=', 'xmlns:bme=');
		const unprefixed = ours
			.replace(/<bmecat:([A-Z0-9_]+)/g, `<$1 xmlns="${BMECAT_NS}"`)
			.replace(/<\/bmecat:([A-Z0-9_]+)>/g, '</$1>');
		expect(otherPrefix).toContain('<bme:NAME>');
		expect(unprefixed).toContain(`<NAME xmlns="${BMECAT_NS}">`);
		expect(readOpenTrans(Buffer.from(otherPrefix))).toEqual(expected);
		expect(readOpenTrans(Buffer.from(unprefixed))).toEqual(expected);
	});

	it('does not take an element of the wrong namespace for a BMEcat one', () => {
		const wrong = writeOpenTrans(sampleOrder())
			.toString('utf-8')
			.replace('<bmecat:ORDER_UNIT>MTR</bmecat:ORDER_UNIT>', '<ORDER_UNIT>MTR</ORDER_UNIT>');
		// ORDER_UNIT in the openTRANS namespace is not bmecat:ORDER_UNIT, so the line falls back to C62
		expect(readOpenTrans(Buffer.from(wrong)).lines[1].unit).toBe('C62');
	});

	it('takes the sending site from DOCUMENT_ISSUER_IDREF, openTRANS\'s element for who issued the document', () => {
		const issued = order(
			ITEM(''),
			undefined,
			'<DOCEXCHANGE_PARTIES_REFERENCE><DOCUMENT_ISSUER_IDREF type="site">filiale-3</DOCUMENT_ISSUER_IDREF></DOCEXCHANGE_PARTIES_REFERENCE>',
		);
		expect(readOpenTrans(issued).site).toBe('filiale-3');
		// without it, an order is issued by its buyer
		expect(readOpenTrans(order(ITEM(''))).site).toBe('buyer-1');
	});

	it('reads a document inside the OPENTRANS envelope', () => {
		const inner = writeOpenTrans(sampleOrder()).toString('utf-8').replace(/^<\?xml[^>]*>\n/, '');
		const wrapped = `<?xml version="1.0"?><OPENTRANS xmlns="${OPENTRANS_NS}">${inner}</OPENTRANS>`;
		expect(readOpenTrans(Buffer.from(wrapped)).number).toBe('AU-2025-0042');
	});

	it('reads an ISO-8859-1 file by its XML declaration', () => {
		const utf8 = writeOpenTrans(sampleOrder()).toString('utf-8');
		// keep to characters Latin-1 has
		const latin1Text = utf8.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(/×/g, 'x').replace('mm²', 'mm2');
		const doc = readOpenTrans(Buffer.from(latin1Text, 'latin1'));
		expect(doc.customer.name).toBe('Müller & Söhne GmbH');
		expect(doc.customer.name2).toBe('z. Hd. Frau Weiß');
	});

	it('reads the tax rate as a percentage whether the sender wrote the factor 0.19 or, against the standard, 19', () => {
		const price = (tax: string) =>
			`<PRODUCT_PRICE_FIX><b:PRICE_AMOUNT>2.50</b:PRICE_AMOUNT><TAX_DETAILS_FIX><b:TAX>${tax}</b:TAX></TAX_DETAILS_FIX></PRODUCT_PRICE_FIX>`;
		expect(readOpenTrans(order(ITEM(price('0.19')))).lines[0].vatRate).toBe('19');
		expect(readOpenTrans(order(ITEM(price('0.07')))).lines[0].vatRate).toBe('7');
		expect(readOpenTrans(order(ITEM(price('19')))).lines[0].vatRate).toBe('19');
		expect(readOpenTrans(order(ITEM(price('0')))).lines[0].vatRate).toBe('0');
	});

	it('turns a price per 100 pieces (PRICE_QUANTITY) into a price per piece', () => {
		const item = ITEM(
			'<PRODUCT_PRICE_FIX><b:PRICE_AMOUNT>12.00</b:PRICE_AMOUNT><b:PRICE_QUANTITY>100</b:PRICE_QUANTITY></PRODUCT_PRICE_FIX>' +
				'<PRICE_LINE_AMOUNT>24.00</PRICE_LINE_AMOUNT>',
		);
		const line = readOpenTrans(order(item)).lines[0];
		expect([line.netPrice, line.lineAmount]).toEqual(['0.12', '24.00']);
	});
});

describe('readOpenTrans refuses what it cannot read, saying where', () => {
	it.each(['DISPATCHNOTIFICATION', 'INVOICE', 'ORDERRESPONSE', 'RFQ'])(
		'refuses an openTRANS %s as UNSUPPORTED_FORMAT, naming it',
		(root) => {
			const e = thrown(() =>
				readOpenTrans(Buffer.from(`<${root} xmlns="${OPENTRANS_NS}" version="2.1"/>`), `${root.toLowerCase()}.xml`),
			);
			expect(e.code).toBe('UNSUPPORTED_FORMAT');
			expect(e.message).toContain(`${root.toLowerCase()}.xml`);
			expect(e.message).toContain(`this is an openTRANS ${root}, not an ORDER or QUOTATION`);
		},
	);

	it('refuses XML that is not openTRANS, naming its root element and namespace', () => {
		const camt = Buffer.from('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>');
		const e = thrown(() => readOpenTrans(camt, 'auszug.xml'));
		expect(e.code).toBe('UNSUPPORTED_FORMAT');
		expect(e.message).toContain('{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}Document');
	});

	it('refuses an ORDER of another openTRANS version by its namespace', () => {
		const v1 = Buffer.from('<ORDER xmlns="http://www.opentrans.org/XMLSchema/1.0" version="1.0" type="standard"/>');
		expect(thrown(() => readOpenTrans(v1)).code).toBe('UNSUPPORTED_FORMAT');
	});

	it('refuses a file whose TOTAL_ITEM_NUM disagrees with its lines, as a file cut short would', () => {
		const e = thrown(() => readOpenTrans(order(ITEM(''), '<TOTAL_ITEM_NUM>2</TOTAL_ITEM_NUM>'), 'cut.xml'));
		expect(e.code).toBe('INVALID_VALUE');
		expect(e.message).toMatch(/^cut\.xml: line \d+, at ORDER\/ORDER_SUMMARY\/TOTAL_ITEM_NUM: TOTAL_ITEM_NUM says 2 lines, but the document has 1$/);
	});

	it('names the file and the element path when ORDER_ID is missing', () => {
		const noId = order(ITEM('')).toString('utf-8').replace('<ORDER_ID>B-1</ORDER_ID>', '');
		const e = thrown(() => readOpenTrans(Buffer.from(noId), 'ohne-nummer.xml'));
		expect(e.code).toBe('MISSING_FIELD');
		expect(e.message).toContain('ohne-nummer.xml');
		expect(e.position.element).toBe('ORDER/ORDER_HEADER/ORDER_INFO/ORDER_ID');
	});

	it('refuses a quantity written with a decimal comma, with its line and path', () => {
		const comma = order(ITEM('')).toString('utf-8').replace('<QUANTITY>200</QUANTITY>', '<QUANTITY>1,5</QUANTITY>');
		const e = thrown(() => readOpenTrans(Buffer.from(comma), 'komma.xml'));
		expect(e.code).toBe('INVALID_VALUE');
		expect(e.position.element).toBe('ORDER/ORDER_ITEM_LIST/ORDER_ITEM/QUANTITY');
	});

	it('refuses a DOCTYPE (external entities) before reading anything', () => {
		const xxe = Buffer.from(
			`<?xml version="1.0"?>\n<!DOCTYPE ORDER [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<ORDER xmlns="${OPENTRANS_NS}">&x;</ORDER>`,
		);
		expect(thrown(() => readOpenTrans(xxe, 'evil.xml')).code).toBe('ENTITY_NOT_ALLOWED');
	});
});

describe('readOpenTrans dates', () => {
	const withDate = (date: string) => order(ITEM('')).toString('utf-8').replace('<ORDER_DATE>2025-01-02</ORDER_DATE>', `<ORDER_DATE>${date}</ORDER_DATE>`);

	it('reads ORDER_DATE as a date or a date-time with zone', () => {
		expect(readOpenTrans(Buffer.from(withDate('2024-02-29'))).date).toBe('2024-02-29');
		expect(readOpenTrans(Buffer.from(withDate('2025-03-14T10:30:00+01:00'))).date).toBe('2025-03-14T10:30:00+01:00');
		expect(readOpenTrans(Buffer.from(withDate(' <![CDATA[2021-10-22T00:00:00]]> '))).date).toBe('2021-10-22T00:00:00');
	});

	it('refuses an ORDER_DATE that the calendar does not have, naming the element', () => {
		for (const date of ['2025-02-30', '2025-02-29', '9999-99-99', '2025-13-01', '2025-04-31T10:00:00', '14.03.2025', '2025']) {
			const e = thrown(() => readOpenTrans(Buffer.from(withDate(date)), 'o.xml'));
			expect([e.code, e.message]).toEqual(['INVALID_VALUE', `o.xml: line 3, at ORDER/ORDER_HEADER/ORDER_INFO/ORDER_DATE: ORDER_DATE "${date}" is not a date (YYYY-MM-DD, optionally with a time)`]);
		}
	});

	it('never glues two dates together from mixed text and CDATA', () => {
		// text and CDATA side by side are one value in XML: "2025-01-012025-02-02", which is no date
		const glued = thrown(() => readOpenTrans(Buffer.from(withDate('2025-01-01<![CDATA[2025-02-02]]>')), 'o.xml'));
		expect(glued.message).toMatch(/ORDER_DATE "2025-01-012025-02-02" is not a date/);
		// a comment or element between two texts makes them two values, which is refused before any date check
		for (const mixed of ['2025-01-01<!-- or -->2025-02-02', '2025-01-<b:X/>01']) {
			const e = thrown(() => readOpenTrans(Buffer.from(withDate(mixed)), 'o.xml'));
			expect([e.code, e.message]).toEqual(['PARSE_ERROR', expect.stringMatching(/^o\.xml: line 3, column \d+, at ORDER\/ORDER_HEADER\/ORDER_INFO\/ORDER_DATE: ORDER_DATE has text on both sides/)]);
		}
	});
});

describe('readOpenTrans parties by role and reference (ITscope sample order, edited)', () => {
	const itscope = fixture('order-itscope.xml').toString('utf-8');
	const edited = (edit: (t: string) => string) => {
		const text = edit(itscope);
		expect(text).not.toBe(itscope);
		return readOpenTrans(Buffer.from(text));
	};

	it('takes the party in the role customer as the buyer when none is named buyer', () => {
		const doc = edited((t) => t.replace('<PARTY_ROLE>buyer</PARTY_ROLE>', '<PARTY_ROLE>customer</PARTY_ROLE>'));
		expect(doc.customer).toEqual(readOpenTrans(Buffer.from(itscope)).customer);
		expect(doc.customer.name).not.toBe('');
	});

	it('finds buyer and delivery party by references written in the other namespace', () => {
		// no PARTY_ROLE at all; BUYER_IDREF without its bmecat prefix, DELIVERY_IDREF with it, pointing to a third party
		const doc = edited((t) =>
			t
				.replace(/\s*<PARTY_ROLE>[a-z_]+<\/PARTY_ROLE>/g, '')
				.replace(/(<PARTY>\s*<bme:PARTY_ID type="supplier_specific">)123456(<\/bme:PARTY_ID>)((?:(?!<\/PARTY>)[\s\S])*<\/PARTY>\s*<\/PARTIES>)/, '$1D-77$2$3')
				.replace(/<bme:BUYER_IDREF (type="supplier_specific">123456)<\/bme:BUYER_IDREF>/, '<BUYER_IDREF $1</BUYER_IDREF>')
				.replace(/<DELIVERY_IDREF (type="supplier_specific">)123456<\/DELIVERY_IDREF>/, '<bme:DELIVERY_IDREF $1D-77</bme:DELIVERY_IDREF>'),
		);
		const original = readOpenTrans(Buffer.from(itscope));
		expect(doc.customer).toEqual(original.customer);
		expect(doc.delivery).toEqual({ ...original.delivery, customerNumber: 'D-77' });
	});
});

describe('readOpenTrans with files that are not openTRANS at all', () => {
	const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1')]);
	test.each([
		['Auftrag_10001.pdf', pdf, 'this is a PDF document'],
		['Auftrag_10001.qtf', Buffer.from([0x51, 0x54, 0x46, 0x01, 0x00, 0x8a, 0xff, 0x10]), 'this is an OfficeSI transfer file (.qtf)'],
		['Auftrag_10001.qtf', Buffer.from('QTF;10001;Optik Maier;Bahnhofstr. 12\r\n'), 'this is an OfficeSI transfer file (.qtf)'],
		['bestellung.zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), 'this is a ZIP archive'],
		['notiz.txt', Buffer.from('Bitte 3 Stück liefern'), 'this is not XML'],
		['leer.xml', Buffer.alloc(0), 'this is an empty file'],
	])('%s is refused as what it is, naming what is expected', (name, bytes, what) => {
		expect(() => readOpenTrans(bytes, name)).toThrow(
			expect.objectContaining({
				code: 'UNSUPPORTED_FORMAT',
				message: expect.stringContaining(`${name}: not an openTRANS file: ${what}`),
			}),
		);
		expect(() => readOpenTrans(bytes, name)).toThrow('expected an openTRANS 2.1 ORDER or QUOTATION as an XML file (.xml)');
	});

	test('a .qtf file is told how to get openTRANS instead', () => {
		expect(() => readOpenTrans(Buffer.from('QTF;1'), 'a.qtf')).toThrow('OfficeSI’s own .qtf format cannot be read: send the order as openTRANS');
	});

	test('a root element after a byte order mark and blank lines still reaches the XML reader', () => {
		const xml = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\r\n  <foo/>')]);
		expect(() => readOpenTrans(xml, 'foo.xml')).toThrow('the root element is foo');
	});
});
