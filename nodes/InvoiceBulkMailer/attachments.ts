import { DocumentError } from '../shared/documents/DocumentError';
import { isCheckedInvoice } from '../shared/documents/invoices';
import type { CheckedInvoice, EInvoiceProfile, Invoice, InvoiceLanguage } from '../shared/documents/invoices';
import { checkEInvoice, writeCiiInvoice } from '../shared/documents/invoices/cii';
import { canMakeFacturX, makeFacturX } from '../shared/documents/invoices/facturx';
import { parseRecipients } from '../shared/mail/addresses';

/**
 * What one invoice puts into the mail. This is the one place where the e-invoice option plugs in: an
 * `InvoiceAttachmentBuilder` per option value turns the invoice and its PDF into the attachments —
 * - none: the PDF, named by the invoice number;
 * - Factur-X / ZUGFeRD (profile EN 16931): one PDF/A-3 with the CII XML embedded as factur-x.xml, replacing the
 *   plain PDF;
 * - XRechnung (CII): the XML as its own attachment, the invoice; the PDF next to it as a readable copy.
 * A builder throws a DocumentError (naming the element, and for the e-invoice rules an EInvoiceError naming the
 * rule) when the invoice lacks what its format needs; the node then reports that invoice on the Failed output
 * and mails the customer's other invoices.
 */

export interface MailAttachment {
	filename: string;
	content: Buffer;
	contentType: string;
}

export interface AttachmentContext {
	/** the file name without extension, from the invoice number ("RE-2025-0042") */
	baseName: string;
	/** the language the PDF is rendered in, and of the texts the e-invoice takes over from it */
	language: InvoiceLanguage;
	/** true: the PDF is `renderInvoicePdf(invoice, { language, logo })`; false: the item's ready-made PDF */
	generated: boolean;
	logo?: Uint8Array;
}

/**
 * The invoice PDF, made (or read from the item) when a builder asks for it: a Factur-X of a generated invoice
 * renders its own, and an invoice the e-invoice rules refuse needs none, so neither costs a PDF for nothing.
 */
export type InvoicePdf = () => Promise<Uint8Array>;

/**
 * @param invoice for a generated PDF the checked invoice (`checkInvoice`, from the mail plan), which is neither
 *   checked nor totalled again; for a ready-made one the invoice as mapped from the item (seller data from the
 *   node parameters), which an e-invoice checks in full
 * @param pdf the invoice PDF, on demand
 */
export type InvoiceAttachmentBuilder = (invoice: Invoice | CheckedInvoice, pdf: InvoicePdf, context: AttachmentContext) => Promise<MailAttachment[]>;

const toBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

function pdfAttachment(baseName: string, pdf: Uint8Array): MailAttachment {
	return { filename: `${baseName}.pdf`, content: toBuffer(pdf), contentType: 'application/pdf' };
}

/** No e-invoice: the PDF alone. */
export const pdfOnly: InvoiceAttachmentBuilder = async (_invoice, pdf, { baseName }) => [pdfAttachment(baseName, await pdf())];

/**
 * A ready-made PDF that PDF/A-3 does not allow (fonts not embedded, encryption, JavaScript …). Its message
 * says what to do instead; `reasons` lists what `canMakeFacturX` found, one entry each.
 */
export class PdfNotConvertibleError extends DocumentError {
	readonly reasons: string[];

	constructor(reasons: string[]) {
		super(
			'UNSUPPORTED_FORMAT',
			`the PDF given as binary input cannot become a Factur-X (PDF/A-3): ${reasons.join('; ')}. ` +
				'Export it as PDF/A-3 from the program that makes it, or let the node generate the PDF ("Generate From Invoice Data")',
			undefined,
			{ element: 'pdf' },
		);
		this.name = 'PdfNotConvertibleError';
		this.reasons = reasons;
	}
}

/**
 * The invoice as the e-invoice states it. The customer's e-mail field may list several addresses
 * ("rechnung@kunde.de; buchhaltung@kunde.de"), which the mail goes to; the buyer's electronic address (BT-49)
 * is one address, the first.
 */
export function eInvoiceData(invoice: Invoice): Invoice {
	const email = invoice.buyer.email;
	if (!email) return invoice;
	const [first] = parseRecipients(email).addresses;
	if (first === email) return invoice;
	const buyer = { ...invoice.buyer };
	if (first) buyer.email = first;
	else delete buyer.email;
	return { ...invoice, buyer };
}

/** ZUGFeRD / Factur-X, profile EN 16931: the PDF becomes a PDF/A-3 carrying the CII XML as factur-x.xml. */
/**
 * The invoice checked for the profile: a checked invoice only for the profile's own rules (its §14 check and
 * totals stand), an unchecked one in full, as the e-invoice states it (one buyer address).
 */
function forProfile(invoice: Invoice | CheckedInvoice, profile: EInvoiceProfile, language: InvoiceLanguage): CheckedInvoice {
	return checkEInvoice(isCheckedInvoice(invoice) ? invoice : eInvoiceData(invoice), profile, { language });
}

export const facturX: InvoiceAttachmentBuilder = async (invoice, pdf, { baseName, language, generated, logo }) => {
	// the XML first: an invoice the EN 16931 rules refuse costs no PDF
	const checked = forProfile(invoice, 'EN16931', language);
	const xml = writeCiiInvoice(checked, 'EN16931');
	if (generated) {
		// rendered from the checked invoice by the Factur-X step itself, so that the XMP metadata repeats the very
		// document information the renderer writes (title, author, dates), rather than reread from saved bytes
		return [pdfAttachment(baseName, await makeFacturX(checked, xml, 'EN16931', { pdf: { language, logo } }))];
	}
	const given = await pdf();
	const check = await canMakeFacturX(given);
	if (!check.ok) throw new PdfNotConvertibleError(check.reasons);
	return [pdfAttachment(baseName, await makeFacturX(given, xml, 'EN16931'))];
};

/**
 * XRechnung (CII): the XML is the invoice, as its own attachment named like the PDF ("RE-2025-0042.xml"
 * next to "RE-2025-0042.pdf", so the pair stays recognisable); the PDF goes with it as a readable copy.
 */
export const xRechnung: InvoiceAttachmentBuilder = async (invoice, pdf, { baseName, language }) => {
	const xml = writeCiiInvoice(forProfile(invoice, 'XRECHNUNG', language), 'XRECHNUNG');
	return [{ filename: `${baseName}.xml`, content: xml, contentType: 'application/xml' }, pdfAttachment(baseName, await pdf())];
};

/** The values of the "E-Invoice" parameter. MINIMUM and BASIC WL are not invoices in Germany, so not offered. */
export const E_INVOICE_FORMATS = ['none', 'facturx', 'xrechnung'] as const;
export type EInvoiceFormat = (typeof E_INVOICE_FORMATS)[number];

/** How the formats are named in messages and the README. */
export const E_INVOICE_LABELS: Readonly<Record<EInvoiceFormat, string>> = {
	none: 'PDF',
	facturx: 'Factur-X',
	xrechnung: 'XRechnung',
};

/** The profile whose rules an e-invoice format follows, for checking the seller data before the run. */
export const E_INVOICE_PROFILES = { facturx: 'EN16931', xrechnung: 'XRECHNUNG' } as const;

export function isEInvoiceFormat(value: unknown): value is EInvoiceFormat {
	return typeof value === 'string' && (E_INVOICE_FORMATS as readonly string[]).includes(value);
}

/** The builder for an option value of the "E-Invoice" parameter (description.ts). */
export function attachmentBuilder(format: EInvoiceFormat = 'none'): InvoiceAttachmentBuilder {
	switch (format) {
		case 'facturx':
			return facturX;
		case 'xrechnung':
			return xRechnung;
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
