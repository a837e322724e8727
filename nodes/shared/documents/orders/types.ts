/**
 * A business document (quote, order …) as it travels between the sites of one company — the home office
 * writes quotes, the main office imports them — and as the Order Exchange node hands it to a workflow.
 *
 * Amounts, prices, quantities and rates are decimal strings with a point and no exponent ("1234.5"), never
 * floats. Text the file does not give is an empty string; a number the file does not give is left out,
 * because inventing "0" would turn "price unknown" into "free of charge".
 */

/**
 * Invoices and credit notes are part of the type because the sending system has them, but they are never
 * transferred between sites (the writer refuses them): each site books its own.
 */
export type BusinessDocumentType = 'quote' | 'order' | 'invoice' | 'creditNote';

/** The document types that travel between sites as openTRANS. */
export type TransferableDocumentType = 'quote' | 'order';

export interface Address {
	/** the customer number at the sending company; new customers written in the home office have none */
	customerNumber?: string;
	name: string;
	/** a second name line (Adresszusatz), e.g. a department or "z. Hd. Frau Weber" */
	name2?: string;
	/** street and house number as one line ("Musterstraße 12a") */
	street: string;
	zip: string;
	city: string;
	/** ISO 3166-1 alpha-2 code ("DE") when known, else the country's name as written */
	country?: string;
	email?: string;
	phone?: string;
}

export interface OrderLine {
	/** the line's number in the document as given ("1", "00001"); openTRANS LINE_ITEM_ID is a string */
	lineNumber: string;
	/** the article number in the sender's article master; absent for free-text lines */
	articleNumber?: string;
	description: string;
	quantity: string;
	/** UN/ECE Recommendation 20 code: C62 (one / piece), KGM, MTR, HUR …; C62 when the sender gave none */
	unit: string;
	/** net price per unit */
	netPrice?: string;
	/** VAT rate in percent ("19", "7", "0"); openTRANS carries it as a factor (0.19), converted on the way */
	vatRate?: string;
	/** net amount of the line as the sender computed it (quantity × price, less discounts) */
	lineAmount?: string;
	/**
	 * Whether the line refers to an article of the receiving site's article master. Set by the importer
	 * (see `linkArticles`), never transferred: an article number that the target does not know loses its
	 * link, the line stays as text.
	 */
	articleLinked?: boolean;
}

export interface DocumentTotals {
	/** sum of the net line amounts (openTRANS TOTAL_AMOUNT) */
	net?: string;
	vat?: string;
	gross?: string;
}

export interface BusinessDocument {
	type: BusinessDocumentType;
	/** the document number (Auftragsnummer / Angebotsnummer); each site uses its own number range */
	number: string;
	/** ISO 8601 date or date-time as openTRANS allows it: "2025-03-14" or "2025-03-14T10:30:00+01:00" */
	date: string;
	/** the ID of the sending site, so that the receiver knows where a document came from */
	site: string;
	/** ISO 4217 code ("EUR"); empty when the file does not say */
	currency: string;
	customer: Address;
	delivery?: Address;
	lines: OrderLine[];
	totals: DocumentTotals;
	remarks?: string;
}
