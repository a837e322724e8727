import type { Invoice, InvoiceLanguage } from '../shared/documents/invoices';

/**
 * What one invoice puts into the mail. Today: its PDF, named by the invoice number. This is the one place
 * where the e-invoice option plugs in: an `InvoiceAttachmentBuilder` per option value turns the invoice and
 * its PDF into the attachments —
 * - Factur-X / ZUGFeRD (EN 16931 profile): one PDF/A-3 with the CII XML embedded, replacing the plain PDF;
 * - XRechnung: the XML (CII or UBL) as the invoice, the PDF next to it as a readable copy.
 * A builder throws a DocumentError (naming the element) when the invoice lacks what its format needs; the
 * node then reports that invoice on the Failed output and mails the customer's other invoices.
 */

export interface MailAttachment {
	filename: string;
	content: Buffer;
	contentType: string;
}

export interface AttachmentContext {
	/** the file name without extension, from the invoice number ("RE-2025-0042") */
	baseName: string;
	/** the language the PDF was rendered in (what `invoicePdfMetadata` needs to match it) */
	language: InvoiceLanguage;
	/** true: the PDF is `renderInvoicePdf(invoice, { language, logo })`; false: the item's ready-made PDF */
	generated: boolean;
	logo?: Uint8Array;
}

/**
 * @param invoice the invoice as mapped from the item (seller data from the node parameters); for a generated
 *   PDF it passed `validateInvoiceForPdf`, for a ready-made one only the number and the lines' arithmetic
 * @param pdf the invoice PDF
 */
export type InvoiceAttachmentBuilder = (invoice: Invoice, pdf: Uint8Array, context: AttachmentContext) => Promise<MailAttachment[]>;

/** No e-invoice: the PDF alone. */
export const pdfOnly: InvoiceAttachmentBuilder = async (_invoice, pdf, { baseName }) => [
	{ filename: `${baseName}.pdf`, content: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength), contentType: 'application/pdf' },
];

/** The value of the (future) "E-Invoice" option. Only `none` exists so far. */
export type EInvoiceFormat = 'none';

/** The builder for an option value. Add `facturx` and `xrechnung` here, next to a parameter in description.ts. */
export function attachmentBuilder(format: EInvoiceFormat = 'none'): InvoiceAttachmentBuilder {
	switch (format) {
		case 'none':
		default:
			return pdfOnly;
	}
}

/**
 * A file name from an invoice number. Umlauts and spaces stay (nodemailer encodes the name by RFC 2231, so
 * "Rechnung Müller.pdf" arrives as such); path separators and characters Windows forbids in file names
 * become "_", so that the customer can save the attachment as it is named.
 */
export function fileBaseName(invoiceNumber: string): string {
	const name = invoiceNumber
		.normalize('NFC')
		// eslint-disable-next-line no-control-regex -- control characters are what is removed
		.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
		.replace(/^[.\s]+|[.\s]+$/g, '')
		.slice(0, 150);
	return name === '' ? 'invoice' : name;
}

/** Makes the file names of one mail distinct ("RE 1.pdf", "RE 1 (2).pdf"), keeping their extensions. */
export function distinctFileNames(attachments: MailAttachment[]): MailAttachment[] {
	const seen = new Set<string>();
	return attachments.map((attachment) => {
		let name = attachment.filename;
		const dot = name.lastIndexOf('.');
		const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
		for (let n = 2; seen.has(name.toLowerCase()); n++) name = `${stem} (${n})${extension}`;
		seen.add(name.toLowerCase());
		return name === attachment.filename ? attachment : { ...attachment, filename: name };
	});
}
