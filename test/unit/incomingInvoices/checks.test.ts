import { checkEInvoice, embeddedInvoiceXml, readInvoiceXml } from '../../../nodes/shared/documents/incomingInvoices';
import { EN16931_XSLT, XRECHNUNG_XSLT, fatal, keep, schematron } from '../einvoice/validators';
import { MUSTANG_PDF, MUSTANG_XRECHNUNG_PDF, OFFICIAL_CII, bytes } from './samples';

/**
 * The run-time check against the official EN 16931 schematron (CII, under Saxon-HE), on the same documents:
 * the official examples and Mustang's Factur-X pass both; a document with a wrong sum fails both, with the same
 * rule, and the run-time check names the element with its line.
 */

let facturX: string;

beforeAll(async () => {
	facturX = Buffer.from((await embeddedInvoiceXml(bytes(MUSTANG_PDF), 1 << 20)).bytes).toString('utf8');
});

function problemsOf(xml: string) {
	const { invoice, sources } = readInvoiceXml(Buffer.from(xml), 'factur-x.xml');
	return checkEInvoice(invoice, sources);
}

const errorRules = (xml: string): string[] => [...new Set(problemsOf(xml).filter((p) => p.severity === 'error').map((p) => p.rule))].sort();

/** Mustang's invoice with line 3 claiming 21.00 instead of 200 × 0.10 = 20.00, and nothing else changed. */
const wrongLineSum = (): string => facturX.replace('<ram:LineTotalAmount>20.00</ram:LineTotalAmount>', '<ram:LineTotalAmount>21.00</ram:LineTotalAmount>');

describe('checkEInvoice', () => {
	it('a line amount that does not add up breaks BR-CO-10 and BR-S-08, each named with its element and line', () => {
		const problems = problemsOf(wrongLineSum());
		expect(problems).toEqual(
			expect.arrayContaining([
				expect.objectContaining({
					rule: 'BR-CO-10',
					term: 'BT-106',
					field: 'totals.lineTotal',
					element: 'CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementHeaderMonetarySummation/LineTotalAmount',
					message: 'BT-106 is 496.00, but the sum of the line net amounts (BT-131) = 497.00',
				}),
				expect.objectContaining({ rule: 'BR-S-08', field: 'vatBreakdown[2].taxableAmount' }),
				expect.objectContaining({ rule: 'PEPPOL-EN16931-R120', severity: 'warning', field: 'lines[3].lineTotal' }),
			]),
		);
		expect(problems.find((p) => p.rule === 'BR-CO-10')?.line).toBeGreaterThan(100);
	});

	it.each<[string, (xml: string) => string, string[]]>([
		['a grand total that is not net + VAT', (x) => x.replace('<ram:GrandTotalAmount>571.04<', '<ram:GrandTotalAmount>571.40<'), ['BR-CO-15', 'BR-CO-16']],
		['an amount due that is not the grand total', (x) => x.replace('<ram:DuePayableAmount>571.04<', '<ram:DuePayableAmount>570.04<'), ['BR-CO-16']],
		['a VAT total that is not the sum of the breakdown', (x) => x.replace('75.04</ram:TaxTotalAmount>', '75.40</ram:TaxTotalAmount>'), ['BR-CO-14', 'BR-CO-15']],
		['a tax amount far from taxable × rate', (x) => x.replace('<ram:CalculatedAmount>63.84<', '<ram:CalculatedAmount>73.84<'), ['BR-CO-14', 'BR-CO-17']],
		['a buyer without a name', (x) => x.replace('<ram:Name>Theodor Est</ram:Name>', ''), ['BR-07']],
		['an amount with three decimals', (x) => x.replace('<ram:TaxBasisTotalAmount>496.00<', '<ram:TaxBasisTotalAmount>496.000<'), ['BR-DEC-12']],
	])('%s breaks exactly the rules it should', (_what, change, rules) => {
		expect(errorRules(change(facturX))).toEqual(rules);
	});

	it('profile MINIMUM and BASIC WL are marked as no invoice under German law', () => {
		for (const id of ['urn:factur-x.eu:1p0:minimum', 'urn:factur-x.eu:1p0:basicwl']) {
			const xml = facturX.replace('urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:en16931', id);
			const problem = problemsOf(xml).find((p) => p.rule === '§14 UStG');
			expect(problem).toMatchObject({ severity: 'error', term: 'BT-24', line: 5 });
			expect(problem?.message).toMatch(/not an invoice under German law/);
		}
	});

	it('agrees with the official EN 16931 schematron on the samples and on the broken document', () => {
		const broken = keep('incoming-wrong-line-sum.xml', wrongLineSum());
		const mustang = keep('incoming-mustang-factur-x.xml', facturX);
		const reports = schematron([...OFFICIAL_CII, mustang, broken], EN16931_XSLT);
		for (const path of [...OFFICIAL_CII, mustang]) {
			expect([path, fatal(reports.get(path)!)]).toEqual([path, []]);
			expect([path, errorRules(bytes(path).toString('utf8'))]).toEqual([path, []]);
		}
		const official = new Set(fatal(reports.get(broken)!).map((a) => a.id));
		expect(official).toEqual(new Set(['BR-CO-10', 'BR-S-08']));
		expect(errorRules(wrongLineSum())).toEqual(['BR-CO-10', 'BR-S-08']);
	});

	it('agrees with the official XRechnung 3.0 schematron that removing the buyer reference breaks BR-DE-15', async () => {
		// Mustang's XRechnung of 2019 predates XRechnung 3.0 and breaks some of its newer Peppol rules (R001, R010,
		// R020 …), which the run-time check does not cover; the difference the change makes is what is compared
		const xml = Buffer.from((await embeddedInvoiceXml(bytes(MUSTANG_XRECHNUNG_PDF), 1 << 20)).bytes).toString('utf8');
		const withoutReference = xml.replace(/<ram:BuyerReference>[^<]*<\/ram:BuyerReference>/, '');
		expect(withoutReference).not.toEqual(xml);
		const valid = keep('incoming-mustang-xrechnung.xml', xml);
		const broken = keep('incoming-xrechnung-without-buyer-reference.xml', withoutReference);
		const reports = schematron([valid, broken], XRECHNUNG_XSLT);
		const before = new Set(fatal(reports.get(valid)!).map((a) => a.id));
		const added = fatal(reports.get(broken)!).filter((a) => !before.has(a.id)).map((a) => a.id);
		expect(added).toEqual(['BR-DE-15']);
		expect([...before].filter((id) => id.startsWith('BR-') && !id.startsWith('BR-DE'))).toEqual([]);
		expect(errorRules(xml)).toEqual([]);
		expect(errorRules(withoutReference)).toEqual(['BR-DE-15']);
	});
});
