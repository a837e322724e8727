export type {
	AllowanceCharge,
	EInvoiceProblem,
	EInvoiceProfile,
	EInvoiceSyntax,
	ReadEInvoice,
	ReceivedAddress,
	ReceivedAttachment,
	ReceivedInvoice,
	ReceivedLine,
	ReceivedParty,
	ReceivedPayment,
	ReceivedTotals,
	ReceivedVatBreakdown,
	SourceLookup,
	SourcePosition,
} from './types';
export { DEFAULT_MAX_XML_BYTES, isPdf, looksLikeXml, readEInvoice, readInvoiceXml } from './read';
export type { ReadEInvoiceOptions } from './read';
export { checkEInvoice } from './checks';
export { embeddedInvoiceXml } from './pdf';
export { hasLines, notAnInvoiceInGermany, profileOf } from './profiles';
