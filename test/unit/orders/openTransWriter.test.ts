import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import { BMECAT_NS, OPENTRANS_NS } from '../../../nodes/shared/documents/orders/openTrans';
import { writeOpenTrans } from '../../../nodes/shared/documents/orders/openTransWriter';
import type { BusinessDocument } from '../../../nodes/shared/documents/orders/types';
import { parseXml } from '../../../nodes/shared/documents/xml';
import { sampleOrder, sampleQuote, validateOpenTrans } from './sampleDocuments';

function thrown(write: () => unknown): DocumentError {
	try {
		write();
	} catch (e) {
		if (e instanceof DocumentError) return e;
		throw e;
	}
	throw new Error('expected a DocumentError, nothing was thrown');
}

describe('writeOpenTrans and the openTRANS 2.1 schema', () => {
	it('writes an order with several lines and a delivery address that validates against opentrans_2_1.xsd', () => {
		const xml = writeOpenTrans(sampleOrder());
		expect(validateOpenTrans(xml)).toEqual({ valid: true, messages: '- validates' });
		expect(xml.toString('utf-8')).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<ORDER /);
	});

	it('writes an order without a delivery address that validates', () => {
		const order = sampleOrder();
		delete order.delivery;
		const xml = writeOpenTrans(order);
		expect(validateOpenTrans(xml)).toEqual({ valid: true, messages: '- validates' });
		expect(xml.toString('utf-8')).not.toContain('<PARTY_ROLE>delivery</PARTY_ROLE>');
	});

	it('writes a quote as a QUOTATION that validates, with umlauts, & and < in its texts', () => {
		const xml = writeOpenTrans(sampleQuote());
		expect(validateOpenTrans(xml)).toEqual({ valid: true, messages: '- validates' });
		const text = xml.toString('utf-8');
		expect(text).toContain('<QUOTATION ');
		expect(text).toContain('<bmecat:NAME>Jörg Weiß</bmecat:NAME>');
		expect(text).toContain('Heizkörperthermostat „Öko“ &lt;smart&gt; &amp; leise');
	});

	it('writes a quote with a delivery address, and an order with a free-text line and no prices, that both validate', () => {
		const quote: BusinessDocument = { ...sampleQuote(), delivery: { ...sampleOrder().delivery! } };
		expect(validateOpenTrans(writeOpenTrans(quote)).messages).toBe('- validates');
		const order: BusinessDocument = {
			...sampleOrder(),
			currency: '',
			lines: [{ lineNumber: '1', description: 'Reparatur nach Aufwand', quantity: '1', unit: 'C62' }],
			totals: {},
		};
		expect(validateOpenTrans(writeOpenTrans(order)).messages).toBe('- validates');
	});

	it('puts a long or multi-line description whole into DESCRIPTION_LONG and its first line into DESCRIPTION_SHORT', () => {
		const order = sampleOrder();
		order.lines[0].description = 'Sonderanfertigung ' + 'Edelstahlgeländer '.repeat(12) + '\nmit Montage';
		const xml = writeOpenTrans(order);
		expect(validateOpenTrans(xml).messages).toBe('- validates');
		const item = parseXml(xml.toString('utf-8')).find('ORDER_ITEM_LIST/ORDER_ITEM/PRODUCT_ID')!;
		const short = item.first('DESCRIPTION_SHORT', BMECAT_NS)!.text;
		expect([...short].length).toBeLessThanOrEqual(150);
		expect(short.endsWith('…')).toBe(true);
		expect(item.first('DESCRIPTION_LONG', BMECAT_NS)!.text).toBe(order.lines[0].description);
	});

	it('escapes &, < and > in every text, so that no markup can be injected', () => {
		const text = writeOpenTrans(sampleOrder()).toString('utf-8');
		expect(text).toContain('<bmecat:NAME>Müller &amp; Söhne GmbH</bmecat:NAME>');
		expect(text).toContain('Baustelle &lt;Nord&gt; &amp; Lager');
		expect(text).toContain('<REMARKS type="general">Lieferung nur werktags &lt; 16 Uhr &amp; bitte vorher anrufen</REMARKS>');
		expect(text).not.toContain('<verzinkt>');
	});

	it('carries the sending site as a PARTY with PARTY_ID type="site" and as DOCUMENT_ISSUER_IDREF', () => {
		const root = parseXml(writeOpenTrans(sampleOrder()).toString('utf-8'));
		const info = root.find('ORDER_HEADER/ORDER_INFO')!;
		const siteParty = info.find('PARTIES')!.all('PARTY').find((p) => p.first('PARTY_ID', BMECAT_NS)?.attributes.type === 'site')!;
		expect(siteParty.first('PARTY_ID', BMECAT_NS)!.text).toBe('homeoffice-1');
		expect(siteParty.all('PARTY_ROLE').map((r) => r.text)).toEqual(['supplier', 'document_creator']);
		const issuer = info.first('DOCEXCHANGE_PARTIES_REFERENCE', OPENTRANS_NS)!.first('DOCUMENT_ISSUER_IDREF', OPENTRANS_NS)!;
		expect(issuer.text).toBe('homeoffice-1');
		expect(issuer.attributes.type).toBe('site');
		expect(info.find('ORDER_PARTIES_REFERENCE/SUPPLIER_IDREF')!.text).toBe('homeoffice-1');
	});

	it('gives the customer number as a supplier_specific PARTY_ID, and a customer without one an ID local to the document', () => {
		const withNumber = parseXml(writeOpenTrans(sampleOrder()).toString('utf-8'));
		const buyerRef = withNumber.find('ORDER_HEADER/ORDER_INFO/ORDER_PARTIES_REFERENCE/BUYER_IDREF')!;
		expect([buyerRef.attributes.type, buyerRef.text]).toEqual(['supplier_specific', '10042']);
		const without = parseXml(writeOpenTrans(sampleQuote()).toString('utf-8'));
		const ref = without.find('QUOTATION_HEADER/QUOTATION_INFO/ORDER_PARTIES_REFERENCE/BUYER_IDREF')!;
		expect([ref.attributes.type, ref.text]).toEqual(['document', 'customer']);
	});

	it("writes the VAT rate as BMEcat's factor: 0.19 for 19 %, 0.07 for 7 %", () => {
		const root = parseXml(writeOpenTrans(sampleOrder()).toString('utf-8'));
		const rates = root
			.findAll('ORDER_ITEM_LIST/ORDER_ITEM/PRODUCT_PRICE_FIX/TAX_DETAILS_FIX')
			.map((t) => t.first('TAX', BMECAT_NS)!.text);
		expect(rates).toEqual(['0.19', '0.19', '0.19', '0.07']);
	});

	it('writes the same bytes for the same document, and a generation date only when asked', () => {
		expect(writeOpenTrans(sampleOrder()).equals(writeOpenTrans(sampleOrder()))).toBe(true);
		const dated = writeOpenTrans(sampleOrder(), { generatedAt: new Date('2025-03-14T08:00:00Z') });
		expect(dated.toString('utf-8')).toContain('<GENERATION_DATE>2025-03-14T08:00:00.000Z</GENERATION_DATE>');
		expect(validateOpenTrans(dated).messages).toBe('- validates');
	});

	it('is checked by a schema validation that does reject a broken document', () => {
		const broken = writeOpenTrans(sampleOrder()).toString('utf-8').replace('<PARTY_ROLE>buyer</PARTY_ROLE>', '<PARTY_ROLE>seller</PARTY_ROLE>');
		const verdict = validateOpenTrans(Buffer.from(broken));
		expect(verdict.valid).toBe(false);
		expect(verdict.messages).toMatch(/PARTY_ROLE/);
	});
});

describe('writeOpenTrans refuses what must not leave the site', () => {
	it.each([['invoice' as const, /invoices are never transferred/], ['creditNote' as const, /credit notes are never transferred/]])(
		'refuses a document of type %s, which is never transferred between sites',
		(type, message) => {
			const e = thrown(() => writeOpenTrans({ ...sampleOrder(), type }));
			expect(e.code).toBe('INVALID_VALUE');
			expect(e.message).toMatch(message);
		},
	);

	const cases: Array<[string, (d: BusinessDocument) => void, string, RegExp]> = [
		['a unit code BMEcat 2005 does not know', (d) => (d.lines[0].unit = 'H87'), 'lines[0].unit', /for pieces use C62/],
		['an unknown currency', (d) => (d.currency = 'EURO'), 'currency', /ISO 4217/],
		['a name longer than openTRANS allows', (d) => (d.customer.name = 'x'.repeat(51)), 'customer.name', /51 characters long; openTRANS allows at most 50/],
		['a quantity with a decimal comma', (d) => (d.lines[1].quantity = '25,5'), 'lines[1].quantity', /not a decimal number/],
		['a German date', (d) => (d.date = '14.03.2025'), 'date', /not an ISO 8601 date/],
		['an article number longer than 32 characters', (d) => (d.lines[0].articleNumber = 'A'.repeat(33)), 'lines[0].articleNumber', /at most 32/],
		['a control character', (d) => (d.remarks = 'Bitte\u0007klingeln'), 'remarks', /U\+0007/],
		['a document without lines', (d) => (d.lines = []), 'lines', /no lines/],
		['a VAT rate without a price', (d) => delete d.lines[0].netPrice, 'lines[0].netPrice', /needs a net price/],
		['an empty document number', (d) => (d.number = '  '), 'number', /must not be empty/],
	];
	it.each(cases)('refuses %s, naming the field', (_, spoil, field, message) => {
		const doc = sampleOrder();
		spoil(doc);
		const e = thrown(() => writeOpenTrans(doc));
		expect(e.position.element).toBe(field);
		expect(e.message).toMatch(message);
	});

	it('refuses a quote without a currency, which QUOTATION requires', () => {
		const e = thrown(() => writeOpenTrans({ ...sampleQuote(), currency: '' }));
		expect([e.code, e.position.element]).toEqual(['MISSING_FIELD', 'currency']);
	});
});
