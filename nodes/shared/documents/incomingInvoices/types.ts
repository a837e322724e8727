/**
 * A supplier's e-invoice as read from ZUGFeRD / Factur-X, XRechnung (CII or UBL) or a plain EN 16931 XML: one
 * model whatever the syntax, named by the business terms of EN 16931 (BT-/BG- numbers in the comments).
 *
 * Amounts, prices, quantities and rates are decimal strings exactly as the document writes them ("571.04",
 * "1.0000"), checked to be decimals, never floats. Dates are ISO 8601 calendar dates ("2025-03-14").
 * Optional terms the document does not carry are absent, never empty strings.
 */

/** The XML syntax the invoice was written in. */
export type EInvoiceSyntax = 'CII' | 'UBL' | 'ZUGFeRD 1.0';

/**
 * The profile the document declares (BT-24). MINIMUM and BASIC WL carry no lines and are no invoice under §14
 * UStG; ZUGFeRD 1.0 predates EN 16931.
 */
export type EInvoiceProfile =
	| 'MINIMUM'
	| 'BASIC WL'
	| 'BASIC'
	| 'EN 16931'
	| 'EXTENDED'
	| 'XRECHNUNG'
	| 'ZUGFeRD 1.0 BASIC'
	| 'ZUGFeRD 1.0 COMFORT'
	| 'ZUGFeRD 1.0 EXTENDED'
	| 'unknown';

export interface ReceivedAddress {
	/** BT-35, BT-36, BT-162 (street, additional lines) in document order */
	lines: string[];
	city?: string;
	postcode?: string;
	/** BT-39 */
	countrySubdivision?: string;
	/** ISO 3166-1 alpha-2 */
	country?: string;
}

export interface ReceivedParty {
	/** BT-27 / BT-44: the legal name */
	name?: string;
	/** BT-28 / BT-45 */
	tradingName?: string;
	/** BT-29 / BT-46: identifiers the party is known by (e.g. the supplier number at the buyer) */
	ids: string[];
	/** BT-29 / BT-46 with a scheme (GLN 0088 …) */
	globalIds: Array<{ id: string; scheme?: string }>;
	/** BT-30 / BT-47 */
	legalRegistrationId?: string;
	/** BT-31 / BT-48 */
	vatId?: string;
	/** BT-32: the Steuernummer */
	taxNumber?: string;
	/** BT-33 */
	additionalLegalInfo?: string;
	/** BT-34 / BT-49 */
	electronicAddress?: { value: string; scheme?: string };
	address?: ReceivedAddress;
	/** BG-6 / BG-9 */
	contact?: { name?: string; phone?: string; email?: string };
}

export interface AllowanceCharge {
	/** false: an allowance (BG-20, BG-27); true: a charge (BG-21, BG-28) */
	charge: boolean;
	/** BT-92 / BT-99 / BT-136 / BT-141; missing only in a broken document (BR-31, BR-36) */
	amount?: string;
	baseAmount?: string;
	percentage?: string;
	reason?: string;
	reasonCode?: string;
	/** document level only: BT-95 / BT-102 and BT-96 / BT-103 */
	vatCategory?: string;
	vatRate?: string;
}

export interface ReceivedLine {
	/** BT-126 */
	id: string;
	note?: string;
	/** Factur-X EXTENDED: `DETAIL` and `INFORMATION` lines are parts of another line and not added up */
	status?: string;
	/** Factur-X EXTENDED: the line this one is a part of */
	parentLineId?: string;
	/** BT-153 */
	name?: string;
	/** BT-154 */
	description?: string;
	/** BT-155: the supplier's article number */
	sellerArticleId?: string;
	/** BT-156: the buyer's own article number */
	buyerArticleId?: string;
	/** BT-157: GTIN and the like, with its scheme (0160 = GTIN) */
	standardId?: { id: string; scheme?: string };
	/** BT-129 */
	quantity?: string;
	/** BT-130: UN/ECE Rec. 20 code */
	unit?: string;
	/** BT-146: net price per `priceBaseQuantity` units */
	netPrice?: string;
	/** BT-148 */
	grossPrice?: string;
	/** BT-149, when the price is per more than one unit */
	priceBaseQuantity?: string;
	/** BT-131 */
	lineTotal?: string;
	/** BT-151 (UNTDID 5305: S, Z, E, AE, K, G, O, L, M) */
	vatCategory?: string;
	/** BT-152 */
	vatRate?: string;
	/** BT-132: the line of the buyer's order */
	orderLineReference?: string;
	/** BG-26 */
	period?: { from?: string; to?: string };
	allowancesCharges: AllowanceCharge[];
}

/** BG-23 */
export interface ReceivedVatBreakdown {
	category?: string;
	rate?: string;
	taxableAmount?: string;
	taxAmount?: string;
	exemptionReason?: string;
	exemptionReasonCode?: string;
}

/** BG-22 */
export interface ReceivedTotals {
	/** BT-106 */
	lineTotal?: string;
	/** BT-107 */
	allowanceTotal?: string;
	/** BT-108 */
	chargeTotal?: string;
	/** BT-109 */
	taxBasisTotal?: string;
	/** BT-110, in the invoice currency */
	vatTotal?: string;
	/** BT-111, in the VAT accounting currency (BT-6) */
	vatTotalInAccountingCurrency?: string;
	/** BT-112 */
	grandTotal?: string;
	/** BT-113 */
	prepaidAmount?: string;
	/** BT-114 */
	roundingAmount?: string;
	/** BT-115 */
	amountDue?: string;
}

/** BG-24: a supporting document, as metadata; embedded content is not copied into the item. */
export interface ReceivedAttachment {
	/** BT-122 */
	id?: string;
	/** BT-123 */
	description?: string;
	/** BT-124 */
	uri?: string;
	/** BT-125's attributes */
	fileName?: string;
	mimeCode?: string;
	/** the decoded size of embedded content in bytes */
	size?: number;
}

export interface ReceivedPayment {
	/** BT-81 (UNTDID 4461: 58 SEPA credit transfer, 59 SEPA direct debit, 30 credit transfer …) */
	meansCode?: string;
	/** BT-82 */
	meansText?: string;
	/** BT-83 */
	remittanceInformation?: string;
	/** BT-20 */
	terms?: string;
	/** BG-17 */
	accounts: Array<{ iban: string; accountName?: string; bic?: string }>;
	/** BT-89 */
	mandateReference?: string;
	/** BT-90 */
	creditorId?: string;
	/** BT-91 */
	debitedAccount?: string;
}

export interface ReceivedInvoice {
	syntax: EInvoiceSyntax;
	/** BT-24 as written */
	specification?: string;
	profile: EInvoiceProfile;
	/** BT-23 */
	businessProcess?: string;
	/** BT-1 */
	number?: string;
	/** BT-3 as written (UNTDID 1001) */
	typeCode?: string;
	/** from BT-3: 381 and the other credit note codes are credit notes */
	type: 'invoice' | 'creditNote';
	/** BT-2 */
	issueDate?: string;
	/** BT-9 */
	dueDate?: string;
	/** BT-7 */
	taxPointDate?: string;
	/** BT-72 */
	deliveryDate?: string;
	/** BG-14 */
	invoicePeriod?: { from?: string; to?: string };
	/** BT-5 */
	currency?: string;
	/** BT-6 */
	vatCurrency?: string;
	/** BT-10: for public authorities the Leitweg-ID */
	buyerReference?: string;
	/** BT-13: the buyer's order number */
	orderReference?: string;
	/** BT-14 */
	salesOrderReference?: string;
	/** BT-16: the delivery note (despatch advice) */
	despatchAdviceReference?: string;
	/** BT-15 */
	receivingAdviceReference?: string;
	/** BT-12 */
	contractReference?: string;
	/** BT-11 */
	projectReference?: string;
	/** BG-3: the invoices a credit note corrects */
	precedingInvoices: Array<{ number: string; issueDate?: string }>;
	/** BG-1 */
	notes: string[];
	seller: ReceivedParty;
	buyer: ReceivedParty;
	/** BG-10 */
	payee?: ReceivedParty;
	/** BG-11: the seller's tax representative */
	taxRepresentative?: ReceivedParty;
	/** BG-13 */
	deliverTo?: ReceivedParty;
	lines: ReceivedLine[];
	/** BG-20 and BG-21, document level */
	allowancesCharges: AllowanceCharge[];
	vatBreakdown: ReceivedVatBreakdown[];
	totals: ReceivedTotals;
	payment: ReceivedPayment;
	attachments: ReceivedAttachment[];
}

/** Where a term of the model was read: the element's path and position in the XML. */
export interface SourcePosition {
	element: string;
	line: number;
	column: number;
}

/** Model paths ("totals.lineTotal", "lines[2].lineTotal") to the element each was read from. */
export interface SourceLookup {
	get(field: string): SourcePosition | undefined;
}

/** One rule an invoice breaks, found by `checkEInvoice`. */
export interface EInvoiceProblem {
	/** the rule's identifier: `BR-CO-10`, `BR-S-08`, `BR-16`, `§14 UStG` … */
	rule: string;
	/** `error`: the invoice breaks EN 16931 (or is no invoice under German law); `warning`: worth a look */
	severity: 'error' | 'warning';
	/** the business term(s), e.g. `BT-106` */
	term: string;
	/** the model path, e.g. `totals.lineTotal`, `lines[2].lineTotal` */
	field: string;
	/** where in the XML, when the term was there at all */
	element?: string;
	line?: number;
	column?: number;
	message: string;
}

/** What reading one file gives: the invoice, where each term came from, and what the container said. */
export interface ReadEInvoice {
	invoice: ReceivedInvoice;
	sources: SourceLookup;
	/** `xml`, or `pdf` for a ZUGFeRD / Factur-X PDF */
	container: 'xml' | 'pdf';
	/** for a PDF: the name of the embedded XML it was read from */
	embeddedFileName?: string;
}
