export type {
	AllowanceCharge,
	AllowanceChargeAmounts,
	AllowanceChargeTotals,
	DocumentAllowanceCharge,
	BankAccount,
	Buyer,
	CheckedInvoice,
	EInvoiceProfile,
	Invoice,
	InvoiceLine,
	InvoiceTotals,
	InvoiceType,
	Party,
	Seller,
	ServicePeriod,
	VatBreakdown,
	VatCategory,
} from './types';
export { checkInvoice, computeTotals, defaultExemptionReason, isCheckedInvoice, isValidIban, validateInvoiceForPdf } from './totals';
export { UNIT_CODES, unitCodeFor, unitLabel } from './unitCodes';
export type { InvoiceLanguage, UnitDefinition } from './unitCodes';
export { checkPrintable, createInvoicePdfDocument, invoicePdfMetadata, renderInvoicePdf } from './invoicePdf';
export type { InvoicePdfMetadata, InvoicePdfOptions } from './invoicePdf';
export { formatDate, formatMoney } from './format';
