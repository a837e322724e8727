import { DocumentError, type DocumentErrorCode, type DocumentPosition } from '../shared/documents/DocumentError';
import { checkEInvoice, isPdf, looksLikeXml, readEInvoice, type ReadEInvoice } from '../shared/documents/incomingInvoices';
import type { MailPart, MailSummary } from '../shared/transports/mailStructure';

/**
 * What the E-Invoice IMAP Trigger does with one supplier mail, without IMAP or n8n (the documents hook of the
 * shared mailbox consumer): choose the attachments that may be e-invoices, read the downloaded ones, and decide
 * whether the mail's invoices are handed over (archive folder) or the mail goes to the error folder, with why.
 */

export type InvoiceMailReason = 'NO_E_INVOICE' | 'INVALID_E_INVOICE' | 'RULES_BROKEN' | 'ATTACHMENT_TOO_LARGE' | 'ATTACHMENT_MISSING';

export interface InvoiceMailProblem {
	reason: InvoiceMailReason;
	message: string;
	file?: string;
	position?: DocumentPosition;
	/** the reader's error code (PARSE_ERROR, ENTITY_NOT_ALLOWED, INVALID_VALUE …) */
	detail?: DocumentErrorCode;
	/** for RULES_BROKEN: the EN 16931 rules the invoice breaks */
	rules?: string[];
}

export interface InvoiceAttachment {
	fileName: string;
	mimeType: string;
	bytes: Buffer;
}

export type InvoiceMailOutcome =
	| { kind: 'invoices'; mail: MailSummary; invoices: Array<{ read: ReadEInvoice; attachment: InvoiceAttachment }> }
	| { kind: 'error'; mail: MailSummary; problems: InvoiceMailProblem[]; attachments: InvoiceAttachment[] };

export interface InvoiceMailSettings {
	maxAttachmentBytes: number;
	maxXmlBytes: number;
	/** an invoice that breaks an EN 16931 rule sends its mail to the error folder (else it is handed over with its check) */
	rulesBrokenIsError: boolean;
}

/** PDFs and XML files, told by type or name: the attachments that may be (or carry) an e-invoice. */
export function invoiceParts(mail: MailSummary): MailPart[] {
	return mail.parts.filter(
		(p) => /^application\/(pdf|xml|octet-stream)$|^text\/xml$|\+xml$/.test(p.contentType) || /\.(pdf|xml)$/i.test(p.fileName ?? ''),
	);
}

export function partName(part: MailPart): string {
	return part.fileName ?? `attachment-${part.part}${/pdf/.test(part.contentType) ? '.pdf' : '.xml'}`;
}

/** Attachments above the size limit: not downloaded; the mail goes to the error folder. */
export function oversizedInvoiceParts(parts: MailPart[], maxBytes: number): InvoiceMailProblem[] {
	return parts
		.filter((p) => p.size > maxBytes)
		.map((p) => ({
			reason: 'ATTACHMENT_TOO_LARGE' as const,
			message: `${partName(p)}: about ${Math.ceil(p.size / 1024)} KB, more than the allowed ${Math.round(maxBytes / 1024)} KB ("Max Attachment Size")`,
			file: partName(p),
		}));
}

function problemOf(error: unknown, file: string): InvoiceMailProblem {
	if (error instanceof DocumentError) {
		const problem: InvoiceMailProblem = { reason: 'INVALID_E_INVOICE', message: error.message, file: error.file ?? file, detail: error.code };
		if (Object.keys(error.position).length) problem.position = { ...error.position };
		return problem;
	}
	// a reader bug must cost one mail (to the error folder), not the whole poll
	return { reason: 'INVALID_E_INVOICE', message: `${file}: ${(error as Error)?.message ?? String(error)}`, file };
}

/**
 * Reads the downloaded attachments of one mail. A PDF or XML that is no e-invoice at all (a cover letter, the
 * terms of business) is left alone; one that is an e-invoice but cannot be read (broken XML, a DTD, an impossible
 * amount) is a problem. The mail is handed over only when it has at least one e-invoice and no problem; else it
 * goes to the error folder whole, so that a corrected mail can be processed again as one.
 */
export async function readInvoiceMail(
	mail: MailSummary,
	parts: MailPart[],
	downloaded: Map<string, Buffer> | undefined,
	settings: InvoiceMailSettings,
): Promise<InvoiceMailOutcome> {
	const invoices: Array<{ read: ReadEInvoice; attachment: InvoiceAttachment }> = [];
	const problems: InvoiceMailProblem[] = [];
	const involved: InvoiceAttachment[] = [];
	const notInvoices: string[] = [];
	for (const part of parts) {
		const fileName = partName(part);
		const bytes = downloaded?.get(part.part);
		if (!bytes) {
			problems.push({ reason: 'ATTACHMENT_MISSING', message: `${fileName}: the mail server did not deliver this attachment`, file: fileName });
			continue;
		}
		if (!isPdf(bytes) && !looksLikeXml(bytes)) continue;
		const attachment: InvoiceAttachment = { fileName, mimeType: part.contentType || 'application/octet-stream', bytes };
		try {
			const read = await readEInvoice(bytes, { fileName, maxXmlBytes: settings.maxXmlBytes });
			invoices.push({ read, attachment });
			involved.push(attachment);
			const broken = rulesBroken(read, fileName);
			if (broken && settings.rulesBrokenIsError) problems.push(broken);
		} catch (error) {
			if (error instanceof DocumentError && error.code === 'UNSUPPORTED_FORMAT') {
				notInvoices.push(`${fileName} (${error.reason})`);
				continue;
			}
			problems.push(problemOf(error, fileName));
			involved.push(attachment);
		}
	}
	if (problems.length) return { kind: 'error', mail, problems, attachments: involved };
	if (!invoices.length) {
		const message = notInvoices.length
			? `No e-invoice (ZUGFeRD / Factur-X PDF, XRechnung or EN 16931 XML) among the attachments: ${notInvoices.join('; ')}`
			: `No e-invoice: the mail has no PDF or XML attachment${mail.parts.length ? ` (attachments: ${mail.parts.map(partName).join(', ')})` : ''}`;
		return { kind: 'error', mail, problems: [{ reason: 'NO_E_INVOICE', message }], attachments: [] };
	}
	return { kind: 'invoices', mail, invoices };
}

function rulesBroken(read: ReadEInvoice, fileName: string): InvoiceMailProblem | undefined {
	const errors = checkEInvoice(read.invoice, read.sources).filter((p) => p.severity === 'error');
	if (!errors.length) return undefined;
	const shown = errors.slice(0, 3).map((p) => `${p.rule}: ${p.message}`).join('; ');
	return {
		reason: 'RULES_BROKEN',
		message: `${fileName}: invoice ${read.invoice.number ?? '(no number)'} breaks ${errors.length} EN 16931 rule(s): ${shown}${errors.length > 3 ? '; …' : ''}`,
		file: fileName,
		rules: [...new Set(errors.map((p) => p.rule))],
	};
}
