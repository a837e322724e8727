import Big from 'big.js';

import type { TransferableDocumentType } from './types';

/**
 * What the openTRANS writer and reader agree on: namespaces, element names per document type, and the
 * conventions of this package for things openTRANS leaves open (where the sending site goes, which party ID
 * type means "customer number").
 */

import { BMECAT_NS, OPENTRANS_NS } from '../openTransNamespaces';

export { BMECAT_NS, OPENTRANS_NS };

/** Element names that differ between ORDER and QUOTATION; everything else in the two is the same. */
export interface OpenTransVocabulary {
	root: string;
	header: string;
	info: string;
	id: string;
	date: string;
	itemList: string;
	item: string;
	summary: string;
}

export const VOCABULARY: Record<TransferableDocumentType, OpenTransVocabulary> = {
	order: {
		root: 'ORDER',
		header: 'ORDER_HEADER',
		info: 'ORDER_INFO',
		id: 'ORDER_ID',
		date: 'ORDER_DATE',
		itemList: 'ORDER_ITEM_LIST',
		item: 'ORDER_ITEM',
		summary: 'ORDER_SUMMARY',
	},
	quote: {
		root: 'QUOTATION',
		header: 'QUOTATION_HEADER',
		info: 'QUOTATION_INFO',
		id: 'QUOTATION_ID',
		date: 'QUOTATION_DATE',
		itemList: 'QUOTATION_ITEM_LIST',
		item: 'QUOTATION_ITEM',
		summary: 'QUOTATION_SUMMARY',
	},
};

/**
 * PARTY_ID/@type of the party that stands for the sending site. openTRANS allows any word here; "site" says
 * what the ID is. The same ID is referenced from DOCEXCHANGE_PARTIES_REFERENCE/DOCUMENT_ISSUER_IDREF.
 */
export const SITE_ID_TYPE = 'site';

/**
 * PARTY_ID/@type of a customer number: the number the supplier (our company) gave its customer, which is
 * what openTRANS calls `supplier_specific` (the ITscope sample uses it the same way).
 */
export const CUSTOMER_NUMBER_ID_TYPE = 'supplier_specific';

/**
 * PARTY_ID/@type for a party that has no customer number (a new customer written in the home office):
 * PARTY_ID is mandatory, so the party gets an ID that is only valid inside this one document. (The XSD's
 * `\w` excludes "_", so a type of our own must be a plain word.)
 */
export const DOCUMENT_LOCAL_ID_TYPE = 'document';

/**
 * Totals that ORDER_SUMMARY / QUOTATION_SUMMARY have no element for travel as user-defined extensions in
 * HEADER_UDX (openTRANS's place for "UDX.<system>.<field>"), so that the receiver sees the sender's
 * figures, rounding included, instead of recomputing them.
 */
export const UDX_TOTAL_VAT = 'UDX.BACKOFFICE.TOTAL_VAT';
export const UDX_TOTAL_GROSS = 'UDX.BACKOFFICE.TOTAL_GROSS';

/** The lexical form of xsd:decimal (bmecat:dtNUMBER): no exponent, no thousands separator, point as decimal mark. */
export const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** A Big for a string that matched DECIMAL; big.js does not take the leading "+" that xsd:decimal allows. */
export function bigDecimal(text: string): Big {
	return new Big(text.startsWith('+') ? text.slice(1) : text);
}

/** bmecat:dtDATETIME: a date, optionally with time, seconds, fraction and zone. */
export const DATE_TIME =
	/^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(([+-]([01][0-9]|2[0-3]):[0-5][0-9])|Z)?)?)?)?$/;

/** Maximum lengths (in characters) from the XSDs for the fields this package writes. */
export const MAX_LENGTH = {
	documentId: 250,
	lineItemId: 50,
	partyId: 250,
	name: 50,
	street: 50,
	zip: 20,
	city: 50,
	country: 50,
	phone: 50,
	email: 255,
	supplierPid: 32,
	descriptionShort: 150,
	descriptionLong: 64000,
	remarks: 64000,
} as const;
