import { parseDeliveryNotes } from '../../../nodes/shared/documents/deliveryNotes';
import { detectDeliveryNoteFormat } from '../../../nodes/shared/documents/deliveryNotes/detect';
import { expectDocumentError, fixture } from './helpers';

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

describe('detectDeliveryNoteFormat on files that used to be skipped as "not a delivery note"', () => {
	const eancom = fixture('edifact', 'desadv-eancom-two-messages.edi');
	const eancomText = eancom.toString('latin1');

	it('recognises a DESADV padded with NUL bytes (before, between segments, to the end of its block)', () => {
		const padded = '\0'.repeat(16) + eancomText.replace(/'\r\n/g, "'\0\0\r\n") + '\0'.repeat(2048);
		expect(detectDeliveryNoteFormat(Buffer.from(padded, 'latin1'), 'LS.dat')).toBe('desadv');
		expect(detectDeliveryNoteFormat(Buffer.concat([fixture('edifact', 'desadv-d96a.edi'), Buffer.alloc(4096)]), 'x.edi')).toBe('desadv');
	});

	it('recognises openTRANS and DESADV in UTF-16 without a byte-order mark, little and big endian', () => {
		const le = Buffer.from(itscope.toString('utf8'), 'utf16le');
		const be = Buffer.from(le).swap16();
		expect(detectDeliveryNoteFormat(le, 'ls.xml')).toBe('opentrans');
		expect(detectDeliveryNoteFormat(be, 'ls.xml')).toBe('opentrans');
		expect(detectDeliveryNoteFormat(Buffer.from(eancomText, 'utf16le'), 'ls.edi')).toBe('desadv');
		// and an openTRANS ORDER in UTF-16 is still no delivery note
		const order = Buffer.from('<?xml version="1.0"?><ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1"/>', 'utf16le');
		expect(detectDeliveryNoteFormat(order, 'order.xml')).toBeUndefined();
	});

	it('finds the root element after a prolog longer than the part looked at first (a 100 KB licence comment)', () => {
		const comment = `<!-- ${'Dieses Dokument wurde automatisch erzeugt. '.repeat(2400)} -->\n`;
		expect(comment.length).toBeGreaterThan(100_000);
		const long = Buffer.from(itscope.toString('utf8').replace('?>', `?>\n${comment}`));
		expect(detectDeliveryNoteFormat(long, 'ls.xml')).toBe('opentrans');
		const order = Buffer.from(`<?xml version="1.0"?>\n${comment}<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1"/>`);
		expect(detectDeliveryNoteFormat(order, 'order.xml')).toBeUndefined();
	});

	it('refuses to pass over an XML file whose prolog never ends (cut short), naming the file', () => {
		const cut = itscope.subarray(0, itscope.indexOf('<DISPATCHNOTIFICATION'));
		const inComment = Buffer.from('<?xml version="1.0"?>\n<!-- Lieferavis 4711 ');
		for (const bytes of [cut, inComment]) {
			expectDocumentError(() => detectDeliveryNoteFormat(bytes, 'LS-4711.xml'), 'PARSE_ERROR', /^LS-4711\.xml: the file starts like XML, but no root element follows its prolog/);
		}
	});

	it('refuses to pass over an EDIFACT interchange cut short before or inside its first UNH', () => {
		const beforeUnh = eancomText.slice(0, eancomText.indexOf('UNH'));
		const insideUnh = eancomText.slice(0, eancomText.indexOf('UNH') + 8);
		for (const text of [beforeUnh, insideUnh]) {
			expectDocumentError(
				() => detectDeliveryNoteFormat(Buffer.from(text, 'latin1'), 'LS.edi'),
				'PARSE_ERROR',
				/^LS\.edi: the file starts like an EDIFACT interchange, but holds no complete message header \(UNH\)/,
			);
		}
	});

	it('still leaves other EDIFACT messages alone, also when a DESADV follows them', () => {
		const invoic = "UNB+UNOC:3+S+R+240101:1200+9'UNH+1+INVOIC:D:96A:UN:EAN008'BGM+380+R1+9'UNT+3+1'";
		expect(detectDeliveryNoteFormat(Buffer.from(invoic + "UNZ+1+9'"), 'invoice.edi')).toBeUndefined();
		expect(detectDeliveryNoteFormat(Buffer.from(invoic + "UNH+2+DESADV:D:96A:UN'"), 'mixed.edi')).toBe('desadv');
	});
});

describe('parseDeliveryNotes with auto on the same files', () => {
	it('reads what detection recognises: NUL padding and UTF-16 without BOM', () => {
		const le = Buffer.from(itscope.toString('utf8'), 'utf16le');
		expect(parseDeliveryNotes(le, 'auto', { file: 'ls.xml' })[0].deliveryNoteNumber).toBe('39076516');
		const padded = Buffer.concat([fixture('edifact', 'desadv-d96a.edi'), Buffer.alloc(4096)]);
		expect(parseDeliveryNotes(padded, 'auto', { file: 'x.edi' })[0].deliveryNoteNumber).toBe('Y02197250');
	});
});
