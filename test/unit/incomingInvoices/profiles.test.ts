import { hasLines, looksLikeXml, notAnInvoiceInGermany, profileOf } from '../../../nodes/shared/documents/incomingInvoices';

describe('profileOf (BT-24)', () => {
	it.each([
		['urn:factur-x.eu:1p0:minimum', 'MINIMUM'],
		['urn:factur-x.eu:1p0:basicwl', 'BASIC WL'],
		['urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic', 'BASIC'],
		['urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic', 'BASIC'],
		['urn:cen.eu:en16931:2017', 'EN 16931'],
		['urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:en16931', 'EN 16931'],
		['urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended', 'EXTENDED'],
		['urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0', 'XRECHNUNG'],
		['urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.3', 'XRECHNUNG'],
		['urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0', 'EN 16931'],
		['urn:ferd:CrossIndustryDocument:invoice:1p0:comfort', 'ZUGFeRD 1.0 COMFORT'],
		['something else', 'unknown'],
		[undefined, 'unknown'],
	])('%s is %s', (id, profile) => {
		expect(profileOf(id)).toBe(profile);
	});

	it('MINIMUM and BASIC WL have no lines and are no invoice under German law; EN 16931 and XRechnung are', () => {
		expect([hasLines('MINIMUM'), hasLines('BASIC WL'), hasLines('BASIC')]).toEqual([false, false, true]);
		expect(notAnInvoiceInGermany('BASIC WL')).toMatch(/not an invoice under German law/);
		expect(notAnInvoiceInGermany('EN 16931')).toBeUndefined();
		expect(notAnInvoiceInGermany('XRECHNUNG')).toBeUndefined();
	});
});

describe('looksLikeXml', () => {
	it('knows XML by its first character, also after a BOM or in UTF-16', () => {
		expect(looksLikeXml(Buffer.from('\uFEFF  <?xml version="1.0"?><a/>'))).toBe(true);
		expect(looksLikeXml(Buffer.from('<a/>', 'utf16le'))).toBe(true);
		expect(looksLikeXml(Buffer.from('\x89PNG\r\n'))).toBe(false);
		expect(looksLikeXml(Buffer.from('%PDF-1.7'))).toBe(false);
	});
});
