import { detectDeliveryNoteFormat } from '../../../nodes/shared/documents/deliveryNotes/detect';
import { fixture } from './helpers';

const itscope = fixture('opentrans', 'dispatchnotification-itscope.xml');

describe('detectDeliveryNoteFormat', () => {
	it('recognises openTRANS dispatch notifications by their root element, whatever the file is called', () => {
		expect(detectDeliveryNoteFormat(itscope, 'dispatchnotification-itscope.xml', 'application/xml')).toBe('opentrans');
		expect(detectDeliveryNoteFormat(itscope, 'LS39076516.txt', 'application/octet-stream')).toBe('opentrans');
		const file = 'minimal_valid_dispatchnotification_with_delivery_reference.xml';
		expect(detectDeliveryNoteFormat(fixture('opentrans', file))).toBe('opentrans');
	});

	it('recognises openTRANS behind a BOM, a comment, a prefix or in ISO-8859-1', () => {
		const text = itscope.toString('utf8');
		const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), itscope]);
		const commented = Buffer.from(text.replace('?>', '?>\n<!-- Lieferavis <ORDER> -->'));
		const prefixed = Buffer.from('<ot:DISPATCHNOTIFICATION xmlns:ot="http://www.opentrans.org/XMLSchema/2.1"/>');
		const latin1 = Buffer.from(text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), 'latin1');
		for (const bytes of [bom, commented, prefixed, latin1]) expect(detectDeliveryNoteFormat(bytes)).toBe('opentrans');
	});

	it('recognises a hostile DISPATCHNOTIFICATION, so that the parser rejects it instead of it being skipped', () => {
		for (const file of ['dispatchnotification-xxe.xml', 'dispatchnotification-billion-laughs.xml']) {
			expect(detectDeliveryNoteFormat(fixture('opentrans', file), file)).toBe('opentrans');
		}
	});

	it('does not take other XML (an openTRANS ORDER, an invoice) for a delivery note', () => {
		const order = Buffer.from('<?xml version="1.0"?><ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1"/>');
		const invoice = Buffer.from('<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>');
		expect(detectDeliveryNoteFormat(order, 'order.xml')).toBeUndefined();
		expect(detectDeliveryNoteFormat(invoice, 'factur-x.xml')).toBeUndefined();
	});

	it('recognises EDIFACT DESADV with and without UNA, and not other EDIFACT messages', () => {
		expect(detectDeliveryNoteFormat(fixture('edifact', 'desadv-d96a.edi'), 'desadv-d96a.edi')).toBe('desadv');
		expect(detectDeliveryNoteFormat(fixture('edifact', 'desadv-eancom-two-messages.edi'), 'LS.dat')).toBe('desadv');
		const invoic = Buffer.from("UNA:+.? 'UNB+UNOC:3+S+R+240101:1200+9'UNH+1+INVOIC:D:96A:UN:EAN008'");
		expect(detectDeliveryNoteFormat(invoic, 'invoice.edi')).toBeUndefined();
		const released = Buffer.from("UNB+UNOC:3+S+R+240101:1200+9'UNH+A?+1+DESADV:D:96A:UN'");
		expect(detectDeliveryNoteFormat(released)).toBe('desadv');
	});

	it('takes a text file with delimiters for CSV only when its name or MIME type allows CSV', () => {
		const csv = fixture('csv', 'lieferschein-mueller-semikolon-cp1252.csv');
		expect(detectDeliveryNoteFormat(csv, 'Lieferschein.CSV')).toBe('csv');
		expect(detectDeliveryNoteFormat(csv, 'export.txt')).toBe('csv');
		expect(detectDeliveryNoteFormat(csv, 'LS-2024-0815', 'application/vnd.ms-excel')).toBe('csv');
		expect(detectDeliveryNoteFormat(csv, 'LS-2024-0815', 'text/csv; charset=windows-1252')).toBe('csv');
		expect(detectDeliveryNoteFormat(csv)).toBeUndefined();
		expect(detectDeliveryNoteFormat(csv, 'lieferschein.xlsx')).toBeUndefined();
		expect(detectDeliveryNoteFormat(Buffer.from('Vielen Dank für Ihre Bestellung\n'), 'hinweis.txt')).toBeUndefined();
	});

	it('ignores binary attachments such as the PDF copy of the delivery note or a logo', () => {
		const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\n', 'latin1'), Buffer.from([0, 1, 2, 0])]);
		const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
		expect(detectDeliveryNoteFormat(pdf, 'Lieferschein.pdf', 'application/pdf')).toBeUndefined();
		expect(detectDeliveryNoteFormat(png, 'logo.csv')).toBeUndefined();
		// an Excel 97 workbook saved under a .csv name: binary, even if a delimiter byte occurs early
		const xls = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0x00, 0x00, 0x3b, 0x2c, 0x00]);
		expect(detectDeliveryNoteFormat(xls, 'Lieferschein.csv', 'text/csv')).toBeUndefined();
		expect(detectDeliveryNoteFormat(Buffer.alloc(0), 'empty.csv')).toBeUndefined();
	});
});
