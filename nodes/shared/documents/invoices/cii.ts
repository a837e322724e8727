import Big from 'big.js';
import { DocumentError } from '../DocumentError';
import type { DocumentErrorCode, DocumentPosition } from '../DocumentError';
import { allowanceChargeRule } from './allowancesCharges';
import { formatDate, formatMoney } from './format';
import { LABELS } from './invoiceLabels';
import { XmlWriter } from '../xmlWriter';
import { checkInvoice, isCheckedInvoice, lineVatCategory, sealCheckedInvoice } from './totals';
import type { AllowanceChargeAmounts, CheckedInvoice, EInvoiceProfile, Invoice, InvoiceTotals, Party, VatCategory } from './types';
import { EN16931_UNIT_CODES } from './unitCodeList';
import { unitCodeFor } from './unitCodes';
import type { InvoiceLanguage } from './unitCodes';

/**
 * The invoice as an EN 16931 e-invoice in UN/CEFACT Cross Industry Invoice syntax (CII D16B): the XML inside a
 * ZUGFeRD 2 / Factur-X PDF (profile EN 16931) and the CII variant of XRechnung 3.0. It is written from the same
 * data and the same totals (`computeTotals`) as the PDF, so the two can never disagree by a cent.
 *
 * Only what the Factur-X EN 16931 schema allows is written, in its order, which is also valid against the full
 * CII D16B schema. No element is ever written empty: XRechnung refuses empty elements (PEPPOL-EN16931-R008).
 */

export type { EInvoiceProfile } from './types';

export interface CiiOptions {
	/** the language of the texts the XML takes over from the PDF (exemption reasons, payment terms); German by default */
	language?: InvoiceLanguage;
}

/** EN 16931 BT-24, the specification identifier a receiver routes and validates by. */
export const GUIDELINE_IDS: Readonly<Record<EInvoiceProfile, string>> = {
	EN16931: 'urn:cen.eu:en16931:2017',
	XRECHNUNG: 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0',
};

/** EN 16931 BT-23. XRechnung requires one (PEPPOL-EN16931-R001); this is the Peppol billing process it names. */
const BUSINESS_PROCESS = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0';

/** UNTDID 4461: 58 = SEPA credit transfer; 1 = instrument not defined (a credit note: the seller pays back). */
const SEPA_CREDIT_TRANSFER = '58';
const INSTRUMENT_NOT_DEFINED = '1';

/** VATEX codes (BT-121) for the categories that have exactly one meaning; an exemption (E) has many. */
const EXEMPTION_CODES: Partial<Record<VatCategory, string>> = { AE: 'VATEX-EU-AE', K: 'VATEX-EU-IC', G: 'VATEX-EU-G', O: 'VATEX-EU-O' };

/** An invoice not subject to VAT (category O): no VAT ID in its e-invoice, no rate on its lines (BR-O-02, BR-O-05). */
function notSubjectToVat(invoice: Readonly<Invoice>): boolean {
	return invoice.lines.some((line) => line.vatCategory === 'O');
}

/**
 * The German public sector's buyer reference (Leitweg-ID): coarse address, optional fine address, check digits.
 * When the buyer reference is one, it is also the buyer's electronic address (BT-49) under ICD scheme 0204.
 */
const LEITWEG_ID = /^[0-9]{2,12}(-[0-9A-Za-z]{1,30})?-[0-9]{2}$/;

const NS = {
	rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
	qdt: 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100',
	ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
	udt: 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
};

// ----------------------------------------------------------------------------------------------- errors

/** A DocumentError that also names the EN 16931 / XRechnung business rule the invoice would break. */
export class EInvoiceError extends DocumentError {
	/** e.g. `BR-DE-15`, `BR-CO-26`, `PEPPOL-EN16931-R020`, or `§14 UStG` */
	readonly rule: string;

	constructor(code: DocumentErrorCode, reason: string, rule: string, position: DocumentPosition = {}) {
		super(code, `${reason} (${rule})`, undefined, position);
		this.name = 'EInvoiceError';
		this.rule = rule;
	}
}

function missingFor(element: string, what: string, rule: string): EInvoiceError {
	return new EInvoiceError('MISSING_FIELD', `${element}: ${what} is missing`, rule, { element });
}

function invalidFor(element: string, what: string, rule: string): EInvoiceError {
	return new EInvoiceError('INVALID_VALUE', `${element}: ${what}`, rule, { element });
}

function present(value: string | undefined | null): value is string {
	return value !== undefined && value !== null && String(value).trim() !== '';
}

/** The EN 16931 rules for a missing VAT ID, by category; O (not subject to VAT) has none: §14 UStG asks for it. */
const VAT_ID_RULES: Partial<Record<VatCategory, string>> = { S: 'BR-S-02', Z: 'BR-Z-02', E: 'BR-E-02', AE: 'BR-AE-02', K: 'BR-IC-02', G: 'BR-G-02' };

/**
 * The rule a §14 UStG finding of `validateInvoiceForPdf` breaks, by the field it names, so that every refusal
 * of an e-invoice carries a rule the user can look up: the EN 16931 or XRechnung rule where one requires the
 * field, else the paragraph of §14 UStG that does. (EN 16931 wants a postal address with its country — BR-08,
 * BR-10 — but no street; the street, and outside XRechnung postcode and city, are §14 UStG's.)
 */
function ruleForField(element: string, categories: VatCategory[], profile: EInvoiceProfile): string {
	const line = /^lines\[\d+\]\.(\w+)(\.\w+)?/.exec(element);
	if (line) {
		const byLineField: Record<string, string> = {
			description: 'BR-25',
			quantity: 'BR-22',
			unit: 'BR-23',
			netUnitPrice: 'BR-26',
			vatRate: 'BR-CO-4',
			vatCategory: 'BR-CO-4',
			priceBaseQuantity: 'EN 16931 BT-149',
			period: line[2] ? 'BR-CO-20' : 'BR-30',
		};
		return byLineField[line[1]] ?? 'BR-16';
	}
	if (element === 'seller.vatId') {
		const category = ['K', 'AE', 'S', 'Z', 'E', 'G'].find((c) => categories.includes(c as VatCategory)) as VatCategory | undefined;
		return (category && VAT_ID_RULES[category]) ?? '§14 Abs. 4 Nr. 2 UStG';
	}
	if (element === 'buyer.vatId') {
		if (categories.includes('K')) return 'BR-IC-02';
		if (categories.includes('AE')) return 'BR-AE-02';
		return '§14a UStG';
	}
	const xrechnung: Record<string, string> = { 'seller.city': 'BR-DE-3', 'seller.zip': 'BR-DE-4', 'buyer.city': 'BR-DE-8', 'buyer.zip': 'BR-DE-9' };
	if (profile === 'XRECHNUNG' && xrechnung[element]) return xrechnung[element];
	const byField: Record<string, string> = {
		number: 'BR-02',
		issueDate: 'BR-03',
		type: 'BR-04',
		currency: 'BR-05',
		lines: 'BR-16',
		'seller.name': 'BR-06',
		'seller.street': '§14 Abs. 4 Nr. 1 UStG',
		'seller.zip': '§14 Abs. 4 Nr. 1 UStG',
		'seller.city': '§14 Abs. 4 Nr. 1 UStG',
		'seller.country': 'BR-09',
		'buyer.name': 'BR-07',
		'buyer.street': '§14 Abs. 4 Nr. 1 UStG',
		'buyer.zip': '§14 Abs. 4 Nr. 1 UStG',
		'buyer.city': '§14 Abs. 4 Nr. 1 UStG',
		'buyer.country': 'BR-11',
		'bankAccount.iban': 'BR-61',
		servicePeriod: 'BR-29',
		'servicePeriod.from': 'BR-CO-19',
		'servicePeriod.to': 'BR-CO-19',
		prepaidAmount: 'BR-DEC-16',
	};
	return byField[element] ?? '§14 UStG';
}

function categoriesOf(invoice: Invoice): VatCategory[] {
	if (!Array.isArray(invoice?.lines)) return [];
	const out: VatCategory[] = [];
	for (const line of invoice.lines) {
		let category: VatCategory | undefined = line?.vatCategory;
		if (!category) {
			try {
				category = new Big(String(line?.vatRate ?? '').trim()).gt(0) ? 'S' : 'Z';
			} catch {
				category = 'S';
			}
		}
		if (!out.includes(category)) out.push(category);
	}
	return out;
}

/** The unit code of a line as EN 16931 needs it, or undefined when the rules would refuse it. */
function lineUnitCode(unit: string): string | undefined {
	const code = unitCodeFor(unit);
	return code !== undefined && EN16931_UNIT_CODES.has(code) ? code : undefined;
}

/** The buyer's electronic address (BT-49): the Leitweg-ID for a public authority, else the e-mail address. */
function buyerEndpoint(invoice: Invoice): { id: string; scheme: string } | undefined {
	const reference = invoice.buyer.buyerReference?.trim();
	if (reference && LEITWEG_ID.test(reference)) return { id: reference, scheme: '0204' };
	if (present(invoice.buyer.email)) return { id: invoice.buyer.email.trim(), scheme: 'EM' };
	return undefined;
}

/**
 * Checks that the invoice has what an EN 16931 e-invoice of this profile requires, beyond the §14 UStG content
 * the PDF already needs, and returns the totals. Throws an EInvoiceError naming the field and the rule
 * (`buyer.buyerReference … (BR-DE-15)`), so that one invoice goes to the Failed output instead of reaching a
 * public authority's portal that bounces it days later.
 */
export function validateForEInvoice(invoice: Invoice | CheckedInvoice, profile: EInvoiceProfile, options: CiiOptions = {}): InvoiceTotals {
	return checkEInvoice(invoice, profile, options).totals;
}

/** The §14 UStG check of an invoice not yet checked, its findings named with the EN 16931 rule they break. */
function checkedForEInvoice(input: Invoice | CheckedInvoice, language: InvoiceLanguage, profile: EInvoiceProfile): CheckedInvoice {
	if (isCheckedInvoice(input) && input.language === language) return input;
	const invoice = isCheckedInvoice(input) ? input.invoice : input;
	try {
		return checkInvoice(invoice, language);
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the documents layer knows no n8n; the node wraps what reaches it
		if (!(error instanceof DocumentError) || error instanceof EInvoiceError) throw error;
		const element = error.position.element ?? '';
		const rule = allowanceChargeRule(element, invoice, error.code) ?? ruleForField(element, categoriesOf(invoice), profile);
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- as above: the same finding, with its EN 16931 rule
		throw new EInvoiceError(error.code, error.reason, rule, error.position);
	}
}

/**
 * The invoice checked for an e-invoice of the profile: the §14 UStG check (skipped for an invoice checked
 * before) and then the rules of the profile (`validateForEInvoice` tells which). A CheckedInvoice checked for
 * this profile before is returned as it is: nothing is checked or totalled twice.
 */
export function checkEInvoice(input: Invoice | CheckedInvoice, profile: EInvoiceProfile, options: CiiOptions = {}): CheckedInvoice {
	if (profile !== 'EN16931' && profile !== 'XRECHNUNG') {
		throw new DocumentError('INVALID_VALUE', `the e-invoice profile must be EN16931 or XRECHNUNG, not "${String(profile)}"`);
	}
	const language = options.language ?? (isCheckedInvoice(input) ? input.language : 'de');
	if (isCheckedInvoice(input) && input.profile === profile && input.language === language) return input;
	const checked = checkedForEInvoice(input, language, profile);
	checkProfileRules(checked.invoice, checked.totals, profile);
	return sealCheckedInvoice(checked.invoice, checked.totals, language, profile);
}

/**
 * An invoice not subject to VAT: only O lines (BR-O-11), and, since its e-invoice names no VAT ID (BR-O-02),
 * the register entry to identify the seller by (BR-CO-26).
 */
function checkNotSubjectToVat(invoice: Readonly<Invoice>, categories: VatCategory[]): void {
	if (categories.some((category) => category !== 'O')) {
		throw invalidFor('lines', 'an invoice with lines not subject to VAT (category O) must have no lines of another VAT category', 'BR-O-11');
	}
	if (!present(invoice.seller.commercialRegister)) {
		throw missingFor(
			'seller.commercialRegister',
			"the seller's register entry, which identifies the seller of an invoice not subject to VAT (its e-invoice carries no VAT ID)",
			'BR-CO-26',
		);
	}
}

/** The rules of an EN 16931 / XRechnung e-invoice beyond §14 UStG, on an invoice that passed §14 UStG. */
function checkProfileRules(invoice: Invoice, totals: InvoiceTotals, profile: EInvoiceProfile): void {
	const xrechnung = profile === 'XRECHNUNG';
	const { seller, buyer } = invoice;
	const categories = totals.vatBreakdown.map((entry) => entry.category);

	// who the seller is: a VAT ID or a register entry; a Steuernummer alone does not identify a company
	if (!present(seller.vatId) && !present(seller.commercialRegister)) {
		throw missingFor(
			'seller.vatId',
			"the seller's VAT ID (or, failing that, the register entry seller.commercialRegister) that identifies the seller",
			'BR-CO-26',
		);
	}
	for (const [party, role] of [
		[seller, 'seller'],
		[buyer, 'buyer'],
	] as const) {
		if (present(party.vatId) && !/^[A-Z]{2}[0-9A-Za-z+*.]{2,13}$/.test(party.vatId.replace(/\s+/g, ''))) {
			throw invalidFor(`${role}.vatId`, `"${party.vatId}" is not a VAT ID with a country prefix such as DE123456789`, 'BR-CO-09');
		}
	}
	if (categories.includes('AE')) {
		if (!present(buyer.vatId)) throw missingFor('buyer.vatId', "the buyer's VAT ID, required for a reverse charge", 'BR-AE-02');
	}
	if (categories.includes('K')) {
		if (!present(seller.vatId)) throw missingFor('seller.vatId', "the seller's VAT ID, required for an intra-community supply", 'BR-IC-02');
		if (!present(buyer.vatId)) throw missingFor('buyer.vatId', "the buyer's VAT ID, required for an intra-community supply", 'BR-IC-02');
	}
	if (categories.includes('O')) checkNotSubjectToVat(invoice, categories);
	if (categories.includes('G') && !present(seller.vatId)) {
		throw missingFor('seller.vatId', "the seller's VAT ID, required for an export outside the EU", 'BR-G-02');
	}

	invoice.lines.forEach((line, index) => {
		const element = `lines[${index + 1}]`;
		if (!lineUnitCode(line.unit)) {
			throw invalidFor(
				`${element}.unit`,
				`"${line.unit}" is not a UN/ECE Recommendation 20 unit code and not a unit name this package knows (use e.g. C62, HUR, KGM, LS)`,
				'BR-CL-23',
			);
		}
		if (new Big(line.netUnitPrice.trim()).lt(0)) {
			throw invalidFor(`${element}.netUnitPrice`, 'the net price must not be negative; give a negative quantity instead', 'BR-27');
		}
	});

	if (new Big(totals.amountDue).gt(0) && !present(invoice.dueDate) && !present(invoice.paymentTerms)) {
		throw missingFor('dueDate', 'a due date (dueDate) or payment terms (paymentTerms) for an amount due', 'BR-CO-25');
	}
	if (invoice.bankAccount && present(invoice.bankAccount.bic) && !/^[A-Z0-9]{8}([A-Z0-9]{3})?$/.test(invoice.bankAccount.bic.trim().toUpperCase())) {
		throw invalidFor('bankAccount.bic', `"${invoice.bankAccount.bic}" is not a BIC (8 or 11 letters and digits)`, 'BR-50');
	}

	if (xrechnung) {
		if (!present(buyer.buyerReference)) {
			throw missingFor('buyer.buyerReference', 'the buyer reference (BT-10), for a public authority its Leitweg-ID,', 'BR-DE-15');
		}
		if (invoice.type === 'invoice' && !invoice.bankAccount) {
			throw missingFor('bankAccount.iban', 'the payment instructions (BG-16): the IBAN the buyer pays to', 'BR-DE-1');
		}
		if (!present(seller.email)) {
			throw missingFor('seller.email', "the seller's electronic address (BT-34) and contact e-mail (BT-43)", 'PEPPOL-EN16931-R020');
		}
		if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(seller.email.trim())) {
			throw invalidFor('seller.email', `"${seller.email}" is not an e-mail address`, 'BR-DE-7');
		}
		if (!present(seller.phone)) throw missingFor('seller.phone', "the seller's contact telephone number (BT-42)", 'BR-DE-6');
		if (!buyerEndpoint(invoice)) {
			throw missingFor(
				'buyer.email',
				"the buyer's electronic address (BT-49): a Leitweg-ID as buyer reference or the buyer's e-mail address",
				'PEPPOL-EN16931-R010',
			);
		}
	}
}

// ----------------------------------------------------------------------------------------------- XML

function date102(iso: string): string {
	return iso.trim().replace(/-/g, '');
}

function decimal(value: string): string {
	return new Big(value.trim()).toFixed();
}

function country(party: Party): string {
	return present(party.country) ? party.country.trim() : 'DE';
}

function writeAddress(xml: XmlWriter, party: Party): void {
	xml.open('ram:PostalTradeAddress');
	xml.leaf('ram:PostcodeCode', party.zip);
	xml.leaf('ram:LineOne', party.street);
	xml.leaf('ram:LineTwo', party.name2);
	xml.leaf('ram:CityName', party.city);
	xml.leaf('ram:CountryID', country(party));
	xml.close('ram:PostalTradeAddress');
}

function writeTaxRegistrations(xml: XmlWriter, party: Party, withVatId: boolean): void {
	if (withVatId && present(party.vatId)) xml.wrapped('ram:SpecifiedTaxRegistration', 'ram:ID', party.vatId.replace(/\s+/g, ''), { schemeID: 'VA' });
	if (present(party.taxNumber)) xml.wrapped('ram:SpecifiedTaxRegistration', 'ram:ID', party.taxNumber, { schemeID: 'FC' });
}

function writeSeller(xml: XmlWriter, invoice: Invoice, profile: EInvoiceProfile): void {
	const seller = invoice.seller;
	xml.open('ram:SellerTradeParty');
	xml.leaf('ram:Name', seller.name);
	// BT-33, the seller's additional legal information: register entry and managing directors (§35a GmbHG)
	const legal = [seller.commercialRegister, present(seller.managingDirectors) ? `Geschäftsführung: ${seller.managingDirectors.trim()}` : '']
		.filter(present)
		.map((part) => part.trim())
		.join(', ');
	xml.leaf('ram:Description', legal);
	if (present(seller.commercialRegister)) xml.wrapped('ram:SpecifiedLegalOrganization', 'ram:ID', seller.commercialRegister);
	// BG-6, the seller contact; XRechnung requires it whole (BR-DE-2), with the company as contact point by default
	const contactName = present(seller.contactName) ? seller.contactName : profile === 'XRECHNUNG' ? seller.name : undefined;
	if (present(contactName) || present(seller.phone) || present(seller.email)) {
		xml.open('ram:DefinedTradeContact');
		xml.leaf('ram:PersonName', contactName);
		xml.wrapped('ram:TelephoneUniversalCommunication', 'ram:CompleteNumber', seller.phone);
		xml.wrapped('ram:EmailURIUniversalCommunication', 'ram:URIID', seller.email);
		xml.close('ram:DefinedTradeContact');
	}
	writeAddress(xml, seller);
	xml.wrapped('ram:URIUniversalCommunication', 'ram:URIID', seller.email, { schemeID: 'EM' });
	writeTaxRegistrations(xml, seller, !notSubjectToVat(invoice));
	xml.close('ram:SellerTradeParty');
}

function writeBuyer(xml: XmlWriter, invoice: Invoice): void {
	const buyer = invoice.buyer;
	xml.open('ram:BuyerTradeParty');
	xml.leaf('ram:ID', buyer.customerNumber);
	xml.leaf('ram:Name', buyer.name);
	writeAddress(xml, buyer);
	const endpoint = buyerEndpoint(invoice);
	if (endpoint) xml.wrapped('ram:URIUniversalCommunication', 'ram:URIID', endpoint.id, { schemeID: endpoint.scheme });
	writeTaxRegistrations(xml, buyer, !notSubjectToVat(invoice));
	xml.close('ram:BuyerTradeParty');
}

/** What the Factur-X step needs to know of a CII document this module wrote, kept beside its bytes. */
export interface CiiFacts {
	profile: EInvoiceProfile;
	/** the invoice date, midnight UTC */
	issueDate: Date;
}

const WRITTEN = new WeakMap<Uint8Array, CiiFacts>();

/** The facts of a CII document written by `writeCiiInvoice`, or undefined for bytes from elsewhere. */
export function writtenCiiFacts(xml: Uint8Array): CiiFacts | undefined {
	return WRITTEN.get(xml);
}

/** The state one writing of a CII document shares between its parts. */
interface CiiDocument {
	xml: XmlWriter;
	invoice: Readonly<Invoice>;
	totals: Readonly<InvoiceTotals>;
	profile: EInvoiceProfile;
	language: InvoiceLanguage;
	currency: string;
}

/**
 * Writes the EN 16931 CII XML of the invoice for the profile: `EN16931` for Factur-X / ZUGFeRD 2 (profile
 * EN 16931), `XRECHNUNG` for XRechnung 3.0 (CII). Takes the checked invoice; an invoice not checked for this
 * profile is checked first (`checkEInvoice`), throwing an EInvoiceError naming field and rule when it cannot
 * be a valid e-invoice. Returns UTF-8 bytes.
 */
export function writeCiiInvoice(input: Invoice | CheckedInvoice, profile: EInvoiceProfile, options: CiiOptions = {}): Buffer {
	const { invoice, totals, language } = checkEInvoice(input, profile, options);
	const currency = present(invoice.currency) ? invoice.currency.trim() : 'EUR';
	const doc: CiiDocument = { xml: new XmlWriter(), invoice, totals, profile, language, currency };
	const { xml } = doc;
	xml.open('rsm:CrossIndustryInvoice', { 'xmlns:rsm': NS.rsm, 'xmlns:qdt': NS.qdt, 'xmlns:ram': NS.ram, 'xmlns:udt': NS.udt });
	writeDocumentHead(doc);
	xml.open('rsm:SupplyChainTradeTransaction');
	invoice.lines.forEach((_line, index) => writeLine(doc, index));
	writeAgreement(doc);
	writeDelivery(doc);
	writeSettlement(doc);
	xml.close('rsm:SupplyChainTradeTransaction');
	xml.close('rsm:CrossIndustryInvoice');
	const bytes = xml.toBuffer();
	const [year, month, day] = invoice.issueDate.trim().split('-').map(Number);
	WRITTEN.set(bytes, { profile, issueDate: new Date(Date.UTC(year, month - 1, day)) });
	return bytes;
}

function writeDate(xml: XmlWriter, outer: string, iso: string): void {
	xml.open(outer).leaf('udt:DateTimeString', date102(iso), { format: '102' }).close(outer);
}

function writeDocumentHead({ xml, invoice, profile }: CiiDocument): void {
	xml.open('rsm:ExchangedDocumentContext');
	xml.wrapped('ram:BusinessProcessSpecifiedDocumentContextParameter', 'ram:ID', BUSINESS_PROCESS);
	xml.wrapped('ram:GuidelineSpecifiedDocumentContextParameter', 'ram:ID', GUIDELINE_IDS[profile]);
	xml.close('rsm:ExchangedDocumentContext');
	xml.open('rsm:ExchangedDocument');
	xml.leaf('ram:ID', invoice.number);
	// UNTDID 1001: 380 commercial invoice, 381 credit note
	xml.leaf('ram:TypeCode', invoice.type === 'creditNote' ? '381' : '380');
	writeDate(xml, 'ram:IssueDateTime', invoice.issueDate);
	for (const note of invoice.notes ?? []) xml.wrapped('ram:IncludedNote', 'ram:Content', note);
	xml.close('rsm:ExchangedDocument');
}

function writeLine({ xml, invoice, totals }: CiiDocument, index: number): void {
	const line = invoice.lines[index];
	const rate = new Big(line.vatRate.trim());
	const category = lineVatCategory(rate, line.vatCategory, `lines[${index + 1}]`);
	xml.open('ram:IncludedSupplyChainTradeLineItem');
	xml.wrapped('ram:AssociatedDocumentLineDocument', 'ram:LineID', String(index + 1));
	xml.open('ram:SpecifiedTradeProduct');
	xml.leaf('ram:SellerAssignedID', line.articleNumber);
	xml.leaf('ram:Name', line.description);
	xml.close('ram:SpecifiedTradeProduct');
	const unitCode = lineUnitCode(line.unit)!;
	xml.open('ram:SpecifiedLineTradeAgreement');
	xml.open('ram:NetPriceProductTradePrice');
	xml.leaf('ram:ChargeAmount', decimal(line.netUnitPrice));
	// BT-149 and BT-150: the price is for this many units (of the line's unit, BR-CL-23)
	if (present(line.priceBaseQuantity)) xml.leaf('ram:BasisQuantity', decimal(line.priceBaseQuantity), { unitCode });
	xml.close('ram:NetPriceProductTradePrice');
	xml.close('ram:SpecifiedLineTradeAgreement');
	xml.open('ram:SpecifiedLineTradeDelivery');
	xml.leaf('ram:BilledQuantity', decimal(line.quantity), { unitCode });
	xml.close('ram:SpecifiedLineTradeDelivery');
	xml.open('ram:SpecifiedLineTradeSettlement');
	xml.open('ram:ApplicableTradeTax');
	xml.leaf('ram:TypeCode', 'VAT');
	xml.leaf('ram:CategoryCode', category);
	if (category !== 'O') xml.leaf('ram:RateApplicablePercent', rate.toFixed());
	xml.close('ram:ApplicableTradeTax');
	if (line.period) {
		// BG-26, the line's own period
		xml.open('ram:BillingSpecifiedPeriod');
		writeDate(xml, 'ram:StartDateTime', line.period.from);
		writeDate(xml, 'ram:EndDateTime', line.period.to);
		xml.close('ram:BillingSpecifiedPeriod');
	}
	// BG-27, BG-28: the line's allowances and charges, worked out by computeTotals
	for (const ac of totals.allowancesCharges?.lines[index] ?? []) writeAllowanceCharge(xml, ac);
	xml.wrapped('ram:SpecifiedTradeSettlementLineMonetarySummation', 'ram:LineTotalAmount', totals.lineNetAmounts[index]);
	xml.close('ram:SpecifiedLineTradeSettlement');
	xml.close('ram:IncludedSupplyChainTradeLineItem');
}

function writeAgreement({ xml, invoice, profile }: CiiDocument): void {
	xml.open('ram:ApplicableHeaderTradeAgreement');
	xml.leaf('ram:BuyerReference', invoice.buyer.buyerReference);
	writeSeller(xml, invoice, profile);
	writeBuyer(xml, invoice);
	xml.wrapped('ram:BuyerOrderReferencedDocument', 'ram:IssuerAssignedID', invoice.orderReference);
	xml.close('ram:ApplicableHeaderTradeAgreement');
}

function writeDelivery({ xml, invoice, totals }: CiiDocument): void {
	xml.open('ram:ApplicableHeaderTradeDelivery');
	if (totals.vatBreakdown.some((entry) => entry.category === 'K')) {
		// an intra-community supply names the country the goods went to (BR-IC-12): the buyer's address
		xml.open('ram:ShipToTradeParty');
		xml.leaf('ram:Name', invoice.buyer.name);
		writeAddress(xml, invoice.buyer);
		xml.close('ram:ShipToTradeParty');
	}
	if (present(invoice.deliveryDate)) {
		xml.open('ram:ActualDeliverySupplyChainEvent');
		writeDate(xml, 'ram:OccurrenceDateTime', invoice.deliveryDate);
		xml.close('ram:ActualDeliverySupplyChainEvent');
	}
	xml.close('ram:ApplicableHeaderTradeDelivery');
}

function writeSettlement(doc: CiiDocument): void {
	const { xml, invoice, currency } = doc;
	xml.open('ram:ApplicableHeaderTradeSettlement');
	// BT-83, the remittance information: the invoice number, which the payment import matches payments by
	xml.leaf('ram:PaymentReference', invoice.number);
	xml.leaf('ram:InvoiceCurrencyCode', currency);
	writePaymentMeans(doc);
	writeVatBreakdown(doc);
	if (invoice.servicePeriod) {
		xml.open('ram:BillingSpecifiedPeriod');
		writeDate(xml, 'ram:StartDateTime', invoice.servicePeriod.from);
		writeDate(xml, 'ram:EndDateTime', invoice.servicePeriod.to);
		xml.close('ram:BillingSpecifiedPeriod');
	}
	// BG-20, BG-21: the document level allowances and charges, each with its VAT category and rate
	for (const ac of doc.totals.allowancesCharges?.document ?? []) writeAllowanceCharge(xml, ac);
	const terms = paymentTermsText(invoice, doc.totals, doc.language, currency);
	if (present(terms) || present(invoice.dueDate)) {
		xml.open('ram:SpecifiedTradePaymentTerms');
		xml.leaf('ram:Description', terms);
		if (present(invoice.dueDate)) writeDate(xml, 'ram:DueDateDateTime', invoice.dueDate);
		xml.close('ram:SpecifiedTradePaymentTerms');
	}
	writeMonetarySummation(doc);
	const preceding = invoice.precedingInvoice;
	if (preceding && present(preceding.number)) {
		xml.open('ram:InvoiceReferencedDocument');
		xml.leaf('ram:IssuerAssignedID', preceding.number);
		if (present(preceding.issueDate)) {
			xml.open('ram:FormattedIssueDateTime');
			xml.leaf('qdt:DateTimeString', date102(preceding.issueDate), { format: '102' });
			xml.close('ram:FormattedIssueDateTime');
		}
		xml.close('ram:InvoiceReferencedDocument');
	}
	xml.close('ram:ApplicableHeaderTradeSettlement');
}

function writePaymentMeans({ xml, invoice, profile, language }: CiiDocument): void {
	const bank = invoice.bankAccount;
	if (invoice.type === 'invoice' && bank) {
		xml.open('ram:SpecifiedTradeSettlementPaymentMeans');
		xml.leaf('ram:TypeCode', SEPA_CREDIT_TRANSFER);
		xml.open('ram:PayeePartyCreditorFinancialAccount');
		xml.leaf('ram:IBANID', bank.iban.replace(/\s+/g, '').toUpperCase());
		xml.leaf('ram:AccountName', present(bank.accountHolder) ? bank.accountHolder : invoice.seller.name);
		xml.close('ram:PayeePartyCreditorFinancialAccount');
		if (present(bank.bic)) xml.wrapped('ram:PayeeSpecifiedCreditorFinancialInstitution', 'ram:BICID', bank.bic.trim().toUpperCase());
		xml.close('ram:SpecifiedTradeSettlementPaymentMeans');
	} else if (invoice.type === 'creditNote' && profile === 'XRECHNUNG') {
		// XRechnung wants payment instructions on every document (BR-DE-1); the seller's own IBAN would tell the
		// buyer to pay, so a credit note says only that the seller refunds by a means not named here
		xml.open('ram:SpecifiedTradeSettlementPaymentMeans');
		xml.leaf('ram:TypeCode', INSTRUMENT_NOT_DEFINED);
		xml.leaf('ram:Information', language === 'de' ? 'Erstattung durch den Rechnungsaussteller' : 'Refund by the seller');
		xml.close('ram:SpecifiedTradeSettlementPaymentMeans');
	}
}

function writeVatBreakdown({ xml, totals }: CiiDocument): void {
	for (const entry of totals.vatBreakdown) {
		xml.open('ram:ApplicableTradeTax');
		xml.leaf('ram:CalculatedAmount', entry.vatAmount);
		xml.leaf('ram:TypeCode', 'VAT');
		// S and Z must not carry a reason (BR-S-10, BR-Z-10); E, AE, K and G must (BR-E-10, BR-AE-10 …)
		const needsReason = entry.category !== 'S' && entry.category !== 'Z';
		if (needsReason) xml.leaf('ram:ExemptionReason', entry.exemptionReason);
		xml.leaf('ram:BasisAmount', entry.netAmount);
		xml.leaf('ram:CategoryCode', entry.category);
		if (needsReason) xml.leaf('ram:ExemptionReasonCode', EXEMPTION_CODES[entry.category]);
		// BT-119 also for O: XRechnung requires it (BR-DE-14), as 0; only the lines of O carry no rate (BR-O-05)
		xml.leaf('ram:RateApplicablePercent', entry.rate);
		xml.close('ram:ApplicableTradeTax');
	}
}

/**
 * One allowance or charge (`SpecifiedTradeAllowanceCharge`), on a line or, with its VAT category and rate, on
 * the document. Category O carries no rate (BR-O-06, BR-O-07).
 */
function writeAllowanceCharge(xml: XmlWriter, ac: AllowanceChargeAmounts): void {
	xml.open('ram:SpecifiedTradeAllowanceCharge');
	xml.wrapped('ram:ChargeIndicator', 'udt:Indicator', ac.kind === 'charge' ? 'true' : 'false');
	xml.leaf('ram:CalculationPercent', ac.percent);
	xml.leaf('ram:BasisAmount', ac.baseAmount);
	xml.leaf('ram:ActualAmount', ac.amount);
	xml.leaf('ram:ReasonCode', ac.reasonCode);
	xml.leaf('ram:Reason', ac.reason);
	if (ac.category) {
		xml.open('ram:CategoryTradeTax');
		xml.leaf('ram:TypeCode', 'VAT');
		xml.leaf('ram:CategoryCode', ac.category);
		if (ac.category !== 'O') xml.leaf('ram:RateApplicablePercent', ac.rate);
		xml.close('ram:CategoryTradeTax');
	}
	xml.close('ram:SpecifiedTradeAllowanceCharge');
}

function writeMonetarySummation({ xml, totals, currency }: CiiDocument): void {
	xml.open('ram:SpecifiedTradeSettlementHeaderMonetarySummation');
	const ac = totals.allowancesCharges;
	xml.leaf('ram:LineTotalAmount', ac?.lineTotal ?? totals.netTotal);
	// BT-108, BT-107: present when the document has charges or allowances (BR-CO-11, BR-CO-12)
	if (ac?.document.some((entry) => entry.kind === 'charge')) xml.leaf('ram:ChargeTotalAmount', ac.chargeTotal);
	if (ac?.document.some((entry) => entry.kind === 'allowance')) xml.leaf('ram:AllowanceTotalAmount', ac.allowanceTotal);
	xml.leaf('ram:TaxBasisTotalAmount', totals.netTotal);
	xml.leaf('ram:TaxTotalAmount', totals.vatTotal, { currencyID: currency });
	xml.leaf('ram:GrandTotalAmount', totals.grossTotal);
	if (!new Big(totals.prepaidAmount).eq(0)) xml.leaf('ram:TotalPrepaidAmount', totals.prepaidAmount);
	xml.leaf('ram:DuePayableAmount', totals.amountDue);
	xml.close('ram:SpecifiedTradeSettlementHeaderMonetarySummation');
}

/** BT-20: the terms as given, else the sentence the PDF prints from the due date, so both say the same. */
function paymentTermsText(invoice: Readonly<Invoice>, totals: Readonly<InvoiceTotals>, language: InvoiceLanguage, currency: string): string | undefined {
	if (present(invoice.paymentTerms)) return invoice.paymentTerms.trim();
	if (!present(invoice.dueDate)) return undefined;
	const labels = LABELS[language];
	const amount = formatMoney(totals.amountDue, currency, language);
	const date = formatDate(invoice.dueDate, language);
	return invoice.type === 'creditNote' ? labels.refundBy(amount, date) : labels.payBy(amount, date);
}

/** The file name for the XML when it travels as its own attachment (XRechnung): the invoice number, made safe. */
export function eInvoiceXmlFileName(invoiceNumber: string): string {
	const safe = invoiceNumber
		.trim()
		.normalize('NFC')
		// eslint-disable-next-line no-control-regex -- control characters are among what a file name must not carry
		.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_')
		.replace(/^\.+/, '_');
	return `${safe || 'invoice'}.xml`;
}
