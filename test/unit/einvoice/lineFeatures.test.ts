import type { Invoice } from '../../../nodes/shared/documents/invoices';
import { checkInvoice, computeTotals, renderInvoicePdf } from '../../../nodes/shared/documents/invoices';
import { EInvoiceError, validateForEInvoice, writeCiiInvoice } from '../../../nodes/shared/documents/invoices/cii';
import { parseXml } from '../../../nodes/shared/documents/xml';
import { keep as keepPdf, pdfPages } from '../invoices/helpers';
import { line, sampleInvoice } from '../invoices/sampleInvoices';
import { forAuthority } from './einvoiceSamples';
import { CII_XSD, EN16931_XSLT, FACTURX_XSD, XRECHNUNG_XSLT, fatal, keep, schematron, xsdErrors } from './validators';

/**
 * Line features of EN 16931 beyond quantity × price: the price base quantity (BT-149: a price per 100 pieces)
 * and the line's own period (BG-26); and rule references that name the rule — or §14 UStG — that really asks.
 */

function perHundred(): Invoice {
	return sampleInvoice({
		number: 'RE-2025-0301',
		lines: [
			{ ...line('Schrauben M4 × 20, verzinkt', '2500', '4.35', '19', 'H87'), priceBaseQuantity: '100' },
			{ ...line('Dübel 6 mm', '333', '1.99', '19', 'H87'), priceBaseQuantity: '1000' },
		],
	});
}

function withLinePeriods(): Invoice {
	return sampleInvoice({
		number: 'RE-2025-0302',
		deliveryDate: undefined,
		servicePeriod: { from: '2025-01-01', to: '2025-03-31' },
		lines: [
			{ ...line('Wartungsvertrag Januar', '1', '120', '19', 'MON'), period: { from: '2025-01-01', to: '2025-01-31' } },
			{ ...line('Wartungsvertrag Februar', '1', '120', '19', 'MON'), period: { from: '2025-02-01', to: '2025-02-28' } },
			{ ...line('Wartungsvertrag März', '1', '120', '19', 'MON'), period: { from: '2025-03-01', to: '2025-03-31' } },
		],
	});
}

/** A service whose place of supply is abroad: not subject to German VAT (category O). */
function notSubject(): Invoice {
	return sampleInvoice({
		number: 'RE-2025-0303',
		buyer: { ...sampleInvoice().buyer, country: 'CH', city: 'Zürich', zip: '8001', vatId: 'CHE123456789' },
		lines: [{ ...line('Beratung, Leistungsort Schweiz', '8', '150', '0', 'HUR'), vatCategory: 'O' }],
	});
}

describe('VAT category O (not subject to VAT)', () => {
	it('writes category O with its reason and code, no rate on its lines and no VAT ID of either party', () => {
		const xml = writeCiiInvoice(notSubject(), 'EN16931').toString('utf8');
		const root = parseXml(xml);
		const breakdown = root.find('SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/ApplicableTradeTax');
		expect(breakdown?.find('CategoryCode')?.text).toBe('O');
		expect(breakdown?.find('ExemptionReasonCode')?.text).toBe('VATEX-EU-O');
		expect(breakdown?.find('ExemptionReason')?.text).toBe('Nicht im Inland steuerbare Leistung');
		const lineTax = root.find('SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem/SpecifiedLineTradeSettlement/ApplicableTradeTax');
		expect(lineTax?.find('CategoryCode')?.text).toBe('O');
		expect(lineTax?.find('RateApplicablePercent')).toBeUndefined();
		expect(xml).not.toContain('schemeID="VA"');
		expect(computeTotals(notSubject()).vatTotal).toBe('0.00');
	});

	it('refuses an invoice that mixes O with another category (BR-O-11)', () => {
		const mixed = notSubject();
		mixed.lines.push(line('Reisekosten', '1', '100', '19'));
		expect(() => validateForEInvoice(mixed, 'EN16931')).toThrow(/\(BR-O-11\)$/);
	});

	it('prints the category on the PDF with its reason', async () => {
		const text = pdfPages(keepPdf('invoice-not-subject-to-vat.pdf', await renderInvoicePdf(notSubject()))).join(' ');
		expect(text).toMatch(/nicht steuerbar/);
		expect(text).toMatch(/Nicht im Inland steuerbare Leistung/);
	});
});

describe('price base quantity (BT-149)', () => {
	it('divides the line amount by the base quantity, exactly, and rounds once per line', () => {
		const totals = computeTotals(perHundred());
		// 2500 × 4.35 / 100 = 108.75; 333 × 1.99 / 1000 = 0.66267 → 0.66
		expect(totals.lineNetAmounts).toEqual(['108.75', '0.66']);
		expect(totals.netTotal).toBe('109.41');
		expect(totals.vatTotal).toBe('20.79');
	});

	it('refuses a base quantity of 0, naming the line field', () => {
		const invoice = perHundred();
		invoice.lines[0].priceBaseQuantity = '0';
		expect(() => checkInvoice(invoice)).toThrow(/lines\[1\]\.priceBaseQuantity must be above 0/);
	});

	it('writes the base quantity with the unit code beside the net price', () => {
		const root = parseXml(writeCiiInvoice(perHundred(), 'EN16931').toString('utf8'));
		const price = root.find('SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem/SpecifiedLineTradeAgreement/NetPriceProductTradePrice');
		expect(price?.find('ChargeAmount')?.text).toBe('4.35');
		expect(price?.find('BasisQuantity')?.text).toBe('100');
		expect(price?.find('BasisQuantity')?.attributes.unitCode).toBe('H87');
	});

	it('prints what the price is for under the description', async () => {
		const text = pdfPages(keepPdf('invoice-price-per-hundred.pdf', await renderInvoicePdf(perHundred()))).join(' ');
		expect(text).toMatch(/Preis je 100 Stück/);
		expect(text).toMatch(/Preis je 1\.000 Stück/);
		expect(text).toContain('108,75');
	});
});

describe('invoice line period (BG-26)', () => {
	it('writes each line period into the line settlement', () => {
		const root = parseXml(writeCiiInvoice(withLinePeriods(), 'EN16931').toString('utf8'));
		const period = root.find('SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem/SpecifiedLineTradeSettlement/BillingSpecifiedPeriod');
		expect(period?.find('StartDateTime/DateTimeString')?.text).toBe('20250101');
		expect(period?.find('EndDateTime/DateTimeString')?.text).toBe('20250131');
	});

	it('refuses a line period that ends before it starts with BR-30, and a broken date with BR-CO-20', () => {
		const backwards = withLinePeriods();
		backwards.lines[1].period = { from: '2025-02-28', to: '2025-02-01' };
		const error = (() => {
			try {
				validateForEInvoice(backwards, 'EN16931');
			} catch (e) {
				return e as EInvoiceError;
			}
			throw new Error('not refused');
		})();
		expect([error.rule, error.position.element]).toEqual(['BR-30', 'lines[2].period']);
		const broken = withLinePeriods();
		broken.lines[0].period = { from: '2025-02-30', to: '2025-03-01' };
		expect(() => validateForEInvoice(broken, 'EN16931')).toThrow(/\(BR-CO-20\)$/);
	});

	it('prints each line period under its description', async () => {
		const text = pdfPages(keepPdf('invoice-line-periods.pdf', await renderInvoicePdf(withLinePeriods()))).join(' ');
		expect(text).toMatch(/Leistungszeitraum 01\.02\.2025 – 28\.02\.2025/);
	});
});

describe('rule references', () => {
	const ruleOf = (invoice: Invoice, profile: 'EN16931' | 'XRECHNUNG' = 'EN16931'): [string, string | undefined] => {
		try {
			validateForEInvoice(invoice, profile);
		} catch (e) {
			return [(e as EInvoiceError).rule, (e as EInvoiceError).position.element];
		}
		throw new Error('not refused');
	};

	it('names §14 UStG, not BR-08 or BR-10, for a missing street, which EN 16931 does not require', () => {
		expect(ruleOf(sampleInvoice({ seller: { ...sampleInvoice().seller, street: '' } }))).toEqual(['§14 Abs. 4 Nr. 1 UStG', 'seller.street']);
		expect(ruleOf(sampleInvoice({ buyer: { ...sampleInvoice().buyer, street: '' } }))).toEqual(['§14 Abs. 4 Nr. 1 UStG', 'buyer.street']);
	});

	it("names XRechnung's own rules for a missing postcode or city", () => {
		const authority = forAuthority(sampleInvoice());
		expect(ruleOf({ ...authority, seller: { ...authority.seller, city: '' } }, 'XRECHNUNG')).toEqual(['BR-DE-3', 'seller.city']);
		expect(ruleOf({ ...authority, buyer: { ...authority.buyer, zip: '' } }, 'XRECHNUNG')).toEqual(['BR-DE-9', 'buyer.zip']);
	});

	it('names the rule of the VAT category for a missing VAT ID — never BR-O-02, which forbids one', () => {
		const noIds = { ...sampleInvoice().seller, vatId: undefined, taxNumber: undefined };
		expect(ruleOf(sampleInvoice({ seller: noIds }))).toEqual(['BR-S-02', 'seller.vatId']);
		const exempt = sampleInvoice({ seller: noIds, lines: [{ ...line('Heilbehandlung', '1', '80', '0'), vatCategory: 'E' }] });
		expect(ruleOf(exempt)).toEqual(['BR-E-02', 'seller.vatId']);
	});
});

describe('the official schematrons', () => {
	const written = new Map<string, string>();
	let en: Map<string, ReturnType<typeof fatal>>;
	let xr: Map<string, ReturnType<typeof fatal>>;

	beforeAll(() => {
		for (const [name, make] of [
			['price-base-quantity', perHundred],
			['line-periods', withLinePeriods],
			['not-subject-to-vat', notSubject],
		] as const) {
			written.set(`${name}|EN16931`, keep(`${name}-en16931.xml`, writeCiiInvoice(make(), 'EN16931')));
			written.set(`${name}|XRECHNUNG`, keep(`${name}-xrechnung.xml`, writeCiiInvoice(forAuthority(make()), 'XRECHNUNG')));
		}
		en = schematron([...written.values()], EN16931_XSLT);
		xr = schematron(
			[...written.entries()].filter(([k]) => k.endsWith('XRECHNUNG')).map(([, path]) => path),
			XRECHNUNG_XSLT,
		);
	}, 300_000);

	it.each(['price-base-quantity', 'line-periods', 'not-subject-to-vat'])('%s passes the CII and Factur-X schemas and the EN 16931 and XRechnung schematrons', (name) => {
		for (const profile of ['EN16931', 'XRECHNUNG']) {
			const path = written.get(`${name}|${profile}`)!;
			expect(xsdErrors(path, CII_XSD)).toEqual([]);
			expect(xsdErrors(path, FACTURX_XSD)).toEqual([]);
			expect(fatal(en.get(path)!)).toEqual([]);
		}
		expect(fatal(xr.get(written.get(`${name}|XRECHNUNG`)!)!)).toEqual([]);
	});
});
