import { DocumentError } from '../DocumentError';
import { parseDeliveryNoteCsv, type CsvMapping } from './csv';
import { parseDesadv } from './desadv';
import { detectDeliveryNoteFormat } from './detect';
import { parseDispatchNotification } from './openTrans';
import type { DeliveryNote, DeliveryNoteFormat } from './types';

export * from './types';
export { parseDispatchNotification, readDispatchNotification, OPENTRANS_NS, BMECAT_NS } from './openTrans';
export { parseDesadv } from './desadv';
export { parseDeliveryNoteCsv, readCsvRecords } from './csv';
export type { CsvMapping, CsvColumns, CsvColumn, CsvRecord } from './csv';
export { detectDeliveryNoteFormat } from './detect';

export interface ParseDeliveryNotesOptions {
	/** the attachment's file name, named in every error */
	file?: string;
	/**
	 * the MIME part's charset. openTRANS uses it only when the XML declaration names none; DESADV ignores it,
	 * as its UNB syntax identifier (UNOC, UNOW …) is the document's own declaration; CSV uses the mapping's encoding
	 */
	charset?: string;
	/** the supplier's column mapping; required for CSV */
	csvMapping?: CsvMapping;
	/** the attachment's MIME type; only format 'auto' uses it, to tell whether a text file may be CSV */
	mimeType?: string;
}

/**
 * Parses one attachment into its delivery notes (openTRANS has one per file, DESADV and CSV may have several).
 * With `'auto'`, the format is recognised from the content first; a file that is no delivery note throws
 * UNSUPPORTED_FORMAT.
 */
export function parseDeliveryNotes(
	bytes: Uint8Array,
	format: DeliveryNoteFormat | 'auto',
	options: ParseDeliveryNotesOptions = {},
): DeliveryNote[] {
	const { file, charset, csvMapping } = options;
	const actual = format === 'auto' ? detectDeliveryNoteFormat(bytes, file, options.mimeType) : format;
	switch (actual) {
		case 'opentrans':
			return [parseDispatchNotification(bytes, file, charset)];
		case 'desadv':
			return parseDesadv(bytes, file);
		case 'csv':
			if (!csvMapping) {
				throw new DocumentError('INVALID_VALUE', 'a CSV delivery note needs a column mapping for its supplier', file);
			}
			return parseDeliveryNoteCsv(bytes, csvMapping, file);
		default:
			throw new DocumentError(
				'UNSUPPORTED_FORMAT',
				'the file is not a delivery note in a known format (openTRANS DISPATCHNOTIFICATION, EDIFACT DESADV, CSV)',
				file,
			);
	}
}
