import { parseDesadv } from '../../../nodes/shared/documents/deliveryNotes/desadv';
import { expectDocumentError, fixture } from './helpers';

const PHP_EDIFACT = 'desadv-d96a.edi';
const EANCOM = 'desadv-eancom-two-messages.edi';
const eancomBytes = fixture('edifact', EANCOM);
/** the EANCOM fixture as text (it is ISO-8859-1, as its UNB says: UNOC) */
const eancomText = eancomBytes.toString('latin1');

/** A minimal interchange around the given message segments, with correct UNT and UNZ counts. */
function interchange(segments: string[], una = ''): Buffer {
	const message = ['UNH+1+DESADV:D:96A:UN:EAN005', ...segments];
	const text = [una + "UNB+UNOC:3+SENDER:14+RECIPIENT:14+240101:1200+REF1'", ...message.map((s) => s + "'"), `UNT+${message.length + 1}+1'`, "UNZ+1+REF1'"];
	return Buffer.from(text.join('\n'), 'latin1');
}

describe('parseDesadv on the php-edifact D.96A despatch advice', () => {
	const notes = parseDesadv(fixture('edifact', PHP_EDIFACT), PHP_EDIFACT);

	it('yields one delivery note numbered by BGM, as the file has no RFF+DQ', () => {
		expect(notes).toHaveLength(1);
		expect(notes[0].format).toBe('desadv');
		expect(notes[0].deliveryNoteNumber).toBe('Y02197250');
		expect(notes[0].sourceFile).toBe(PHP_EDIFACT);
	});

	it('reads the despatch date, the order numbers of header and lines, and keeps RFF+PK as a reference', () => {
		expect(notes[0].despatchDate).toBe('2016-07-26');
		expect(notes[0].documentDate).toBeUndefined();
		expect(notes[0].orderNumbers).toEqual(['6877871', '6905456']);
		expect(notes[0].references).toEqual([{ type: 'PK', value: 'VEE0214439' }]);
	});

	it('reads the parties, whose identifiers are not GLNs', () => {
		expect(notes[0].parties).toEqual([
			{ role: 'supplier', roleAsGiven: 'SU', id: '1694901' },
			{ role: 'buyer', roleAsGiven: 'BY', id: '01131116' },
		]);
	});

	it('reads each line: untyped PIA+5 as the supplier article number, IMD text, QTY+12, RFF+ON and RFF+LI', () => {
		expect(notes[0].lines).toEqual([
			{
				lineNumber: '001',
				supplierArticleNumber: '9780738507330',
				description: 'MUNCIE THE MIDDLE',
				quantity: '1',
				orderNumber: '6877871',
				orderLine: '6877871',
			},
			{
				lineNumber: '002',
				supplierArticleNumber: '9781568361871',
				description: 'ROADS TO SATA A 2',
				quantity: '1',
				orderNumber: '6905456',
				orderLine: '6905456',
			},
		]);
	});

	it('records where the message sat in the interchange', () => {
		expect(notes[0].edifact).toEqual({
			senderId: '1556150',
			recipientId: '8888888',
			interchangeReference: '1',
			messageReference: '142',
			messageType: 'DESADV:0:96A:UN',
			documentNumber: 'Y02197250',
		});
	});
});

describe('parseDesadv on an EANCOM interchange with two messages', () => {
	const notes = parseDesadv(eancomBytes, EANCOM);
	const [first, second] = notes;

	it('yields one delivery note per UNH … UNT message', () => {
		expect(notes.map((n) => n.deliveryNoteNumber)).toEqual(['LS-2024-0815', 'DA-2024-0816']);
		expect(notes.map((n) => n.edifact?.messageReference)).toEqual(['M0001', 'M0002']);
		expect(notes.map((n) => n.edifact?.documentNumber)).toEqual(['DA-2024-0815', 'DA-2024-0816']);
	});

	it('takes RFF+DQ as the delivery note number and falls back to the BGM number without it', () => {
		expect(first.deliveryNoteNumber).toBe('LS-2024-0815');
		expect(second.deliveryNoteNumber).toBe('DA-2024-0816');
	});

	it('converts DTM 137 (format 203), 11, 17 and 358 (format 102) to ISO 8601', () => {
		expect([first.documentDate, first.despatchDate, first.deliveryDate]).toEqual([
			'2024-03-05T14:10',
			'2024-03-05',
			'2024-03-07',
		]);
		expect([second.documentDate, second.despatchDate, second.deliveryDate]).toEqual([
			'2024-03-05',
			'2024-03-06',
			'2024-03-08',
		]);
	});

	it('reads parties with GLNs, released separators and ISO-8859-1 umlauts, and skips the RFF+VA of a party', () => {
		expect(first.parties).toEqual([
			{
				role: 'supplier',
				roleAsGiven: 'SU',
				gln: '4012345000016',
				name: 'Müller + Söhne GmbH',
				name2: 'Werkzeuge',
				street: 'Industriestraße 12',
				city: 'Stuttgart',
				zip: '70565',
				country: 'DE',
			},
			{
				role: 'buyer',
				roleAsGiven: 'BY',
				gln: '4298765000014',
				name: 'Beispiel Handels AG',
				street: 'Lagerweg 3',
				city: 'Köln',
				zip: '50667',
				country: 'DE',
			},
			{
				role: 'delivery',
				roleAsGiven: 'DP',
				gln: '4298765000021',
				name: 'Beispiel Handels AG',
				name2: 'Zentrallager',
				street: 'Lagerweg 5',
				city: 'Köln',
				zip: '50667',
				country: 'DE',
			},
		]);
		expect(first.references).toBeUndefined();
	});

	it('reads each line: GTIN from LIN, article numbers from PIA, IMD with released characters, QTY+12 and its unit', () => {
		expect(first.lines).toEqual([
			{
				lineNumber: '1',
				gtin: '4006381333931',
				supplierArticleNumber: 'SCH-M6-20',
				buyerArticleNumber: '100-200-300',
				description: 'Schraube M6 verzinkt, Größe 20 mm',
				quantity: '1250',
				unit: 'PCE',
				orderNumber: 'B-4711',
				orderLine: '10',
			},
			{
				lineNumber: '2',
				gtin: '4006381333948',
				supplierArticleNumber: 'MUT-M6',
				description: "Sechskantmutter M6 DIN 934 'verzinkt'",
				quantity: '500',
				unit: 'PCE',
				orderNumber: 'B-4711',
				orderLine: '20',
			},
			{
				lineNumber: '3',
				gtin: '4006381333955',
				supplierArticleNumber: 'DRA-1.5',
				description: 'Bindedraht 1:5 mm',
				quantity: '2.5',
				unit: 'KGM',
				orderNumber: 'B-4712',
				orderLine: '10',
			},
		]);
		expect(second.lines).toEqual([
			{
				lineNumber: '1',
				supplierArticleNumber: 'DUE-8',
				description: 'Dübel 8 mm für Beton',
				quantity: '1000',
				unit: 'PCE',
				orderNumber: 'B-4713',
				orderLine: '1',
			},
		]);
	});

	it('collects order numbers from header and lines, SSCCs from GIN+BJ and FTX remarks', () => {
		expect(first.orderNumbers).toEqual(['B-4711', 'B-4712']);
		expect(second.orderNumbers).toEqual(['B-4713']);
		expect(first.packageIds).toEqual(['340123450000000017']);
		expect(second.packageIds).toEqual(['340123450000000024']);
		expect(first.remarks).toEqual([{ type: 'DEL', text: 'Anlieferung Rampe 2 bitte vorher anrufen' }]);
	});

	it('reads the same interchange with LF or no line breaks at all between segments', () => {
		const lf = Buffer.from(eancomText.replace(/\r\n/g, '\n'), 'latin1');
		const oneLine = Buffer.from(eancomText.replace(/\r\n/g, ''), 'latin1');
		expect(parseDesadv(lf, EANCOM)).toEqual(notes);
		expect(parseDesadv(oneLine, EANCOM)).toEqual(notes);
	});

	it('strips a UTF-8 byte-order mark, and reads UTF-8 that still claims UNOC', () => {
		const utf8 = Buffer.from(eancomText, 'utf8');
		expect(parseDesadv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]), EANCOM)).toEqual(notes);
		expect(parseDesadv(utf8, EANCOM)).toEqual(notes);
	});
});

describe('parseDesadv', () => {
	it('follows a UNA that redefines every separator and the decimal mark', () => {
		const text =
			"UNA|*,#~'UNB*UNOC|3*S*R*240101|1200*9'UNH*1*DESADV|D|96A|UN'BGM*351*A#*B#|C#'#'*9'" +
			"LIN*1**4006381333931|SRV'QTY*12|2,5|KGM'UNT*5*1'UNZ*1*9'";
		const [note] = parseDesadv(Buffer.from(text), 'una.edi');
		expect(note.deliveryNoteNumber).toBe("A*B|C''");
		expect(note.lines).toEqual([{ lineNumber: '1', gtin: '4006381333931', quantity: '2.5', unit: 'KGM' }]);
	});

	it('uses the caller’s charset over the one UNB announces', () => {
		const utf8 = Buffer.from("UNB+UNOA:3+S+R+240101:1200+9'UNH+1+DESADV:D:96A:UN'BGM+351+Größe+9'UNT+3+1'UNZ+1+9'", 'utf8');
		expect(parseDesadv(utf8, 'x.edi', 'utf-8')[0].deliveryNoteNumber).toBe('Größe');
		expect(parseDesadv(utf8, 'x.edi', 'iso-8859-1')[0].deliveryNoteNumber).toBe('GrÃ¶ÃŸe');
	});
});

describe('parseDesadv refuses', () => {
	it('an interchange whose message is not a DESADV as UNSUPPORTED_FORMAT at its UNH', () => {
		const invoic = Buffer.from("UNB+UNOC:3+S+R+240101:1200+9'\nUNH+1+INVOIC:D:96A:UN:EAN008'\nBGM+380+R1+9'\nUNT+3+1'\nUNZ+1+9'");
		expectDocumentError(
			() => parseDesadv(invoic, 'invoice.edi'),
			'UNSUPPORTED_FORMAT',
			/^invoice\.edi: line 2, record 2, at UNH: message type INVOIC:D:96A:UN:EAN008 is not a DESADV despatch advice$/,
		);
	});

	it('a line without despatched quantity as MISSING_FIELD at its LIN', () => {
		const bytes = interchange(['BGM+351+X1+9', 'LIN+1++4006381333931:SRV', 'QTY+21:5:PCE', 'LIN+2']);
		expectDocumentError(
			() => parseDesadv(bytes, 'noqty.edi'),
			'MISSING_FIELD',
			/^noqty\.edi: line 4, record 4, at LIN: line 1 has no despatched quantity \(QTY\+12\)$/,
		);
	});

	it('a quantity that is not a number as INVALID_VALUE at its QTY', () => {
		const bytes = interchange(['BGM+351+X1+9', 'LIN+1', 'QTY+12:zwölf:PCE']);
		expectDocumentError(
			() => parseDesadv(bytes, 'qty.edi'),
			'INVALID_VALUE',
			/^qty\.edi: line 5, record 5, at QTY: quantity "zwölf" is not a number$/,
		);
	});

	it('an impossible date as INVALID_VALUE at its DTM', () => {
		const bytes = interchange(['BGM+351+X1+9', 'DTM+11:20240230:102']);
		expectDocumentError(
			() => parseDesadv(bytes, 'date.edi'),
			'INVALID_VALUE',
			/^date\.edi: line 4, record 4, at DTM: "20240230" is not a valid date \(format 102\)$/,
		);
	});

	it('a message without BGM number or RFF+DQ as MISSING_FIELD', () => {
		const bytes = interchange(['DTM+11:20240101:102']);
		expectDocumentError(
			() => parseDesadv(bytes, 'nonumber.edi'),
			'MISSING_FIELD',
			/^nonumber\.edi: line 2, record 2, at BGM: message 1 has neither a document number \(BGM\) nor a delivery note number \(RFF\+DQ\)$/,
		);
	});

	it('a UNT whose segment count does not match as INVALID_VALUE at the UNT', () => {
		const bytes = Buffer.from(eancomText.replace("UNT+34+M0001'", "UNT+35+M0001'"), 'latin1');
		expectDocumentError(
			() => parseDesadv(bytes, EANCOM),
			'INVALID_VALUE',
			/^desadv-eancom-two-messages\.edi: line 36, record 35, at UNT: UNT counts 35 segments, message M0001 has 34$/,
		);
	});

	it('a file cut off inside a message as PARSE_ERROR naming the last segment', () => {
		const cut = eancomText.slice(0, eancomText.indexOf("UNT+34+M0001'"));
		expectDocumentError(
			() => parseDesadv(Buffer.from(cut, 'latin1'), EANCOM),
			'PARSE_ERROR',
			/^desadv-eancom-two-messages\.edi: line 35, record 34, at CNT: message M0001 ends without UNT; the file may be truncated$/,
		);
		const midSegment = eancomText.slice(0, eancomText.indexOf('QTY+12:500'));
		expectDocumentError(
			() => parseDesadv(Buffer.from(midSegment + 'QTY+12:5', 'latin1'), EANCOM),
			'PARSE_ERROR',
			/^desadv-eancom-two-messages\.edi: line 28, record 27: the file ends inside a segment/,
		);
	});

	it('something that is not EDIFACT as PARSE_ERROR at its first segment', () => {
		expectDocumentError(
			() => parseDesadv(Buffer.from('Lieferschein;Menge\nLS-1;5\n'), 'x.csv'),
			'PARSE_ERROR',
			/^x\.csv: line 1, record 1: "Lieferschein;Menge/,
		);
	});
});

describe('parseDesadv on interchanges whose UNZ trailer miscounts (EANCOM fixture, counts changed)', () => {
	it('reads every message and says so in warnings when UNZ counts wrong but each message is complete', () => {
		const miscounted = Buffer.from(eancomText.replace("UNZ+2+IC0000042'", "UNZ+3+IC0000042'"), 'latin1');
		const notes = parseDesadv(miscounted, EANCOM);
		expect(notes.map((n) => n.deliveryNoteNumber)).toEqual(['LS-2024-0815', 'DA-2024-0816']);
		const warning =
			'UNZ (segment 53, line 54) counts 3 messages, the interchange has 2; every message is complete (its UNT count and reference are right), so all were read';
		expect(notes.map((n) => n.warnings)).toEqual([[warning], [warning]]);
		// the notes are otherwise those of the correct file
		const correct = parseDesadv(eancomBytes, EANCOM);
		expect(notes.map(({ warnings, ...n }) => n)).toEqual(correct);
		expect(correct.every((n) => n.warnings === undefined)).toBe(true);
	});

	it('still refuses it when a message is incomplete (its UNT count is wrong too)', () => {
		const both = eancomText.replace("UNZ+2+IC0000042'", "UNZ+1+IC0000042'").replace("UNT+17+M0002'", "UNT+18+M0002'");
		expectDocumentError(
			() => parseDesadv(Buffer.from(both, 'latin1'), EANCOM),
			'INVALID_VALUE',
			/at UNT: UNT counts 18 segments, message M0002 has 17$/,
		);
	});

	it('still refuses a UNZ whose reference is not that of its UNB', () => {
		const other = Buffer.from(eancomText.replace("UNZ+2+IC0000042'", "UNZ+2+IC0000043'"), 'latin1');
		expectDocumentError(() => parseDesadv(other, EANCOM), 'INVALID_VALUE', /at UNZ: UNZ reference IC0000043 does not match UNB reference IC0000042$/);
	});
});

describe('parseDesadv and control characters, padding, encodings, size', () => {
	it('refuses a NUL or ESC inside a value, naming segment and line, as MT940 does', () => {
		const nul = Buffer.from(eancomText.replace('BGM+351+DA-2024-0815+9', 'BGM+351+DA-2024\u00000815+9'), 'latin1');
		expectDocumentError(() => parseDesadv(nul, EANCOM), 'INVALID_VALUE', /^desadv-eancom-two-messages\.edi: line 4, record 3, at BGM: control character U\+0000 in a value$/);
		const esc = Buffer.from(eancomText.replace('Beispiel Handels AG+Lagerweg 3', 'Beispiel\u001b[2J Handels AG+Lagerweg 3'), 'latin1');
		expectDocumentError(() => parseDesadv(esc, EANCOM), 'INVALID_VALUE', /line 12, record 11, at NAD: control character U\+001B/);
	});

	it('reads an interchange padded with NUL bytes between segments and to the end of its block, as fixed-length transfers do', () => {
		// OFTP and mainframe transfers fill records and the last block with NUL; the padding is not data
		const padded = eancomText.replace(/'\r\n/g, "'" + '\0'.repeat(3) + '\r\n') + '\0'.repeat(4096 - (eancomText.length % 4096));
		expect(parseDesadv(Buffer.from('\0\0' + padded, 'latin1'), EANCOM)).toEqual(parseDesadv(eancomBytes, EANCOM));
	});

	it('reads UTF-16 without a byte-order mark', () => {
		const notes = parseDesadv(Buffer.from(eancomText, 'utf16le'), EANCOM);
		expect(notes[0].parties[0].name).toBe('Müller + Söhne GmbH');
		expect(notes).toEqual(parseDesadv(eancomBytes, EANCOM));
	});

	it('refuses a file above its size limit with TOO_LARGE before decoding it', () => {
		expectDocumentError(
			() => parseDesadv(Buffer.alloc(4096, 0xff), 'big.edi', undefined, 1024),
			'TOO_LARGE',
			/^big\.edi: the file has 4,096 bytes, more than the 1 KB \(1,024 bytes\) a document may have; it was not read$/,
		);
	});

	it('reads a 1,000-message interchange (about 5 MB) with values cut from the text, not built character by character', () => {
		// 37 MB took 26 s and 1.5 GB before; generous bound, proves only that nothing is quadratic
		const messages: string[] = [];
		const body = eancomText.slice(eancomText.indexOf("UNH+M0001"), eancomText.indexOf("UNH+M0002"));
		for (let i = 1; i <= 1000; i++) messages.push(body.replace(/M0001/g, `M${i}`));
		const text = eancomText.slice(0, eancomText.indexOf('UNH+M0001')) + messages.join('') + "UNZ+1000+IC0000042'\r\n";
		const big = Buffer.from(text.replace(/(IMD\+F\+\+:::)/g, '$1' + 'x'.repeat(1500) + ' '), 'latin1');
		expect(big.length).toBeGreaterThan(5_000_000);
		const started = Date.now();
		const notes = parseDesadv(big, 'big.edi');
		expect(notes).toHaveLength(1000);
		expect(notes[999].lines[2].description).toMatch(/^x{1500} Bindedraht 1:5 mm$/);
		expect(Date.now() - started).toBeLessThan(30_000);
	}, 60_000);
});
