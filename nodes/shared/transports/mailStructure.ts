import type { FetchMessageObject, MessageAddressObject, MessageStructureObject } from 'imapflow';
import { decode as decodeQuotedPrintable } from 'libqp';

/**
 * What a mail looks like to the nodes, read from the server's ENVELOPE and BODYSTRUCTURE: its addresses, dates
 * and the body parts that may carry documents. No protocol here, only the walk over what the server returned.
 */

export interface MailAddress {
	name?: string;
	address: string;
}

/** A body part of a mail that may carry a document: anything but the mail's own text. */
export interface MailPart {
	/** IMAP body part number, e.g. "2" or "1.2" */
	part: string;
	/** lower-case MIME type, e.g. "application/xml" */
	contentType: string;
	fileName?: string;
	/** the MIME part's charset parameter, if any */
	charset?: string;
	/** the content transfer encoding as the server reports it (base64, quoted-printable, 7bit …) */
	encoding?: string;
	/** the size of the part as stored, i.e. still transfer-encoded */
	encodedSize: number;
	/** the size after decoding (exact for base64 up to padding, else the stored size) */
	size: number;
}

export interface MailSummary {
	uid: number;
	messageId?: string;
	from: MailAddress[];
	/** the Sender: header, when a list or a system sends on someone's behalf */
	sender: MailAddress[];
	to: MailAddress[];
	subject?: string;
	/** the Date: header, ISO 8601 */
	date?: string;
	/** when the server received the mail, ISO 8601 */
	receivedAt?: string;
	size?: number;
	parts: MailPart[];
}

const BODY_TEXT_TYPES = new Set(['text/plain', 'text/html', 'text/enriched', 'text/calendar']);

function addresses(list: MessageAddressObject[] | undefined): MailAddress[] {
	return (list ?? [])
		.filter((a) => a.address)
		.map((a) => (a.name ? { name: a.name, address: a.address! } : { address: a.address! }));
}

function iso(date: Date | string | undefined): string | undefined {
	if (!date) return undefined;
	const d = date instanceof Date ? date : new Date(date);
	return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function summarise(message: FetchMessageObject): MailSummary {
	const envelope = message.envelope ?? {};
	const summary: MailSummary = {
		uid: message.uid,
		from: addresses(envelope.from),
		sender: addresses(envelope.sender),
		to: addresses(envelope.to),
		parts: message.bodyStructure ? documentParts(message.bodyStructure) : [],
	};
	if (envelope.messageId) summary.messageId = envelope.messageId;
	if (envelope.subject) summary.subject = envelope.subject;
	const date = iso(envelope.date);
	if (date) summary.date = date;
	const receivedAt = iso(message.internalDate);
	if (receivedAt) summary.receivedAt = receivedAt;
	if (message.size !== undefined) summary.size = message.size;
	return summary;
}

/**
 * The parts of a mail that may be documents: every leaf except the mail's own text (a text/plain or
 * text/html part without a file name that is not marked as attachment). A mail that is nothing but an
 * attachment (EDI gateways send those) has part "1".
 */
export function documentParts(structure: MessageStructureObject): MailPart[] {
	const parts: MailPart[] = [];
	const walk = (node: MessageStructureObject) => {
		const type = (node.type ?? '').toLowerCase();
		if (node.childNodes?.length && type.startsWith('multipart/')) {
			for (const child of node.childNodes) walk(child);
			return;
		}
		// a forwarded mail (message/rfc822) is a mail, not a document of the sender's
		if (type.startsWith('multipart/') || type === 'message/rfc822') return;
		const fileName = node.dispositionParameters?.filename ?? node.parameters?.name;
		const disposition = node.disposition?.toLowerCase();
		if (!fileName && disposition !== 'attachment' && BODY_TEXT_TYPES.has(type)) return;
		const encoding = node.encoding?.toLowerCase();
		const encodedSize = node.size ?? 0;
		const part: MailPart = {
			part: node.part ?? '1',
			contentType: type,
			encodedSize,
			size: encoding === 'base64' ? Math.floor((encodedSize * 3) / 4) : encodedSize,
		};
		if (fileName) part.fileName = fileName;
		if (node.parameters?.charset) part.charset = node.parameters.charset;
		if (encoding) part.encoding = encoding;
		parts.push(part);
	};
	walk(structure);
	return parts;
}

/** Undoes a content transfer encoding, for servers without FETCH BINARY. */
export function decodeTransferEncoding(raw: Buffer, encoding: string | undefined): Buffer {
	switch (encoding) {
		case 'base64':
			return Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
		case 'quoted-printable':
			return decodeQuotedPrintable(raw);
		default:
			return raw;
	}
}
