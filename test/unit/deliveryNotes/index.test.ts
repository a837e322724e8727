import { parseDeliveryNotes, type CsvMapping } from '../../../nodes/shared/documents/deliveryNotes';
import { expectDocumentError, fixture } from './helpers';

const csvMapping: CsvMapping = {
	delimiter: ';',
	decimalSeparator: ',',
	encoding: 'windows-1252',
	headerRow: true,
	columns: { deliveryNoteNumber: 'Lieferschein-Nr.', quantity: 'Menge', articleNumber: 'Artikel-Nr.' },
};

describe('parseDeliveryNotes', () => {
	it('dispatches to the parser of the given format and always returns a list', () => {
		const opentrans = parseDeliveryNotes(fixture('opentrans', 'dispatchnotification-itscope.xml'), 'opentrans', { file: 'a.xml' });
		expect(opentrans.map((n) => [n.format, n.deliveryNoteNumber, n.sourceFile])).toEqual([['opentrans', '39076516', 'a.xml']]);
		const desadv = parseDeliveryNotes(fixture('edifact', 'desadv-eancom-two-messages.edi'), 'desadv');
		expect(desadv.map((n) => n.deliveryNoteNumber)).toEqual(['LS-2024-0815', 'DA-2024-0816']);
		const csv = parseDeliveryNotes(fixture('csv', 'lieferschein-mueller-semikolon-cp1252.csv'), 'csv', { csvMapping });
		expect(csv.map((n) => n.lines.map((l) => `${l.supplierArticleNumber} ${l.quantity}`))).toEqual([
			['SCH-M6-20 1250', 'MUT-M6 500', 'DRA-1,5 2.5'],
			['DUE-8 1000'],
		]);
	});

	it("recognises the format with 'auto'", () => {
		const desadv = parseDeliveryNotes(fixture('edifact', 'desadv-d96a.edi'), 'auto', { file: 'x.edi' });
		expect(desadv.map((n) => [n.format, n.deliveryNoteNumber])).toEqual([['desadv', 'Y02197250']]);
		const csv = parseDeliveryNotes(fixture('csv', 'lieferschein-mueller-semikolon-cp1252.csv'), 'auto', {
			file: 'ls.csv',
			csvMapping,
		});
		expect(csv.map((n) => n.deliveryNoteNumber)).toEqual(['LS-2024-0815', 'LS-2024-0816']);
	});

	it("refuses with UNSUPPORTED_FORMAT what 'auto' does not recognise, naming the file", () => {
		expectDocumentError(
			() => parseDeliveryNotes(Buffer.from('%PDF-1.7\n\0'), 'auto', { file: 'Lieferschein.pdf' }),
			'UNSUPPORTED_FORMAT',
			/^Lieferschein\.pdf: the file is not a delivery note in a known format/,
		);
	});

	it('refuses CSV without a column mapping', () => {
		expectDocumentError(
			() => parseDeliveryNotes(fixture('csv', 'lieferschein-mueller-semikolon-cp1252.csv'), 'csv', { file: 'ls.csv' }),
			'INVALID_VALUE',
			/^ls\.csv: a CSV delivery note needs a column mapping/,
		);
	});

	it('passes the mail part’s charset on, which the XML declaration still overrides', () => {
		const latin1 = Buffer.from(
			'<?xml version="1.0" encoding="ISO-8859-1"?><DISPATCHNOTIFICATION xmlns="http://www.opentrans.org/XMLSchema/2.1"><DISPATCHNOTIFICATION_HEADER><DISPATCHNOTIFICATION_INFO><DISPATCHNOTIFICATION_ID>Lieferung Müller</DISPATCHNOTIFICATION_ID></DISPATCHNOTIFICATION_INFO></DISPATCHNOTIFICATION_HEADER><DISPATCHNOTIFICATION_ITEM_LIST/></DISPATCHNOTIFICATION>',
			'latin1',
		);
		expect(parseDeliveryNotes(latin1, 'opentrans', { charset: 'utf-8' })[0].deliveryNoteNumber).toBe('Lieferung Müller');
	});

	it('lets the UNB syntax identifier of a DESADV win over a wrong charset of the mail part', () => {
		const notes = parseDeliveryNotes(fixture('edifact', 'desadv-eancom-two-messages.edi'), 'desadv', { charset: 'utf-8' });
		expect(notes[0].parties[0].name).toBe('Müller + Söhne GmbH');
	});
});
