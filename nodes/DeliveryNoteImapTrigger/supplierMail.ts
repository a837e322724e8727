import { DocumentError, type DocumentErrorCode, type DocumentPosition } from '../shared/documents/DocumentError';
import {
	detectDeliveryNoteFormat,
	parseDeliveryNotes,
	type CsvMapping,
	type DeliveryNote,
	type DeliveryNoteFormat,
} from '../shared/documents/deliveryNotes';
import type { MailAddress, MailPart, MailSummary } from '../shared/transports/mailStructure';

/**
 * What the trigger does with one supplier mail, without any IMAP or n8n: find the supplier by the sender,
 * choose the attachments worth downloading, and turn the downloaded ones into delivery notes or into the
 * reasons why the mail goes to the error folder.
 */

export interface Supplier {
	name: string;
	/** addresses ("lager@lieferant.de") and domains ("*@lieferant.de"), lower case */
	senders: string[];
	format: DeliveryNoteFormat;
	csvMapping?: CsvMapping;
}

export type ErrorReason =
	| 'UNKNOWN_SENDER'
	| 'NO_DELIVERY_NOTE'
	| 'WRONG_FORMAT'
	| 'PARSE_ERROR'
	| 'XML_ENTITY_REFUSED'
	| 'ENCODING_ERROR'
	| 'ATTACHMENT_TOO_LARGE';

export interface MailProblem {
	reason: ErrorReason;
	message: string;
	file?: string;
	position?: DocumentPosition;
	/** the parser's own error code when it is finer than the reason (MISSING_FIELD, INVALID_VALUE …) */
	detail?: DocumentErrorCode;
}

export interface Attachment {
	fileName: string;
	mimeType: string;
	bytes: Buffer;
}

export type MailOutcome =
	| { kind: 'deliveryNotes'; mail: MailSummary; supplier: Supplier; notes: Array<{ note: DeliveryNote; attachment: Attachment }> }
	| { kind: 'error'; mail: MailSummary; supplier?: Supplier; problems: MailProblem[]; attachments: Attachment[] };

const FORMAT_NAMES: Record<DeliveryNoteFormat, string> = {
	opentrans: 'openTRANS DISPATCHNOTIFICATION',
	desadv: 'EDIFACT DESADV',
	csv: 'CSV',
};

/**
 * Attachments that are never delivery notes: the PDF copy, logos, signatures, office files. Not downloading
 * them is most of the saving of "download only what is needed".
 */
const NOT_A_DELIVERY_NOTE =
	/^(image|audio|video|font|model)\/|^application\/(pdf|zip|x-zip[\w-]*|gzip|x-gzip|x-7z-compressed|x-rar[\w-]*|msword|vnd\.ms-(?!excel$)[\w.-]+|vnd\.openxmlformats[\w.-]*|vnd\.oasis[\w.-]*|pkcs7-signature|x-pkcs7-signature|pgp-signature|pgp-keys|ms-tnef|vnd\.ms-tnef)$/;

export function parseSenders(text: string): string[] {
	return text
		.split(/[,;\s]+/)
		.map((s) => s.trim().toLowerCase())
		.filter(Boolean);
}

/**
 * The supplier a mail comes from: an exact address wins over a domain (`*@domain`), the first supplier in
 * the list wins among equals. The From: addresses are looked at, then Sender: (a supplier's ERP system may
 * send on behalf of a clerk).
 */
export function findSupplier(suppliers: Supplier[], mail: MailSummary): Supplier | undefined {
	const addresses = [...mail.from, ...mail.sender].map((a: MailAddress) => a.address.toLowerCase());
	for (const address of addresses) {
		const exact = suppliers.find((s) => s.senders.includes(address));
		if (exact) return exact;
	}
	for (const address of addresses) {
		const domain = address.slice(address.lastIndexOf('@') + 1);
		const byDomain = suppliers.find((s) => s.senders.includes(`*@${domain}`));
		if (byDomain) return byDomain;
	}
	return undefined;
}

/** The parts of a mail that may be delivery notes and are worth downloading. */
export function candidateParts(mail: MailSummary): MailPart[] {
	return mail.parts.filter((p) => !NOT_A_DELIVERY_NOTE.test(p.contentType));
}

export function attachmentName(part: MailPart): string {
	if (part.fileName) return part.fileName;
	const extension = /xml/.test(part.contentType) ? '.xml' : /csv/.test(part.contentType) ? '.csv' : /edi/.test(part.contentType) ? '.edi' : '.txt';
	return `attachment-${part.part}${extension}`;
}

export function problemOf(error: unknown, file: string): MailProblem {
	if (error instanceof DocumentError) {
		const reason: ErrorReason =
			error.code === 'ENTITY_NOT_ALLOWED'
				? 'XML_ENTITY_REFUSED'
				: error.code === 'ENCODING_ERROR'
					? 'ENCODING_ERROR'
					: error.code === 'UNSUPPORTED_FORMAT'
						? 'WRONG_FORMAT'
						: error.code === 'TOO_LARGE'
							? 'ATTACHMENT_TOO_LARGE'
							: 'PARSE_ERROR';
		const problem: MailProblem = { reason, message: error.message, file: error.file ?? file };
		if (Object.keys(error.position).length) problem.position = { ...error.position };
		if (reason === 'PARSE_ERROR' && error.code !== 'PARSE_ERROR') problem.detail = error.code;
		return problem;
	}
	// a parser bug must cost one mail (to the error folder), not the whole poll
	return { reason: 'PARSE_ERROR', message: `${file}: ${(error as Error)?.message ?? String(error)}`, file };
}

/**
 * Reads the downloaded attachments of a mail from a known supplier. Every attachment recognised as a
 * delivery note in the supplier's format is parsed; one in another delivery-note format is an error (the
 * supplier's format setting is wrong or the supplier changed it); anything else (a cover letter as .txt, an
 * invoice XML) is left alone. A mail whose delivery notes did not all parse goes to the error folder whole:
 * its good notes are not emitted either, so that a corrected mail can be processed again as one.
 */
export function readSupplierMail(
	mail: MailSummary,
	supplier: Supplier,
	parts: MailPart[],
	downloaded: Map<string, Buffer> | undefined,
): MailOutcome {
	const notes: Array<{ note: DeliveryNote; attachment: Attachment }> = [];
	const problems: MailProblem[] = [];
	const involved: Attachment[] = [];
	for (const part of parts) {
		const bytes = downloaded?.get(part.part);
		const fileName = attachmentName(part);
		if (!bytes) {
			// the server did not deliver the part (mail changed under us): better the error folder than a silent gap
			problems.push({ reason: 'PARSE_ERROR', message: `${fileName}: the mail server did not deliver this attachment`, file: fileName });
			continue;
		}
		const attachment: Attachment = { fileName, mimeType: part.contentType || 'application/octet-stream', bytes };
		let detected: DeliveryNoteFormat | undefined;
		try {
			detected = detectDeliveryNoteFormat(bytes, part.fileName, part.contentType);
		} catch (error) {
			// it looks like a delivery note but cannot be told apart (cut short): a problem, never a silent skip
			problems.push(problemOf(error, fileName));
			involved.push(attachment);
			continue;
		}
		if (detected === undefined) continue;
		if (detected !== supplier.format) {
			// CSV is recognised only by look; for a supplier of another format such a file is just some text
			if (detected === 'csv') continue;
			problems.push({
				reason: 'WRONG_FORMAT',
				message: `${fileName}: the file is an ${FORMAT_NAMES[detected]}, but supplier "${supplier.name}" is set to ${FORMAT_NAMES[supplier.format]}`,
				file: fileName,
			});
			involved.push(attachment);
			continue;
		}
		try {
			const parsed = parseDeliveryNotes(bytes, supplier.format, {
				file: fileName,
				charset: part.charset,
				csvMapping: supplier.csvMapping,
				mimeType: part.contentType,
			});
			for (const note of parsed) notes.push({ note, attachment });
		} catch (error) {
			problems.push(problemOf(error, fileName));
		}
		involved.push(attachment);
	}
	if (problems.length) return { kind: 'error', mail, supplier, problems, attachments: involved };
	if (!notes.length) {
		const looked = mail.parts.map(attachmentName);
		return {
			kind: 'error',
			mail,
			supplier,
			problems: [
				{
					reason: 'NO_DELIVERY_NOTE',
					message: looked.length
						? `No ${FORMAT_NAMES[supplier.format]} delivery note among the attachments (${looked.join(', ')}).`
						: 'The mail has no attachment.',
				},
			],
			attachments: [],
		};
	}
	return { kind: 'deliveryNotes', mail, supplier, notes };
}

/** Attachments that may be delivery notes but are bigger than allowed: not downloaded, the mail goes to errors. */
export function oversizedParts(parts: MailPart[], maxBytes: number): MailProblem[] {
	return parts
		.filter((p) => p.size > maxBytes)
		.map((p) => ({
			reason: 'ATTACHMENT_TOO_LARGE' as const,
			message: `${attachmentName(p)}: about ${formatBytes(p.size)}, more than the allowed ${formatBytes(maxBytes)} ("Max Attachment Size")`,
			file: attachmentName(p),
		}));
}

function formatBytes(n: number): string {
	return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

export function unknownSender(mail: MailSummary): MailOutcome {
	const from = mail.from.map((a) => a.address).join(', ') || '(no sender)';
	return {
		kind: 'error',
		mail,
		problems: [{ reason: 'UNKNOWN_SENDER', message: `The sender ${from} is not one of the configured suppliers.` }],
		attachments: [],
	};
}
