/**
 * The shape of one delivery note (Lieferschein, despatch advice) as the Delivery Note IMAP Trigger emits it,
 * whatever format the supplier sent: openTRANS 2.1 DISPATCHNOTIFICATION, EDIFACT DESADV, or a CSV file.
 *
 * Quantities are decimal strings with a point and no exponent ("1234.5"), never floats, so that a
 * workflow can compare them with its order lines without rounding surprises.
 */

export type DeliveryNoteFormat = 'opentrans' | 'desadv' | 'csv';

export type DeliveryNotePartyRole = 'supplier' | 'buyer' | 'delivery' | 'shipper' | 'other';

export interface DeliveryNoteParty {
	role: DeliveryNotePartyRole;
	/** the role exactly as the document names it (openTRANS `invoice_recipient`, EDIFACT `IV` …), kept because
	 * `other` alone would lose it */
	roleAsGiven: string;
	/** the first party identifier that is not a GLN (supplier- or buyer-specific number) */
	id?: string;
	/** Global Location Number (GS1, formerly ILN) */
	gln?: string;
	name?: string;
	name2?: string;
	street?: string;
	zip?: string;
	city?: string;
	/** ISO 3166 code when the document gives one (openTRANS COUNTRY_CODED, EDIFACT 3207), else the name */
	country?: string;
}

export interface DeliveryNoteLine {
	/** the line's number in the delivery note, as given ("1", "001") */
	lineNumber: string;
	supplierArticleNumber?: string;
	buyerArticleNumber?: string;
	gtin?: string;
	description?: string;
	/** the delivered quantity as a decimal string ("12.5") */
	quantity: string;
	/** UN/ECE Recommendation 20 code (C62, PCE, KGM …) or the unit as the supplier wrote it */
	unit?: string;
	orderNumber?: string;
	/** the line number in the buyer's order, as given ("00001") */
	orderLine?: string;
}

/** A free text of the document; `type` is openTRANS REMARKS/@type or the EDIFACT FTX subject qualifier. */
export interface DeliveryNoteRemark {
	type?: string;
	text: string;
}

/** A document reference that has no field of its own, e.g. EDIFACT `RFF+PK` (packing list number). */
export interface DeliveryNoteReference {
	/** openTRANS element name (`SUPPLIER_ORDER_ID`) or EDIFACT reference qualifier (`PK`, `AAK`, `CN` …) */
	type: string;
	value: string;
}

/** Where a DESADV message sat in its interchange, for acknowledgements (CONTRL/APERAK) and support calls. */
export interface EdifactEnvelope {
	/** UNB sender identification (often a GLN) */
	senderId?: string;
	/** UNB recipient identification */
	recipientId?: string;
	/** UNB interchange control reference */
	interchangeReference?: string;
	/** UNH message reference number */
	messageReference: string;
	/** UNH message identifier as given, e.g. `DESADV:D:96A:UN:EAN005` */
	messageType: string;
	/** BGM document number (the despatch advice number) */
	documentNumber?: string;
}

export interface DeliveryNote {
	format: DeliveryNoteFormat;
	/** Lieferscheinnummer: openTRANS DISPATCHNOTIFICATION_ID, DESADV `RFF+DQ` (else the BGM number), CSV column */
	deliveryNoteNumber: string;
	/** the date of the delivery note; ISO 8601 `YYYY-MM-DD`, or a full date-time as given */
	documentDate?: string;
	/** when the goods left the supplier (DESADV `DTM+11`) */
	despatchDate?: string;
	/** when the goods arrive or arrived (openTRANS DELIVERY_DATE, DESADV `DTM+17`/`DTM+358`) */
	deliveryDate?: string;
	/** the buyer's order numbers this delivery refers to, without duplicates, in the order first seen */
	orderNumbers: string[];
	/** the carrier's shipment / tracking number */
	shipmentId?: string;
	/** package identifiers, usually SSCCs (openTRANS PACKAGE_ID, DESADV `GIN+BJ`) */
	packageIds?: string[];
	parties: DeliveryNoteParty[];
	lines: DeliveryNoteLine[];
	remarks?: DeliveryNoteRemark[];
	references?: DeliveryNoteReference[];
	/** DESADV only */
	edifact?: EdifactEnvelope;
	sourceFile?: string;
	/**
	 * What was odd about the file but did not stop it from being read whole, in words, e.g. an EDIFACT trailer
	 * (UNZ) whose message count disagrees although every message is complete. Absent when there is nothing.
	 */
	warnings?: string[];
}
