import { basename } from 'node:path';
import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import { checkEInvoice, readEInvoice, readInvoiceXml } from '../../../nodes/shared/documents/incomingInvoices';
import type { ReceivedInvoice } from '../../../nodes/shared/documents/incomingInvoices';
import { MUSTANG_PDF, MUSTANG_XRECHNUNG_PDF, OFFICIAL_CII, UBL_CREDIT_NOTE, UBL_INVOICE, ZUGFERD_1, bytes } from './samples';

async function read(path: string): Promise<ReceivedInvoice> {
	return (await readEInvoice(bytes(path), { fileName: basename(path) })).invoice;
}

const errorsOf = (invoice: ReceivedInvoice) => checkEInvoice(invoice).filter((p) => p.severity === 'error');

describe('reading the official EN 16931 CII examples', () => {
	it.each(OFFICIAL_CII.map((p) => [basename(p), p]))('%s reads without an EN 16931 error', async (_name, path) => {
		const invoice = await read(path);
		expect(invoice.syntax).toBe('CII');
		expect(invoice.profile).toBe('EN 16931');
		expect(errorsOf(invoice)).toEqual([]);
	});

	it('CII_example1 reads to the values it states', async () => {
		const invoice = await read(OFFICIAL_CII[0]);
		expect(invoice).toMatchObject({ number: '12115118', typeCode: '380', type: 'invoice', issueDate: '2015-01-09', currency: 'EUR' });
		expect(invoice.seller).toMatchObject({ name: 'De Koksmaat', vatId: 'NL8200.98.395.B.01', legalRegistrationId: '57151520' });
		expect(invoice.buyer).toMatchObject({ name: 'ODIN 59', ids: ['10202'] });
		expect(invoice.lines).toHaveLength(20);
		expect(invoice.lines[19]).toMatchObject({ id: '20', sellerArticleId: '175137', quantity: '6', unit: 'H87', netPrice: '18.33', lineTotal: '-109.98', vatCategory: 'S', vatRate: '6' });
		expect(invoice.totals).toEqual({ lineTotal: '229.6', taxBasisTotal: '229.6', vatTotal: '20.73', grandTotal: '250.33', amountDue: '250.33' });
		expect(invoice.vatBreakdown.map((v) => [v.category, v.rate, v.taxableAmount, v.taxAmount])).toEqual([
			['S', '6', '183.23', '10.99'],
			['S', '21', '46.37', '9.74'],
		]);
	});

	it('CII_example2 reads allowances, charges, prepayment, references and the line allowance', async () => {
		const invoice = await read(OFFICIAL_CII[1]);
		expect(invoice).toMatchObject({ number: 'TOSL108', orderReference: '123', contractReference: 'Contract321', currency: 'NOK' });
		expect(invoice.allowancesCharges).toEqual([
			expect.objectContaining({ charge: false, amount: '100', vatCategory: 'S', vatRate: '25' }),
			expect.objectContaining({ charge: true, amount: '100', vatCategory: 'S', vatRate: '25' }),
		]);
		expect(invoice.lines[0].allowancesCharges).toEqual([
			{ charge: false, amount: '12', reason: 'Damage' },
			{ charge: true, amount: '12', reason: 'Testing' },
		]);
		expect(invoice.totals).toMatchObject({ prepaidAmount: '1000', amountDue: '801.78' });
		expect(invoice.payment.accounts[0].iban).toBe('NO9386011117947');
	});

	it('CII_example5 reads the VAT total in the accounting currency apart from the one in the invoice currency', async () => {
		const invoice = await read(OFFICIAL_CII[2]);
		expect(invoice).toMatchObject({ currency: 'DKK', vatCurrency: 'EUR', buyerReference: 'qwerty' });
		expect(invoice.totals).toMatchObject({ vatTotal: '675.00', vatTotalInAccountingCurrency: '628.62' });
	});
});

describe('reading ZUGFeRD / Factur-X PDFs made by Mustang', () => {
	it('takes the XML the PDF declares (factur-x.xml), not the ZUGFeRD 1.0 file beside it', async () => {
		const read1 = await readEInvoice(bytes(MUSTANG_PDF), { fileName: 'validV2PDF.pdf' });
		expect(read1).toMatchObject({ container: 'pdf', embeddedFileName: 'factur-x.xml' });
		const invoice = read1.invoice;
		expect(invoice).toMatchObject({ syntax: 'CII', profile: 'EN 16931', number: 'RE-20171118/506', issueDate: '2017-11-18', deliveryDate: '2017-11-17', dueDate: '2017-12-09' });
		expect(invoice.seller).toMatchObject({ name: 'Bei Spiel GmbH', vatId: 'DE136695976', taxNumber: '22/815/0815/4' });
		expect(invoice.payment.accounts).toEqual([{ iban: 'DE88 2008 0000 0970 3757 00', bic: 'COBADEFFXXX' }]);
		expect(invoice.lines.map((l) => [l.name, l.quantity, l.unit, l.netPrice, l.lineTotal, l.vatRate])).toEqual([
			['Künstlerische Gestaltung (Stunde): Einer Beispielrechnung', '1.0000', 'HUR', '160.0000', '160.00', '7.00'],
			['Luftballon: Bunt, ca. 500ml', '400.0000', 'C62', '0.7900', '316.00', '19.00'],
			['Heiße Luft pro Liter', '200.0000', 'LTR', '0.1000', '20.00', '19.00'],
		]);
		expect(errorsOf(invoice)).toEqual([]);
	});

	it('reads the XRECHNUNG profile of a Factur-X PDF', async () => {
		const invoice = await read(MUSTANG_XRECHNUNG_PDF);
		expect(invoice).toMatchObject({ profile: 'XRECHNUNG', number: 'RE-20190610/507' });
		expect(errorsOf(invoice)).toEqual([]);
	});

	it('reads the ZUGFeRD 1.0 XML to the same values as its 2.x twin, and marks it as no German e-invoice', async () => {
		const { invoice: old, sources } = readInvoiceXml(bytes(ZUGFERD_1), 'ZUGFeRD-invoice.xml');
		const current = await read(MUSTANG_PDF);
		expect(old).toMatchObject({ syntax: 'ZUGFeRD 1.0', profile: 'ZUGFeRD 1.0 EXTENDED' });
		for (const key of ['number', 'issueDate', 'deliveryDate', 'dueDate', 'currency', 'seller', 'buyer', 'vatBreakdown', 'totals'] as const) {
			expect([key, old[key]]).toEqual([key, current[key]]);
		}
		expect(old.lines.map((l) => [l.id, l.quantity, l.netPrice, l.lineTotal, l.vatRate])).toEqual(
			current.lines.map((l) => [l.id, l.quantity, l.netPrice, l.lineTotal, l.vatRate]),
		);
		expect(checkEInvoice(old, sources).filter((p) => p.severity === 'error')).toEqual([expect.objectContaining({ rule: '§14 UStG', term: 'BT-24', line: 8 })]);
	});
});

describe('reading UBL 2.1 (XRechnung UBL, Peppol)', () => {
	it('a UBL invoice reads to the same values as the same invoice in CII', async () => {
		const ubl = await read(UBL_INVOICE);
		const cii = await read(MUSTANG_PDF);
		expect(ubl.syntax).toBe('UBL');
		for (const key of ['number', 'typeCode', 'type', 'issueDate', 'deliveryDate', 'dueDate', 'currency', 'seller', 'buyer', 'vatBreakdown'] as const) {
			expect([key, ubl[key]]).toEqual([key, cii[key]]);
		}
		expect(ubl.payment).toMatchObject({ meansCode: '42', meansText: 'Überweisung', accounts: cii.payment.accounts });
		expect(ubl.lines.map((l) => [l.name, l.quantity, l.unit, l.netPrice, l.grossPrice, l.lineTotal, l.vatCategory, l.vatRate])).toEqual(
			cii.lines.map((l) => [l.name, l.quantity, l.unit, l.netPrice, l.grossPrice, l.lineTotal, l.vatCategory, l.vatRate]),
		);
		expect(errorsOf(ubl)).toEqual([]);
	});

	it('a UBL credit note reads with every term a three-way match needs', async () => {
		const note = await read(UBL_CREDIT_NOTE);
		expect(note).toMatchObject({
			type: 'creditNote',
			typeCode: '381',
			profile: 'XRECHNUNG',
			number: 'GS-2025-0042',
			orderReference: 'PO-4711',
			despatchAdviceReference: 'LS-7781',
			buyerReference: '04011000-12345-34',
			precedingInvoices: [{ number: 'RE-2025-0815', issueDate: '2025-03-16' }],
			invoicePeriod: { from: '2025-03-01', to: '2025-03-15' },
		});
		expect(note.seller).toMatchObject({
			name: 'Bäckerei Süd GmbH',
			tradingName: 'Bäckerei Süd',
			ids: ['LIEF-3301'],
			legalRegistrationId: 'HRB 12345',
			electronicAddress: { value: 'rechnung@baeckerei-sued.example', scheme: 'EM' },
			address: { lines: ['Mühlenweg 3', 'Hof 2'], city: 'Köln', postcode: '50667', country: 'DE' },
			contact: { name: 'Grete Weiß', phone: '+49 221 123456', email: 'rechnung@baeckerei-sued.example' },
		});
		expect(note.lines[0]).toMatchObject({
			sellerArticleId: 'A-100',
			buyerArticleId: 'K-BROT-01',
			standardId: { id: '4006381333931', scheme: '0160' },
			orderLineReference: '3',
			quantity: '10',
			unit: 'H87',
			allowancesCharges: [{ charge: false, amount: '5.00', reason: 'Mengenrabatt', reasonCode: '95' }],
		});
		expect(note.allowancesCharges.map((a) => [a.charge, a.amount])).toEqual([
			[false, '10.00'],
			[true, '5.00'],
		]);
		expect(note.attachments).toEqual([
			{ id: 'Schadensprotokoll-17', description: 'Schadensprotokoll der Warenannahme', fileName: 'schaden.csv', mimeCode: 'text/csv', size: 23 },
		]);
		expect(note.totals).toEqual({ lineTotal: '165.00', allowanceTotal: '10.00', chargeTotal: '5.00', taxBasisTotal: '160.00', vatTotal: '30.40', grandTotal: '190.40', amountDue: '190.40' });
		expect(checkEInvoice(note)).toEqual([]);
	});
});

describe('what is not an e-invoice is refused with the place', () => {
	const refusal = async (input: string | Uint8Array): Promise<DocumentError> => {
		try {
			await readEInvoice(typeof input === 'string' ? Buffer.from(input) : input, { fileName: 'in.xml' });
		} catch (error) {
			if (error instanceof DocumentError) return error;
			throw error;
		}
		throw new Error('expected a refusal');
	};

	it('an XML of another kind', async () => {
		const error = await refusal('<?xml version="1.0"?>\n<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1"/>');
		expect(error).toMatchObject({ code: 'UNSUPPORTED_FORMAT', file: 'in.xml', position: { line: 2 } });
		expect(error.message).toMatch(/root element is ORDER/);
	});

	it('a DTD (XXE, entity expansion)', async () => {
		const error = await refusal('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>');
		expect(error.code).toBe('ENTITY_NOT_ALLOWED');
	});

	it('an amount that is no decimal, with line and column', async () => {
		const xml = bytes(UBL_INVOICE).toString('utf8').replace('<cbc:PayableAmount currencyID="EUR">571.04<', '<cbc:PayableAmount currencyID="EUR">571,04<');
		const error = await refusal(xml);
		expect(error).toMatchObject({ code: 'INVALID_VALUE', position: { element: 'Invoice/LegalMonetaryTotal/PayableAmount' } });
		expect(error.position.line).toBeGreaterThan(100);
		expect(error.message).toMatch(/"571,04" is not a decimal number \(totals.amountDue\)/);
	});

	it('a date that is no calendar date', async () => {
		const xml = bytes(UBL_INVOICE).toString('utf8').replace('<cbc:IssueDate>2017-11-18<', '<cbc:IssueDate>2017-02-30<');
		expect((await refusal(xml)).message).toMatch(/"2017-02-30" is not a calendar date \(issueDate\)/);
	});

	it('an XML larger than the limit', async () => {
		await expect(readEInvoice(bytes(UBL_INVOICE), { maxXmlBytes: 1000 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
	});
});
