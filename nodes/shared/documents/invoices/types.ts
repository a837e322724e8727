/**
 * An outgoing invoice (or credit note) as the Invoice Bulk Mailer receives it from a workflow item, and as the
 * invoice PDF and the EN 16931 e-invoice are made from it.
 *
 * Amounts, prices, quantities and rates are decimal strings with a point and no exponent ("1234.5", "0.335",
 * "19"), never floats: 0.1 + 0.2 must stay 0.3 across 10,000 invoices. Dates are ISO 8601 calendar dates
 * ("2025-03-14").
 */

/**
 * The VAT category of a line, the code EN 16931 uses (UNTDID 5305). It decides what the invoice must say
 * besides the rate: an exempt, reverse-charge, intra-EU or export line needs a reason (§14 Abs. 4 Nr. 8,
 * §14a UStG), printed on the PDF and carried in the e-invoice's VAT breakdown.
 * - `S` standard rate (19 %, 7 %), `Z` zero rated (0 %, e.g. photovoltaics under §12 Abs. 3 UStG)
 * - `E` exempt (§4 UStG, small businesses under §19 UStG), `AE` reverse charge (§13b UStG)
 * - `K` intra-community supply (§4 Nr. 1b, §6a UStG), `G` export outside the EU (§4 Nr. 1a, §6 UStG)
 * - `O` not subject to VAT (nicht steuerbar, e.g. a service whose place of supply is abroad, §3a UStG); an
 *   invoice with O lines has only O lines, and its e-invoice carries no VAT ID (EN 16931 BR-O-02, BR-O-11)
 */
export type VatCategory = 'S' | 'Z' | 'E' | 'AE' | 'K' | 'G' | 'O';

export type InvoiceType = 'invoice' | 'creditNote';

export interface Party {
	name: string;
	/** a second name line (Adresszusatz), e.g. a department or "z. Hd. Frau Weber" */
	name2?: string;
	/** street and house number as one line ("Musterstraße 12a"), or a post-office box ("Postfach 10 20 30") */
	street: string;
	zip: string;
	city: string;
	/** ISO 3166-1 alpha-2 code; "DE" when absent */
	country?: string;
	/** Umsatzsteuer-Identifikationsnummer ("DE123456789") */
	vatId?: string;
	/** Steuernummer from the tax office ("12/345/67890"); enough for §14 UStG when there is no VAT ID */
	taxNumber?: string;
	email?: string;
	phone?: string;
}

/**
 * The issuer. Besides §14 UStG, §35a GmbHG / §37a HGB want the register entry and the managing directors on
 * every business letter of a company, so the footer prints them when given.
 */
export interface Seller extends Party {
	/** register court and number, e.g. "Amtsgericht Köln HRB 12345" (EN 16931 BT-30) */
	commercialRegister?: string;
	/** e.g. "Erika Mustermann, Max Mustermann" */
	managingDirectors?: string;
	website?: string;
	/**
	 * The seller's contact point (EN 16931 BT-41), a person or a department ("Buchhaltung"). XRechnung requires
	 * one; without it the e-invoice names the company itself.
	 */
	contactName?: string;
}

export interface Buyer extends Party {
	/** the customer number at the seller */
	customerNumber?: string;
	/** where the mailer sends the invoice */
	email?: string;
	/** the customer wants the invoice on paper ("Rechnung per Post"); the mailer skips them */
	byPost?: boolean;
	/** the buyer's reference (EN 16931 BT-10); for public authorities the Leitweg-ID XRechnung requires */
	buyerReference?: string;
}

export interface InvoiceLine {
	description: string;
	/** may be negative (a return, a correction) */
	quantity: string;
	/**
	 * UN/ECE Recommendation 20 (or 21, with an X prefix) unit code: C62 one, H87 piece, HUR hour, KGM kg, LS lump
	 * sum … `unitCodeFor` in unitCodes.ts turns what users type ("Stk", "Std", "pcs") into a code.
	 */
	unit: string;
	/** net price per unit; more than two decimals are allowed (0.335), the line amount is rounded */
	netUnitPrice: string;
	/** VAT rate in percent: "19", "7", "0" */
	vatRate: string;
	/** `S` when the rate is above 0, `Z` when it is 0 and nothing else is said — give it for exempt lines */
	vatCategory?: VatCategory;
	/**
	 * Why the line carries no VAT (EN 16931 BT-120), printed on the invoice. Without it, E, AE, K and G lines
	 * get the standard German wording for their category (see `defaultExemptionReason`).
	 */
	vatExemptionReason?: string;
	/** the seller's article number */
	articleNumber?: string;
	/**
	 * The number of units the net price is for (EN 16931 BT-149, "price base quantity"): "100" when the price is
	 * per 100 pieces. The line's net amount is quantity × price ÷ this; 1 when absent.
	 */
	priceBaseQuantity?: string;
	/** The period this line is for (EN 16931 BG-26), e.g. one month of a subscription; within or beside the invoice's. */
	period?: ServicePeriod;
	/**
	 * Discounts and surcharges of this line (EN 16931 BG-27, BG-28): the line's net amount is quantity × price ÷
	 * base quantity, minus its allowances, plus its charges.
	 */
	allowancesCharges?: AllowanceCharge[];
}

/**
 * A discount (allowance: Rabatt, Nachlass) or a surcharge (charge: freight, packaging, a minimum-quantity
 * surcharge), net of VAT. Give `amount`, or `percent` of a base: on a line the base is the line's amount
 * (quantity × price ÷ base quantity), on the whole invoice `baseAmount`, else the net amount of the lines with the
 * same VAT rate and category. A reason (text) or a reason code is required (EN 16931 BR-33, BR-38, BR-42, BR-44).
 */
export interface AllowanceCharge {
	kind: 'allowance' | 'charge';
	/** net, not negative, at most two decimals ("12.50") */
	amount?: string;
	/** percent of the base ("3" for 3 %); with `amount` too, the amount must be that percentage of the base */
	percent?: string;
	/** what `percent` is taken of (BT-93, BT-100, BT-137, BT-142) */
	baseAmount?: string;
	/** BT-97, BT-104, BT-139, BT-144: e.g. "Treuerabatt", "Fracht" */
	reason?: string;
	/** UNTDID 5189 for an allowance (95 discount, 100 special agreement …), UNTDID 7161 for a charge (FC freight, ABL packaging …) */
	reasonCode?: string;
}

/**
 * An allowance or charge on the whole invoice (EN 16931 BG-20, BG-21): it has its own VAT rate and category,
 * and changes the taxable amount of that rate in the VAT breakdown (BR-S-08 …).
 */
export interface DocumentAllowanceCharge extends AllowanceCharge {
	/** VAT rate in percent, as on a line */
	vatRate: string;
	/** as on a line: `S` for a rate above 0, `Z` for 0 when absent */
	vatCategory?: VatCategory;
}

export interface ServicePeriod {
	from: string;
	to: string;
}

export interface BankAccount {
	iban: string;
	bic?: string;
	bankName?: string;
	/** when it differs from the seller's name */
	accountHolder?: string;
}

export interface Invoice {
	number: string;
	type: InvoiceType;
	issueDate: string;
	/**
	 * The date of delivery or service (§14 Abs. 4 Nr. 6 UStG). One of `deliveryDate` and `servicePeriod` is
	 * required, even when it is the invoice date: say so by giving the same date.
	 */
	deliveryDate?: string;
	servicePeriod?: ServicePeriod;
	dueDate?: string;
	/** ISO 4217 code; "EUR" when absent */
	currency?: string;
	seller: Seller;
	buyer: Buyer;
	lines: InvoiceLine[];
	/** free text, e.g. "Zahlbar innerhalb von 14 Tagen ohne Abzug." — without it the due date makes one */
	paymentTerms?: string;
	bankAccount?: BankAccount;
	/** further text printed below the totals, one paragraph each */
	notes?: string[];
	/** the buyer's order number (EN 16931 BT-13) */
	orderReference?: string;
	/** the invoice a credit note corrects (EN 16931 BT-25/BT-26) */
	precedingInvoice?: { number: string; issueDate?: string };
	/** an amount already paid (deposit), deducted from the amount due (EN 16931 BT-113) */
	prepaidAmount?: string;
	/** discounts and surcharges on the whole invoice (EN 16931 BG-20, BG-21), e.g. a loyalty discount, freight */
	allowancesCharges?: DocumentAllowanceCharge[];
}

/** An allowance or charge with its amounts worked out: two decimals each, as EN 16931 wants them (BR-DEC-01 …). */
export interface AllowanceChargeAmounts {
	kind: 'allowance' | 'charge';
	amount: string;
	/** present when the allowance or charge was given as a percentage */
	percent?: string;
	baseAmount?: string;
	reason?: string;
	reasonCode?: string;
	/** document level only */
	category?: VatCategory;
	rate?: string;
}

/** One VAT breakdown entry: the lines of one category and rate taken together (EN 16931 BG-23). */
export interface VatBreakdown {
	category: VatCategory;
	/** the rate without trailing zeros: "19", "7", "0", "5.5" */
	rate: string;
	/** the sum of the line net amounts of this category and rate, less its document level allowances, plus its charges */
	netAmount: string;
	/** rate × netAmount, rounded half-up to cents once per breakdown (not per line) */
	vatAmount: string;
	/** for categories other than S and Z: the line's reason or the standard wording */
	exemptionReason?: string;
}

/** All amounts have exactly two decimals ("1166.00"). */
export interface InvoiceTotals {
	/** the net amount of each line (after its own allowances and charges), in the order of `invoice.lines` */
	lineNetAmounts: string[];
	/** ordered by rate, highest first, then by category in the order S, Z, E, AE, K, G */
	vatBreakdown: VatBreakdown[];
	/** the taxable amount (BT-109): the lines' sum, less document level allowances, plus document level charges */
	netTotal: string;
	vatTotal: string;
	grossTotal: string;
	prepaidAmount: string;
	/** grossTotal − prepaidAmount */
	amountDue: string;
	/** present only when the invoice or one of its lines has allowances or charges */
	allowancesCharges?: AllowanceChargeTotals;
}

/** The allowances and charges of an invoice worked out (all amounts with two decimals). */
export interface AllowanceChargeTotals {
	/** each line's, in the order of `invoice.lines` (empty lists for lines without) */
	lines: AllowanceChargeAmounts[][];
	/** the document level ones, in the order given */
	document: AllowanceChargeAmounts[];
	/** the sum of the line net amounts (BT-106) */
	lineTotal: string;
	/** the sums of the document level allowances (BT-107) and charges (BT-108) */
	allowanceTotal: string;
	chargeTotal: string;
}

/** The e-invoice profiles this package writes: Factur-X / ZUGFeRD (EN 16931) and XRechnung 3.0 (CII). */
export type EInvoiceProfile = 'EN16931' | 'XRECHNUNG';

/**
 * An invoice that passed the checks once and carries the totals computed once (`checkInvoice` in totals.ts,
 * `checkEInvoice` in cii.ts): what the PDF renderer and the CII writer take, so that neither validates nor
 * totals again, and the PDF and its XML are made from the very same figures. Only those two functions make
 * one; its invoice is a frozen copy, so the totals cannot go stale.
 */
export interface CheckedInvoice {
	readonly invoice: Readonly<Invoice>;
	readonly totals: Readonly<InvoiceTotals>;
	/** the language the totals' texts (exemption reasons) are in */
	readonly language: 'de' | 'en';
	/** the e-invoice profile whose rules it also passed, beyond §14 UStG */
	readonly profile?: EInvoiceProfile;
}
