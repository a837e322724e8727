import type { PaymentFormat } from './types';

/**
 * Tells the payment formats apart by their first bytes, so that an FTP directory may hold all of them:
 * camt.052/.053/.054 by the namespace, DATEV by `EXTF`/`DTVF` in the first field, MT940 by SWIFT field tags at the
 * start of lines (or a FIN envelope), CSV by a delimiter in the first line. The file name only decides
 * between CSV and nothing. Returns undefined for anything else (a PDF, a camt.056, an empty file).
 */
export function detectPaymentFormat(bytes: Uint8Array, fileName?: string): PaymentFormat | undefined {
	let head = Buffer.from(bytes.subarray(0, 8192)).toString('latin1');
	if (head.startsWith('\u00EF\u00BB\u00BF')) head = head.slice(3);
	// UTF-16 files: drop the zero bytes so the ASCII markers below can be seen
	if (head.startsWith('\u00FF\u00FE') || head.startsWith('\u00FE\u00FF')) head = head.slice(2).split('\u0000').join('');
	const start = head.replace(/^\s+/, '');
	if (start === '') return undefined;

	if (start.startsWith('<')) {
		const camt = /urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.\d{2}/.exec(head);
		return camt ? (`camt${camt[1]}` as PaymentFormat) : undefined;
	}
	if (/^"?(EXTF|DTVF)"?;/.test(start)) return 'datev';
	if (/^\{1:[^}]*\}/.test(start) && head.includes('{4:')) return 'mt940';
	const lines = start.split(/\r\n|\r|\n/).slice(0, 40);
	const tagged = lines.filter((l) => /^:(20|21|25|28C?|60[FM]|61|62[FM]|64|65|86):/.test(l)).length;
	if (tagged > 0 && /^:\d{2}[A-Z]?:/m.test(lines.slice(0, 5).join('\n'))) return 'mt940';

	const first = lines[0];
	const delimited = /[;\t,|]/.test(first) && lines.filter(Boolean).length >= 1;
	const looksBinary = hasControlCharacter(head);
	if (delimited && !looksBinary) return 'csv';
	if (fileName && /\.(csv|txt)$/i.test(fileName) && !looksBinary) return 'csv';
	return undefined;
}

/** NUL and the other C0 controls except tab, line feed, form feed and carriage return do not occur in text files. */
function hasControlCharacter(text: string): boolean {
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) return true;
	}
	return false;
}
