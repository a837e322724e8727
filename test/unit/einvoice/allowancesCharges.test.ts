import type { Invoice } from '../../../nodes/shared/documents/invoices';
import { checkInvoice, computeTotals, renderInvoicePdf } from '../../../nodes/shared/documents/invoices';
import { EInvoiceError, validateForEInvoice, writeCiiInvoice } from '../../../nodes/shared/documents/invoices/cii';
import { checkEInvoice as checkReceived, readInvoiceXml } from '../../../nodes/shared/documents/incomingInvoices';
import { parseXml } from '../../../nodes/shared/documents/xml';
import { fieldNames, readInvoiceItem, sourceOf } from '../../../nodes/InvoiceBulkMailer/invoiceItems';
import { keep as keepPdf, pdfPages } from '../invoices/helpers';
import { line, sampleInvoice } from '../invoices/sampleInvoices';
import { forAuthority } from './einvoiceSamples';
import { CII_XSD, EN16931_XSLT, FACTURX_XSD, XRECHNUNG_XSLT, fatal, keep, schematron, xsdErrors } from './validators';

/**
 * Allowances and charges (EN 16931 BG-20/21 on the invoice, BG-27/28 on a line): worked out exactly, written to
 * the e-invoice, printed on the PDF, read back by the E-Invoice Reader, and accepted by the official schematrons.
 */

/**
 * Worked out by hand:
 * line 1: 10 × 89.50 = 895.00 at 7 %, less 10 % quantity discount (89.50) = 805.50
 * line 2: 2.5 × 48.00 = 120.00 at 19 %, plus 12.50 weekend surcharge = 132.50
 * line 3: 40 × 0.85 = 34.00 at 19 %
 * lines: 972.00. Invoice: 3 % loyalty discount on the 19 % lines (166.50) = 4.995 → 5.00; freight 15.00 at 19 %;
 * 20.00 promotion at 7 %. 7 %: 805.50 − 20.00 = 785.50, VAT 54.985 → 54.99; 19 %: 166.50 − 5.00 + 15.00 = 176.50,
 * VAT 33.535 → 33.54. Taxable 972.00 − 25.00 + 15.00 = 962.00; VAT 88.53; total 1050.53.
 */
export function discounted(): Invoice {
	return sampleInvoice({
		number: 'RE-2025-0401',
		orderReference: 'PO-2025-77',
		lines: [
			{
				...line('Festtagstorte, dreistöckig', '10', '89.50', '7', 'C62'),
				articleNumber: 'T-300',
				allowancesCharges: [{ kind: 'allowance', percent: '10', reason: 'Mengenrabatt', reasonCode: '95' }],
			},
			{ ...line('Lieferung und Aufbau vor Ort', '2.5', '48.00', '19', 'HUR'), allowancesCharges: [{ kind: 'charge', amount: '12.50', reason: 'Wochenendzuschlag' }] },
			line('Geschirrverleih (Teller, Gabeln, Tassen)', '40', '0.85', '19', 'C62'),
		],
		allowancesCharges: [
			{ kind: 'allowance', percent: '3', vatRate: '19', reason: 'Treuerabatt', reasonCode: '95' },
			{ kind: 'charge', amount: '15.00', vatRate: '19', reason: 'Fracht', reasonCode: 'FC' },
			{ kind: 'allowance', amount: '20', vatRate: '7', reason: 'Aktionsrabatt' },
		],
	});
}

/** A service not subject to German VAT, with a document level charge of category O. */
function notSubjectWithCharge(): Invoice {
	return sampleInvoice({
		number: 'RE-2025-0402',
		buyer: { ...sampleInvoice().buyer, country: 'CH', city: 'Zürich', zip: '8001', vatId: 'CHE123456789' },
		lines: [{ ...line('Beratung, Leistungsort Schweiz', '8', '150', '0', 'HUR'), vatCategory: 'O', allowancesCharges: [{ kind: 'allowance', amount: '100', reasonCode: '100' }] }],
		allowancesCharges: [{ kind: 'charge', amount: '80', vatRate: '0', vatCategory: 'O', reason: 'Reisekosten' }],
	});
}

function refusal(invoice: Invoice): [string, string | undefined] {
	try {
		validateForEInvoice(invoice, 'EN16931');
	} catch (e) {
		return [(e as EInvoiceError).rule, (e as EInvoiceError).position.element];
	}
	throw new Error('not refused');
}

describe('allowances and charges: the figures', () => {
	it('works out line and document level allowances and charges exactly, rounding each once', () => {
		const totals = computeTotals(discounted());
		expect(totals.lineNetAmounts).toEqual(['805.50', '132.50', '34.00']);
		expect(totals.allowancesCharges?.lines[0]).toEqual([{ kind: 'allowance', amount: '89.50', percent: '10', baseAmount: '895.00', reason: 'Mengenrabatt', reasonCode: '95' }]);
		expect(totals.allowancesCharges?.document.map((ac) => [ac.kind, ac.amount, ac.baseAmount, ac.category, ac.rate])).toEqual([
			['allowance', '5.00', '166.50', 'S', '19'],
			['charge', '15.00', undefined, 'S', '19'],
			['allowance', '20.00', undefined, 'S', '7'],
		]);
		expect(totals.vatBreakdown.map((v) => [v.rate, v.netAmount, v.vatAmount])).toEqual([
			['19', '176.50', '33.54'],
			['7', '785.50', '54.99'],
		]);
		expect(totals.allowancesCharges).toMatchObject({ lineTotal: '972.00', allowanceTotal: '25.00', chargeTotal: '15.00' });
		expect(totals).toMatchObject({ netTotal: '962.00', vatTotal: '88.53', grossTotal: '1050.53', amountDue: '1050.53' });
	});

	it('keeps the figures exact over many small allowances (no float drift)', () => {
		const invoice = sampleInvoice({
			lines: [line('Brötchen', '1000', '0.10', '7')],
			allowancesCharges: Array.from({ length: 100 }, () => ({ kind: 'allowance' as const, amount: '0.01', vatRate: '7', reason: 'Bonus' })),
		});
		const totals = computeTotals(invoice);
		expect(totals.allowancesCharges).toMatchObject({ lineTotal: '100.00', allowanceTotal: '1.00' });
		expect(totals).toMatchObject({ netTotal: '99.00', vatTotal: '6.93', grossTotal: '105.93' });
	});

	it('writes no allowance total, no charge total and no allowance element for an invoice without them', () => {
		expect(computeTotals(sampleInvoice()).allowancesCharges).toBeUndefined();
		const xml = writeCiiInvoice(sampleInvoice(), 'EN16931').toString('utf8');
		expect(xml).not.toMatch(/AllowanceCharge|AllowanceTotalAmount|ChargeTotalAmount/);
	});
});

describe('allowances and charges: refused with the rule they break', () => {
	const withDocument = (entry: Record<string, unknown>): Invoice => ({ ...discounted(), allowancesCharges: [entry as never] });
	const withLine = (entry: Record<string, unknown>): Invoice => {
		const invoice = discounted();
		invoice.lines[1].allowancesCharges = [entry as never];
		return invoice;
	};

	it.each([
		['a document allowance without a reason', withDocument({ kind: 'allowance', amount: '5', vatRate: '19' }), ['BR-33', 'allowancesCharges[1].reason']],
		['a document charge without a reason', withDocument({ kind: 'charge', amount: '5', vatRate: '19' }), ['BR-38', 'allowancesCharges[1].reason']],
		['a document allowance without an amount or percent', withDocument({ kind: 'allowance', vatRate: '19', reason: 'x' }), ['BR-31', 'allowancesCharges[1].amount']],
		['a document charge without a VAT rate', withDocument({ kind: 'charge', amount: '5', reason: 'Fracht' }), ['BR-37', 'allowancesCharges[1].vatRate']],
		['an allowance reason code outside UNTDID 5189', withDocument({ kind: 'allowance', amount: '5', vatRate: '19', reasonCode: 'FC' }), ['BR-CL-19', 'allowancesCharges[1].reasonCode']],
		['a charge amount with three decimals', withDocument({ kind: 'charge', amount: '5.125', vatRate: '19', reason: 'Fracht' }), ['BR-DEC-05', 'allowancesCharges[1].amount']],
		['a kind that is neither', withDocument({ kind: 'bonus', amount: '5', vatRate: '19', reason: 'x' }), ['EN 16931 BG-20, BG-21', 'allowancesCharges[1].kind']],
		['a line allowance without an amount', withLine({ kind: 'allowance', reason: 'Rabatt' }), ['BR-41', 'lines[2].allowancesCharges[1].amount']],
		['a line charge without a reason', withLine({ kind: 'charge', amount: '1' }), ['BR-44', 'lines[2].allowancesCharges[1].reason']],
		['a line charge reason code outside UNTDID 7161', withLine({ kind: 'charge', amount: '1', reasonCode: '95' }), ['BR-CL-20', 'lines[2].allowancesCharges[1].reasonCode']],
		['an amount that is not the percentage of its base', withLine({ kind: 'allowance', percent: '10', amount: '11.00', reason: 'Rabatt' }), ['EN 16931 BT-138', 'lines[2].allowancesCharges[1].percent']],
		['a negative allowance', withLine({ kind: 'allowance', amount: '-3', reason: 'Rabatt' }), ['BR-DEC-24', 'lines[2].allowancesCharges[1].amount']],
	] as const)('%s', (_name, invoice, expected) => {
		expect(refusal(invoice)).toEqual(expected);
	});

	it('refuses a document allowance of standard category at 0 % (as a line: category and rate agree)', () => {
		expect(() => checkInvoice(withDocument({ kind: 'allowance', amount: '5', vatRate: '0', vatCategory: 'S', reason: 'x' }))).toThrow(
			/allowancesCharges\[1\]: VAT category S \(standard rate\) needs a rate above 0 %/,
		);
	});

	it('refuses a standard-rated document charge on an invoice not subject to VAT (BR-O-11)', () => {
		const invoice = notSubjectWithCharge();
		invoice.allowancesCharges![0] = { kind: 'charge', amount: '80', vatRate: '19', reason: 'Reisekosten' };
		expect(refusal(invoice)[0]).toBe('BR-O-11');
	});
});

describe('allowances and charges: the e-invoice', () => {
	it('writes line allowances into the line settlement and document ones with their VAT category, and the totals', () => {
		const root = parseXml(writeCiiInvoice(discounted(), 'EN16931').toString('utf8'));
		const lineAc = root.find('SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem/SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge');
		expect(lineAc?.find('ChargeIndicator/Indicator')?.text).toBe('false');
		expect([lineAc?.find('CalculationPercent')?.text, lineAc?.find('BasisAmount')?.text, lineAc?.find('ActualAmount')?.text]).toEqual(['10', '895.00', '89.50']);
		const settlement = root.find('SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement');
		const documentAc = settlement?.children.filter((c) => c.name === 'SpecifiedTradeAllowanceCharge') ?? [];
		expect(documentAc.map((ac) => [ac.find('ChargeIndicator/Indicator')?.text, ac.find('ActualAmount')?.text, ac.find('ReasonCode')?.text, ac.find('CategoryTradeTax/RateApplicablePercent')?.text])).toEqual([
			['false', '5.00', '95', '19'],
			['true', '15.00', 'FC', '19'],
			['false', '20.00', undefined, '7'],
		]);
		const sums = settlement?.find('SpecifiedTradeSettlementHeaderMonetarySummation');
		expect(sums?.children.map((c) => [c.name, c.text])).toEqual([
			['LineTotalAmount', '972.00'],
			['ChargeTotalAmount', '15.00'],
			['AllowanceTotalAmount', '25.00'],
			['TaxBasisTotalAmount', '962.00'],
			['TaxTotalAmount', '88.53'],
			['GrandTotalAmount', '1050.53'],
			['DuePayableAmount', '1050.53'],
		]);
	});

	it('writes a document charge of category O without a rate (BR-O-07)', () => {
		const root = parseXml(writeCiiInvoice(notSubjectWithCharge(), 'EN16931').toString('utf8'));
		const tax = root.find('SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradeAllowanceCharge/CategoryTradeTax');
		expect(tax?.find('CategoryCode')?.text).toBe('O');
		expect(tax?.find('RateApplicablePercent')).toBeUndefined();
	});

	it('reads back to the same allowances, charges and totals (E-Invoice Reader), with no finding of its checks', () => {
		const totals = computeTotals(discounted());
		const { invoice: read } = readInvoiceXml(writeCiiInvoice(discounted(), 'EN16931'), 'written.xml');
		expect(read.allowancesCharges.map((ac) => [ac.charge, ac.amount, ac.reason, ac.vatCategory, ac.vatRate])).toEqual([
			[false, '5.00', 'Treuerabatt', 'S', '19'],
			[true, '15.00', 'Fracht', 'S', '19'],
			[false, '20.00', 'Aktionsrabatt', 'S', '7'],
		]);
		expect(read.lines[0].allowancesCharges).toEqual([expect.objectContaining({ charge: false, amount: '89.50', percentage: '10', baseAmount: '895.00', reasonCode: '95' })]);
		expect(read.lines.map((l) => l.lineTotal)).toEqual(totals.lineNetAmounts);
		expect(read.totals).toMatchObject({ lineTotal: '972.00', allowanceTotal: '25.00', chargeTotal: '15.00', taxBasisTotal: '962.00', grandTotal: '1050.53' });
		expect(checkReceived(read).filter((p) => p.severity === 'error')).toEqual([]);
	});
});

describe('allowances and charges: the PDF', () => {
	it('prints each line allowance or charge under its line, and the document ones between the lines and the net total', async () => {
		const text = pdfPages(keepPdf('invoice-allowances-charges.pdf', await renderInvoicePdf(discounted()))).join(' ');
		expect(text).toMatch(/Nachlass: Mengenrabatt, 10 % von 895,00:\s+−89,50/);
		expect(text).toMatch(/Zuschlag: Wochenendzuschlag: \+12,50/);
		expect(text).toMatch(/Summe Positionen\s+972,00/);
		expect(text).toMatch(/abzüglich Treuerabatt \(3 % von 166,50 €, 19 % USt\.\)\s+-5,00 €/);
		expect(text).toMatch(/abzüglich Aktionsrabatt \(7 % USt\.\)\s+-20,00 €/);
		expect(text).toMatch(/zuzüglich Fracht \(19 % USt\.\)\s+15,00/);
		expect(text).toMatch(/Summe netto\s+962,00/);
		expect(text).toContain('1.050,53');
	});
});

describe('allowances and charges: the Invoice Bulk Mailer item', () => {
	const seller = sampleInvoice().seller;

	it('reads document and line allowances and charges from the item, numbers as decimal text, kinds in German', () => {
		const { invoice } = readInvoiceItem(
			{
				invoiceNumber: 'RE-1',
				lines: [{ description: 'Torte', quantity: 10, unit: 'Stk', netUnitPrice: 89.5, vatRate: 7, allowancesCharges: [{ kind: 'Rabatt', percent: 10, reasonCode: 95 }] }],
				allowancesCharges: JSON.stringify([{ kind: 'Zuschlag', amount: 15, vatRate: 19, reason: 'Fracht', reasonCode: 'fc' }]),
			},
			fieldNames(),
			seller,
			undefined,
			'Europe/Berlin',
		);
		expect(invoice.lines[0].allowancesCharges).toEqual([{ kind: 'allowance', percent: '10', reasonCode: '95' }]);
		expect(invoice.allowancesCharges).toEqual([{ kind: 'charge', amount: '15', vatRate: '19', reason: 'Fracht', reasonCode: 'FC' }]);
	});

	it('names the item field a finding comes from', () => {
		const names = fieldNames({ allowancesCharges: 'rabatte', lineAllowancesCharges: 'zuschlaege' });
		expect(sourceOf('allowancesCharges[2].reason', names)).toBe('rabatte[2].reason');
		expect(sourceOf('lines[3].allowancesCharges[1].amount', names)).toBe('lines[3].zuschlaege[1].amount');
	});
});

describe('allowances and charges: the official schematrons', () => {
	const written = new Map<string, string>();
	let en: Map<string, ReturnType<typeof fatal>>;
	let xr: Map<string, ReturnType<typeof fatal>>;
	const cases = [
		['allowances-charges', discounted],
		['allowances-charges-not-subject-to-vat', notSubjectWithCharge],
	] as const;

	beforeAll(() => {
		for (const [name, make] of cases) {
			written.set(`${name}|EN16931`, keep(`${name}-en16931.xml`, writeCiiInvoice(make(), 'EN16931')));
			written.set(`${name}|XRECHNUNG`, keep(`${name}-xrechnung.xml`, writeCiiInvoice(forAuthority(make()), 'XRECHNUNG')));
		}
		// and one broken on purpose, to show the schematron run does catch a wrong allowance total
		const broken = writeCiiInvoice(discounted(), 'EN16931').toString('utf8').replace('<ram:AllowanceTotalAmount>25.00<', '<ram:AllowanceTotalAmount>24.00<');
		written.set('broken|EN16931', keep('allowances-charges-broken-total.xml', broken));
		en = schematron([...written.values()], EN16931_XSLT);
		xr = schematron(
			[...written.entries()].filter(([k]) => k.endsWith('XRECHNUNG')).map(([, path]) => path),
			XRECHNUNG_XSLT,
		);
	}, 300_000);

	it.each(cases.map(([name]) => name))('%s passes the CII and Factur-X schemas and the EN 16931 and XRechnung schematrons', (name) => {
		for (const profile of ['EN16931', 'XRECHNUNG']) {
			const path = written.get(`${name}|${profile}`)!;
			expect(xsdErrors(path, CII_XSD)).toEqual([]);
			expect(xsdErrors(path, FACTURX_XSD)).toEqual([]);
			expect(fatal(en.get(path)!)).toEqual([]);
		}
		expect(fatal(xr.get(written.get(`${name}|XRECHNUNG`)!)!)).toEqual([]);
	});

	it('the schematron does catch a broken allowance: the same invoice with a wrong allowance total fails BR-CO-11', () => {
		expect(fatal(en.get(written.get('broken|EN16931')!)!).map((a) => a.id)).toContain('BR-CO-11');
	});
});
