import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

import { checkEInvoice, readEInvoice } from '../../../nodes/shared/documents/incomingInvoices';
import { INCOMING, bytes } from './samples';

/**
 * The official test data of EN 16931 and XRechnung, every file: the EN 16931 UBL examples (ConnectingEurope/
 * eInvoicing-EN16931, ubl/examples) and the XRechnung test suite's standard business cases in CII and UBL
 * (itplr-kosit/xrechnung-testsuite, src/test/business-cases/standard). Each must read, and its number, totals and
 * line count must be what the file says — taken from the file independently with xmllint's XPath, not with the
 * package's own XML reader — and the run-time EN 16931 check must find no error in these valid invoices.
 */

const dir = (name: string) => join(INCOMING, name);
const filesIn = (name: string) =>
	readdirSync(dir(name))
		.filter((f) => f.endsWith('.xml'))
		.sort()
		.map((f) => join(dir(name), f));

const UBL_EXAMPLES = filesIn('en16931-ubl');
const XRECHNUNG = filesIn('xrechnung-testsuite');

/** BT-1, BT-112, BT-115 and the number of lines, by XPath over local names (UBL Invoice / CreditNote, CII). */
const FACTS = [
	'concat(',
	'/*[local-name()="Invoice" or local-name()="CreditNote"]/*[local-name()="ID"]',
	'| /*/*[local-name()="ExchangedDocument"]/*[local-name()="ID"], "|",',
	'//*[local-name()="LegalMonetaryTotal"]/*[local-name()="TaxInclusiveAmount"]',
	'| //*[local-name()="SpecifiedTradeSettlementHeaderMonetarySummation"]/*[local-name()="GrandTotalAmount"][1], "|",',
	'//*[local-name()="LegalMonetaryTotal"]/*[local-name()="PayableAmount"]',
	'| //*[local-name()="SpecifiedTradeSettlementHeaderMonetarySummation"]/*[local-name()="DuePayableAmount"], "|",',
	'count(/*/*[local-name()="InvoiceLine" or local-name()="CreditNoteLine"] | //*[local-name()="IncludedSupplyChainTradeLineItem"]))',
].join(' ');

function factsOf(path: string): { number: string; grandTotal: string; amountDue: string; lines: number } {
	const result = spawnSync('xmllint', ['--xpath', FACTS, path], { encoding: 'utf8' });
	if (result.error) throw new Error(`xmllint is not installed: apt-get install -y libxml2-utils (${result.error.message})`);
	const [number, grandTotal, amountDue, lines] = result.stdout.trim().split('|');
	return { number: number.trim(), grandTotal: grandTotal.trim(), amountDue: amountDue.trim(), lines: Number(lines) };
}

const same = (a: string | undefined, b: string): boolean => a !== undefined && Number(a) === Number(b);

describe.each([
	['EN 16931 UBL examples', UBL_EXAMPLES],
	['XRechnung test suite (standard business cases)', XRECHNUNG],
])('%s', (_set, files) => {
	it('are all here', () => {
		expect(files.length).toBeGreaterThan(10);
	});

	it.each(files.map((f) => [basename(f), f]))('%s reads to the number, totals and lines it states, with no EN 16931 error', async (name, path) => {
		const { invoice, sources } = await readEInvoice(bytes(path), { fileName: name });
		const facts = factsOf(path);
		expect(invoice.number).toBe(facts.number);
		expect([same(invoice.totals.grandTotal, facts.grandTotal), same(invoice.totals.amountDue, facts.amountDue)]).toEqual([true, true]);
		expect(invoice.lines).toHaveLength(facts.lines);
		expect(invoice.syntax).toBe(/uncefact/.test(name) ? 'CII' : 'UBL');
		if (files === XRECHNUNG) expect(invoice.profile).toBe('XRECHNUNG');
		expect(checkEInvoice(invoice, sources).filter((p) => p.severity === 'error')).toEqual([]);
	});
});
