import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import type { Invoice } from '../../../nodes/shared/documents/invoices';
import {
	EInvoiceError,
	eInvoiceXmlFileName,
	validateForEInvoice,
	writeCiiInvoice,
} from '../../../nodes/shared/documents/invoices/cii';
import type { EInvoiceProfile } from '../../../nodes/shared/documents/invoices/cii';
import { parseXml } from '../../../nodes/shared/documents/xml';
import { line, sampleInvoice } from '../invoices/sampleInvoices';
import { LEITWEG_ID, creditNote, forAuthority, oneRate, reverseCharge } from './einvoiceSamples';
import { CII_XSD, EN16931_XSLT, FACTURX_XSD, XRECHNUNG_XSLT, fatal, keep, schematron, xsdErrors } from './validators';
import type { FailedAssertion } from './validators';

function refusal(invoice: Invoice, profile: EInvoiceProfile): EInvoiceError {
	try {
		validateForEInvoice(invoice, profile);
	} catch (error) {
		if (error instanceof EInvoiceError) return error;
		throw new Error(`expected an EInvoiceError, got ${String(error)}`);
	}
	throw new Error('expected the invoice to be refused, but it passed');
}

const authority = (): Invoice => forAuthority(sampleInvoice());

describe('validateForEInvoice', () => {
	it.each<[string, () => Invoice, EInvoiceProfile, string, string]>([
		[
			'an XRechnung without the buyer reference (Leitweg-ID)',
			() => ({ ...authority(), buyer: { ...authority().buyer, buyerReference: undefined } }),
			'XRECHNUNG',
			'buyer.buyerReference',
			'BR-DE-15',
		],
		[
			'a seller with a tax number but neither VAT ID nor register entry',
			() => sampleInvoice({ seller: { ...sampleInvoice().seller, vatId: undefined, commercialRegister: undefined } }),
			'EN16931',
			'seller.vatId',
			'BR-CO-26',
		],
		[
			'a seller with neither VAT ID nor tax number, standard-rated lines',
			() => sampleInvoice({ seller: { ...sampleInvoice().seller, vatId: undefined, taxNumber: undefined } }),
			'EN16931',
			'seller.vatId',
			'BR-S-02',
		],
		[
			'an XRechnung without the seller e-mail (electronic address and contact)',
			() => ({ ...authority(), seller: { ...authority().seller, email: undefined } }),
			'XRECHNUNG',
			'seller.email',
			'PEPPOL-EN16931-R020',
		],
		[
			'an XRechnung without the seller telephone number',
			() => ({ ...authority(), seller: { ...authority().seller, phone: '' } }),
			'XRECHNUNG',
			'seller.phone',
			'BR-DE-6',
		],
		['an XRechnung invoice without payment instructions', () => ({ ...authority(), bankAccount: undefined }), 'XRECHNUNG', 'bankAccount.iban', 'BR-DE-1'],
		[
			'an XRechnung whose buyer has no electronic address',
			() => ({ ...authority(), buyer: { ...authority().buyer, buyerReference: 'Projekt Nord', email: undefined } }),
			'XRECHNUNG',
			'buyer.email',
			'PEPPOL-EN16931-R010',
		],
		[
			'a unit that is no UN/ECE Rec. 20 code',
			() => sampleInvoice({ lines: [line('Kiste Äpfel', '1', '12', '7', 'Kiste groß')] }),
			'EN16931',
			'lines[1].unit',
			'BR-CL-23',
		],
		['a raw code outside Rec. 20', () => sampleInvoice({ lines: [line('Äpfel', '1', '12', '7', 'Q99')] }), 'EN16931', 'lines[1].unit', 'BR-CL-23'],
		['a line without a unit', () => sampleInvoice({ lines: [line('Äpfel', '1', '12', '7', ' ')] }), 'EN16931', 'lines[1].unit', 'BR-23'],
		[
			'a reverse charge without the buyer VAT ID',
			() => ({ ...reverseCharge(), buyer: { ...reverseCharge().buyer, vatId: undefined } }),
			'EN16931',
			'buyer.vatId',
			'BR-AE-02',
		],
		[
			'a domestic reverse charge (§13b construction) without the buyer VAT ID',
			() => ({ ...reverseCharge(), buyer: { ...sampleInvoice().buyer, vatId: undefined } }),
			'EN16931',
			'buyer.vatId',
			'BR-AE-02',
		],
		['a negative net price', () => sampleInvoice({ lines: [line('Rabatt', '1', '-5', '19')] }), 'EN16931', 'lines[1].netUnitPrice', 'BR-27'],
		[
			'an amount due without due date or payment terms',
			() => sampleInvoice({ dueDate: undefined, paymentTerms: undefined }),
			'EN16931',
			'dueDate',
			'BR-CO-25',
		],
		[
			'a VAT ID without country prefix',
			() => sampleInvoice({ seller: { ...sampleInvoice().seller, vatId: '123456789' } }),
			'EN16931',
			'seller.vatId',
			'BR-CO-09',
		],
		['a missing invoice number', () => sampleInvoice({ number: '' }), 'EN16931', 'number', 'BR-02'],
	])('refuses %s, naming the field and the rule', (_name, make, profile, element, rule) => {
		const error = refusal(make(), profile);
		expect(error).toBeInstanceOf(DocumentError);
		expect(error.rule).toBe(rule);
		expect(error.position.element).toBe(element);
		expect(error.message).toContain(element);
		expect(error.message).toContain(`(${rule})`);
	});

	it('accepts the same invoices the rules accept, and returns their totals', () => {
		expect(validateForEInvoice(sampleInvoice(), 'EN16931').grossTotal).toBe('279.03');
		expect(validateForEInvoice(authority(), 'XRECHNUNG').amountDue).toBe('279.03');
	});

	it('lets a Steuernummer stand in for the VAT ID when the register entry identifies the seller', () => {
		const invoice = sampleInvoice({ seller: { ...sampleInvoice().seller, vatId: undefined } });
		expect(() => validateForEInvoice(invoice, 'EN16931')).not.toThrow();
		const xml = writeCiiInvoice(invoice, 'EN16931').toString('utf8');
		expect(xml).toContain('<ram:ID schemeID="FC">214/5702/0815</ram:ID>');
		expect(xml).not.toContain('schemeID="VA"');
	});

	it('refuses an unknown profile', () => {
		expect(() => validateForEInvoice(sampleInvoice(), 'BASIC WL' as EInvoiceProfile)).toThrow(/EN16931 or XRECHNUNG/);
	});
});

describe('writeCiiInvoice', () => {
	it('escapes markup characters and drops characters XML cannot carry, keeping the text itself', () => {
		const description = 'Brötchen <Filiale "Süd"> & Co.\u0007 \'frisch\'';
		const invoice = sampleInvoice({ lines: [line(description, '1', '2.50', '7')], notes: ['Danke & bis bald <3'] });
		const xml = writeCiiInvoice(invoice, 'EN16931').toString('utf8');
		expect(xml).toContain('Brötchen &lt;Filiale &quot;Süd&quot;&gt; &amp; Co. &apos;frisch&apos;');
		const root = parseXml(xml);
		const item = root.find('SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem/SpecifiedTradeProduct/Name');
		expect(item?.text).toBe(description.replace('\u0007', ''));
		expect(root.find('ExchangedDocument/IncludedNote/Content')?.text).toBe('Danke & bis bald <3');
	});

	it('writes the profile identifiers, type codes and the buyer reference where the rules look for them', () => {
		const en = parseXml(writeCiiInvoice(oneRate(), 'EN16931').toString('utf8'));
		expect(en.find('ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID')?.text).toBe('urn:cen.eu:en16931:2017');
		expect(en.find('ExchangedDocument/TypeCode')?.text).toBe('380');
		const xr = parseXml(writeCiiInvoice(forAuthority(creditNote()), 'XRECHNUNG').toString('utf8'));
		expect(xr.find('ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID')?.text).toBe(
			'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0',
		);
		expect(xr.find('ExchangedDocument/TypeCode')?.text).toBe('381');
		expect(xr.find('SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/BuyerReference')?.text).toBe(LEITWEG_ID);
		const settlement = xr.find('SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement');
		expect(settlement?.find('InvoiceReferencedDocument/IssuerAssignedID')?.text).toBe('RE-2025-0042');
		// a credit note does not tell the buyer to pay to the seller's IBAN
		expect(settlement?.find('SpecifiedTradeSettlementPaymentMeans/TypeCode')?.text).toBe('1');
		expect(settlement?.find('SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount')).toBeUndefined();
	});

	it('gives the same bytes for the same invoice', () => {
		expect(writeCiiInvoice(forAuthority(oneRate()), 'XRECHNUNG').equals(writeCiiInvoice(forAuthority(oneRate()), 'XRECHNUNG'))).toBe(true);
	});
});

describe('the other VAT categories and data shapes, checked by the official rules', () => {
	const cases: Array<[string, Invoice]> = [
		[
			'intra-community supply (K) to France',
			sampleInvoice({
				number: 'RE-2025-0201',
				buyer: { name: 'Boulangerie Dupont SARL', street: '12 rue de la Paix', zip: '75002', city: 'Paris', country: 'FR', vatId: 'FR40303265045', email: 'compta@dupont.example' },
				lines: [{ ...line('Backmischung Roggen 25 kg', '40', '31.90', '0', 'XSA'), vatCategory: 'K' }],
			}),
		],
		[
			'export outside the EU (G) to Switzerland',
			sampleInvoice({
				number: 'RE-2025-0202',
				buyer: { name: 'Bäckerei Zürcher AG', street: 'Bahnhofstrasse 1', zip: '8001', city: 'Zürich', country: 'CH', email: 'info@zuercher.example' },
				lines: [{ ...line('Gärkörbe', '25', '18.40', '0', 'C62'), vatCategory: 'G' }],
			}),
		],
		[
			'exempt (E) small business, service period, no bank account',
			sampleInvoice({
				number: 'RE-2025-0203',
				deliveryDate: undefined,
				servicePeriod: { from: '2025-02-01', to: '2025-02-28' },
				bankAccount: undefined,
				lines: [{ ...line('Backkurs Februar', '4', '60', '0', 'HUR'), vatCategory: 'E', vatExemptionReason: 'Kleinunternehmer gemäß § 19 UStG' }],
			}),
		],
		[
			'zero rated (Z) with a reason given on the line, and a standard-rated line',
			sampleInvoice({
				number: 'RE-2025-0204',
				lines: [
					{ ...line('Photovoltaikanlage 9,8 kWp', '1', '14900', '0', 'C62'), vatCategory: 'Z', vatExemptionReason: '§ 12 Abs. 3 UStG' },
					line('Wartungsvertrag', '12', '19.90', '19', 'MON'),
				],
			}),
		],
		[
			'fractional prices and quantities, a negative quantity, in US dollars',
			sampleInvoice({
				number: 'RE-2025-0205',
				currency: 'USD',
				lines: [line('Mehl Type 550', '12.5', '0.335', '7', 'KGM'), line('Rücknahme Leergut', '-3', '2.10', '19', 'XPX')],
			}),
		],
	];
	const written = new Map<string, string>();
	let en: Map<string, FailedAssertion[]>;
	let xr: Map<string, FailedAssertion[]>;

	beforeAll(() => {
		for (const [name, invoice] of cases) {
			const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
			written.set(`${name}|EN16931`, keep(`${slug}-en16931.xml`, writeCiiInvoice(invoice, 'EN16931')));
			const authorityInvoice = forAuthority(invoice);
			if (!authorityInvoice.bankAccount) authorityInvoice.bankAccount = sampleInvoice().bankAccount;
			written.set(`${name}|XRECHNUNG`, keep(`${slug}-xrechnung.xml`, writeCiiInvoice(authorityInvoice, 'XRECHNUNG')));
		}
		en = schematron([...written.values()], EN16931_XSLT);
		xr = schematron(
			[...written.entries()].filter(([k]) => k.endsWith('XRECHNUNG')).map(([, path]) => path),
			XRECHNUNG_XSLT,
		);
	}, 300_000);

	describe.each(cases.map(([name]) => name))('%s', (name) => {
		it.each(['EN16931', 'XRECHNUNG'])('passes both schemas and the EN 16931 schematron as %s', (profile) => {
			const path = written.get(`${name}|${profile}`)!;
			expect(xsdErrors(path, CII_XSD)).toEqual([]);
			expect(xsdErrors(path, FACTURX_XSD)).toEqual([]);
			expect(fatal(en.get(path)!)).toEqual([]);
		});

		it('passes the XRechnung schematron', () => {
			expect(fatal(xr.get(written.get(`${name}|XRECHNUNG`)!)!)).toEqual([]);
		});
	});

	it('gives a zero-rated breakdown no exemption reason (BR-Z-10) and an intra-community supply a deliver-to country (BR-IC-12)', () => {
		const zero = parseXml(writeCiiInvoice(cases[3][1], 'EN16931').toString('utf8'));
		const settlement = zero.find('SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement');
		const z = settlement!.all('ApplicableTradeTax').find((t) => t.first('CategoryCode')?.text === 'Z')!;
		expect(z.first('ExemptionReason')).toBeUndefined();
		const k = parseXml(writeCiiInvoice(cases[0][1], 'EN16931').toString('utf8'));
		expect(k.find('SupplyChainTradeTransaction/ApplicableHeaderTradeDelivery/ShipToTradeParty/PostalTradeAddress/CountryID')?.text).toBe('FR');
	});
});

describe('eInvoiceXmlFileName', () => {
	it('names the stand-alone XRechnung after the invoice number, safe as a file name', () => {
		expect(eInvoiceXmlFileName('RE-2025-0042')).toBe('RE-2025-0042.xml');
		expect(eInvoiceXmlFileName('RE/2025:0042')).toBe('RE_2025_0042.xml');
		expect(eInvoiceXmlFileName('..')).toBe('_.xml');
	});
});
