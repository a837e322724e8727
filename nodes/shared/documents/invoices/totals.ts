import Big from 'big.js';
import { DocumentError } from '../DocumentError';
import { documentAllowanceCharge, lineAllowancesCharges } from './allowancesCharges';
import type { AllowanceChargeAmounts, CheckedInvoice, EInvoiceProfile, Invoice, InvoiceTotals, Party, VatBreakdown, VatCategory } from './types';
import type { InvoiceLanguage } from './unitCodes';

/**
 * The arithmetic of an invoice, done the way EN 16931 (and so every e-invoice validator) does it: each line's
 * net amount is rounded to cents, the VAT of each category and rate is computed once on the sum of its lines
 * and rounded, and the totals are sums of those rounded figures. Rounding per line instead would make 100
 * lines of 0.01 € carry no VAT at all, and a PDF whose totals differ from its embedded XML by a cent.
 */

// what big.js reads without exponent: no plus sign, no leading or trailing point
const DECIMAL = /^-?\d+(\.\d+)?$/;
const CATEGORY_ORDER: readonly VatCategory[] = ['S', 'Z', 'E', 'AE', 'K', 'G', 'O'];

/** The wording §14 Abs. 4 Nr. 8 and §14a UStG ask for when a line carries no VAT and the data gives none. */
const EXEMPTION_REASONS: Record<InvoiceLanguage, Partial<Record<VatCategory, string>>> = {
	de: {
		E: 'Umsatzsteuerfreie Leistung',
		AE: 'Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)',
		K: 'Steuerfreie innergemeinschaftliche Lieferung (§ 4 Nr. 1 Buchst. b UStG)',
		G: 'Steuerfreie Ausfuhrlieferung (§ 4 Nr. 1 Buchst. a UStG)',
		O: 'Nicht im Inland steuerbare Leistung',
	},
	en: {
		E: 'VAT exempt',
		AE: 'Reverse charge: VAT to be accounted for by the recipient',
		K: 'VAT-exempt intra-community supply',
		G: 'VAT-exempt export outside the EU',
		O: 'Not subject to VAT',
	},
};

/** The standard wording for a category that needs an exemption reason, or undefined for S and Z. */
export function defaultExemptionReason(category: VatCategory, language: InvoiceLanguage = 'de'): string | undefined {
	return EXEMPTION_REASONS[language][category];
}

function present(value: string | undefined): value is string {
	return value !== undefined && value !== null && String(value).trim() !== '';
}

function decimal(value: string | undefined, element: string): Big {
	if (!present(value)) throw new DocumentError('MISSING_FIELD', `${element} is missing`, undefined, { element });
	const text = String(value).trim();
	if (!DECIMAL.test(text)) {
		throw new DocumentError(
			'INVALID_VALUE',
			`${element} must be a decimal number with a point ("12.5"), not "${text}"`,
			undefined,
			{ element },
		);
	}
	return new Big(text);
}

/** The price base quantity (BT-149) of a line: 1 when absent, else a decimal above 0. */
function priceBase(value: string | undefined, element: string): Big {
	if (!present(value)) return new Big(1);
	const base = decimal(value, `${element}.priceBaseQuantity`);
	if (base.lte(0)) {
		throw new DocumentError('INVALID_VALUE', `${element}.priceBaseQuantity must be above 0, not "${value}"`, undefined, {
			element: `${element}.priceBaseQuantity`,
		});
	}
	return base;
}

function cents(value: Big): string {
	return value.round(2, Big.roundHalfUp).toFixed(2);
}

/** The category of a line: the given one, else S for a positive rate and Z for 0 %. */
export function lineVatCategory(rate: Big, given: VatCategory | undefined, element: string): VatCategory {
	if (given !== undefined && !CATEGORY_ORDER.includes(given)) {
		throw new DocumentError(
			'INVALID_VALUE',
			`${element}.vatCategory must be one of ${CATEGORY_ORDER.join(', ')}, not "${given}"`,
			undefined,
			{ element: `${element}.vatCategory` },
		);
	}
	const category = given ?? (rate.gt(0) ? 'S' : 'Z');
	if (rate.lt(0) || rate.gte(100)) {
		throw new DocumentError('INVALID_VALUE', `${element}.vatRate must be between 0 and 100`, undefined, {
			element: `${element}.vatRate`,
		});
	}
	// EN 16931 BR-S-5, BR-Z-5, BR-E-5, BR-AE-5, BR-IC-5, BR-G-5: only standard-rated lines have a rate above 0
	if (category === 'S' ? rate.eq(0) : rate.gt(0)) {
		throw new DocumentError(
			'INVALID_VALUE',
			category === 'S'
				? `${element}: VAT category S (standard rate) needs a rate above 0 %`
				: `${element}: VAT category ${category} needs the rate 0 %, not ${rate.toFixed()} %`,
			undefined,
			{ element: `${element}.vatRate` },
		);
	}
	return category;
}

interface VatGroup {
	category: VatCategory;
	rate: Big;
	/** the lines' net amounts */
	lines: Big;
	/** lines, less document level allowances, plus document level charges */
	net: Big;
	reason?: string;
}

function groupOf(groups: Map<string, VatGroup>, category: VatCategory, rate: Big): VatGroup {
	const key = `${category}|${rate.toFixed()}`;
	let group = groups.get(key);
	if (!group) {
		group = { category, rate, lines: new Big(0), net: new Big(0) };
		groups.set(key, group);
	}
	return group;
}

/** Each line's net amount (after its own allowances and charges), added to the group of its VAT category and rate. */
function lineAmounts(invoice: Invoice, groups: Map<string, VatGroup>): { lineNetAmounts: string[]; lineAllowancesCharges: AllowanceChargeAmounts[][] } {
	const lineNetAmounts: string[] = [];
	const lineAllowancesChargesOut: AllowanceChargeAmounts[][] = [];
	invoice.lines.forEach((line, index) => {
		const element = `lines[${index + 1}]`;
		const quantity = decimal(line.quantity, `${element}.quantity`);
		const price = decimal(line.netUnitPrice, `${element}.netUnitPrice`);
		const rate = decimal(line.vatRate, `${element}.vatRate`);
		const category = lineVatCategory(rate, line.vatCategory, element);
		const amount = quantity.times(price).div(priceBase(line.priceBaseQuantity, element)).round(2, Big.roundHalfUp);
		const { amounts, net } = lineAllowancesCharges(line.allowancesCharges, amount, element);
		lineNetAmounts.push(net.toFixed(2));
		lineAllowancesChargesOut.push(amounts);
		const group = groupOf(groups, category, rate);
		group.lines = group.lines.plus(net);
		group.net = group.net.plus(net);
		// EN 16931 has one reason per breakdown: the first line that gives one speaks for its group
		if (!group.reason && present(line.vatExemptionReason)) group.reason = line.vatExemptionReason.trim();
	});
	return { lineNetAmounts, lineAllowancesCharges: lineAllowancesChargesOut };
}

/** The document level allowances and charges worked out, each taken off or added to its VAT group. */
function documentAmounts(invoice: Invoice, groups: Map<string, VatGroup>): AllowanceChargeAmounts[] {
	const list = invoice.allowancesCharges;
	if (list === undefined || list === null) return [];
	if (!Array.isArray(list)) throw new DocumentError('INVALID_VALUE', 'allowancesCharges must be a list', undefined, { element: 'allowancesCharges' });
	// percentages are of the lines' amounts, whatever other document level allowances come before
	const linesOf = new Map([...groups.entries()].map(([key, group]) => [key, group.lines]));
	return list.map((entry, index) => {
		const element = `allowancesCharges[${index + 1}]`;
		const rate = decimal(entry?.vatRate, `${element}.vatRate`);
		const category = lineVatCategory(rate, entry?.vatCategory, element);
		const out = documentAllowanceCharge(entry, element, category, rate, linesOf.get(`${category}|${rate.toFixed()}`));
		const group = groupOf(groups, category, rate);
		group.net = out.kind === 'charge' ? group.net.plus(out.amount) : group.net.minus(out.amount);
		return out;
	});
}

const sumOf = (values: Iterable<string | Big>): Big => [...values].reduce<Big>((sum, value) => sum.plus(value), new Big(0));

/**
 * Computes line amounts, the VAT breakdown and the totals, with the allowances and charges of lines and of the
 * whole invoice. Throws a DocumentError for a quantity, price or rate that is not a decimal, and for a category
 * that contradicts its rate. A credit note has the same (positive) amounts as the invoice it corrects: the
 * document type, not the sign, says which way the money goes.
 */
export function computeTotals(invoice: Invoice, language: InvoiceLanguage = 'de'): InvoiceTotals {
	if (!Array.isArray(invoice.lines) || invoice.lines.length === 0) {
		throw new DocumentError('MISSING_FIELD', 'the invoice has no lines', undefined, { element: 'lines' });
	}
	const groups = new Map<string, VatGroup>();
	const lines = lineAmounts(invoice, groups);
	const allowancesCharges = documentAmounts(invoice, groups);

	const vatBreakdown: VatBreakdown[] = [...groups.values()]
		.sort((a, b) => b.rate.cmp(a.rate) || CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category))
		.map((group) => {
			const entry: VatBreakdown = {
				category: group.category,
				rate: group.rate.toFixed(),
				netAmount: group.net.toFixed(2),
				vatAmount: cents(group.net.times(group.rate).div(100)),
			};
			const reason = group.reason ?? defaultExemptionReason(group.category, language);
			if (group.category !== 'S' && reason) entry.exemptionReason = reason;
			return entry;
		});

	const lineTotal = sumOf(lines.lineNetAmounts);
	const allowanceTotal = sumOf(allowancesCharges.filter((ac) => ac.kind === 'allowance').map((ac) => ac.amount));
	const chargeTotal = sumOf(allowancesCharges.filter((ac) => ac.kind === 'charge').map((ac) => ac.amount));
	// BR-CO-13: the taxable amount is the lines less allowances plus charges — equal to the sum of the breakdown
	const netTotal = lineTotal.minus(allowanceTotal).plus(chargeTotal);
	const vatTotal = sumOf(vatBreakdown.map((entry) => entry.vatAmount));
	const grossTotal = netTotal.plus(vatTotal);
	const prepaid = present(invoice.prepaidAmount) ? decimal(invoice.prepaidAmount, 'prepaidAmount') : new Big(0);
	const totals: InvoiceTotals = {
		lineNetAmounts: lines.lineNetAmounts,
		vatBreakdown,
		netTotal: netTotal.toFixed(2),
		vatTotal: vatTotal.toFixed(2),
		grossTotal: grossTotal.toFixed(2),
		prepaidAmount: cents(prepaid),
		amountDue: cents(grossTotal.minus(prepaid)),
	};
	if (allowancesCharges.length > 0 || lines.lineAllowancesCharges.some((list) => list.length > 0)) {
		totals.allowancesCharges = {
			lines: lines.lineAllowancesCharges,
			document: allowancesCharges,
			lineTotal: lineTotal.toFixed(2),
			allowanceTotal: allowanceTotal.toFixed(2),
			chargeTotal: chargeTotal.toFixed(2),
		};
	}
	return totals;
}

function missing(element: string, what: string): DocumentError {
	return new DocumentError('MISSING_FIELD', `${what} is missing`, undefined, { element });
}

function isCalendarDate(year: number, month: number, day: number): boolean {
	if (month < 1 || month > 12 || day < 1) return false;
	return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function checkDate(value: string | undefined, element: string, what: string, required: boolean): void {
	if (!present(value)) {
		if (required) throw missing(element, what);
		return;
	}
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
	if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
		throw new DocumentError('INVALID_VALUE', `${what} must be a date like 2025-03-14, not "${value}"`, undefined, {
			element,
		});
	}
}

/** A period: both dates calendar dates, the end not before the start. */
function checkPeriod(period: { from: string; to: string }, element: string, what: string): void {
	checkDate(period.from, `${element}.from`, `the start of ${what}`, true);
	checkDate(period.to, `${element}.to`, `the end of ${what}`, true);
	if (period.from.trim() > period.to.trim()) {
		throw new DocumentError('INVALID_VALUE', `${what} ends before it starts`, undefined, { element });
	}
}

function checkAddress(party: Party | undefined, role: 'seller' | 'buyer', what: string): void {
	if (!party || typeof party !== 'object') throw missing(role, `the ${what}`);
	for (const [field, label] of [
		['name', 'name'],
		['street', 'street'],
		['zip', 'postcode'],
		['city', 'city'],
	] as const) {
		if (!present(party[field])) throw missing(`${role}.${field}`, `the ${what}'s ${label}`);
	}
	if (present(party.country) && !/^[A-Z]{2}$/.test(party.country.trim())) {
		throw new DocumentError(
			'INVALID_VALUE',
			`${role}.country must be an ISO 3166-1 alpha-2 code such as "DE", not "${party.country}"`,
			undefined,
			{ element: `${role}.country` },
		);
	}
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, the result mod 97 is 1. */
export function isValidIban(iban: string): boolean {
	const text = iban.replace(/\s+/g, '').toUpperCase();
	if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(text)) return false;
	const digits = (text.slice(4) + text.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
	let remainder = 0;
	for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
	return remainder === 1;
}

const PARTY_TEXT = ['name', 'name2', 'street', 'zip', 'city', 'country', 'vatId', 'taxNumber', 'email', 'phone'];
const ALLOWANCE_CHARGE_TEXT = ['kind', 'amount', 'percent', 'baseAmount', 'reason', 'reasonCode'];
const LINE_TEXT = ['description', 'quantity', 'unit', 'netUnitPrice', 'vatRate', 'vatCategory', 'vatExemptionReason', 'articleNumber', 'priceBaseQuantity'];

/**
 * Refuses a field that is there but not text — above all a number where the model wants a decimal string, which
 * a workflow item easily carries — with the field's name, instead of a TypeError deep in the layout.
 */
function checkTextFields(invoice: Invoice): void {
	const check = (value: unknown, element: string): void => {
		if (value === undefined || value === null || typeof value === 'string') return;
		const hint = typeof value === 'number' ? ' (give numbers as decimal strings such as "12.5")' : '';
		throw new DocumentError('INVALID_VALUE', `${element} must be text, not a ${typeof value}${hint}`, undefined, { element });
	};
	const object = (value: unknown, element: string): Record<string, unknown> | undefined => {
		if (value === undefined || value === null) return undefined;
		if (typeof value !== 'object' || Array.isArray(value)) {
			throw new DocumentError('INVALID_VALUE', `${element} must be an object`, undefined, { element });
		}
		return value as Record<string, unknown>;
	};
	const fields = (value: unknown, element: string, names: string[]): void => {
		const record = object(value, element);
		if (record) for (const name of names) check(record[name], `${element}.${name}`);
	};
	const list = (value: unknown, element: string, names: string[]): void => {
		if (value === undefined || value === null) return;
		if (!Array.isArray(value)) throw new DocumentError('INVALID_VALUE', `${element} must be a list`, undefined, { element });
		value.forEach((entry, i) => {
			if (!object(entry, `${element}[${i + 1}]`)) throw missing(`${element}[${i + 1}]`, `entry ${i + 1} of ${element}`);
			fields(entry, `${element}[${i + 1}]`, names);
		});
	};
	for (const element of ['number', 'issueDate', 'deliveryDate', 'dueDate', 'currency', 'paymentTerms', 'orderReference', 'prepaidAmount'] as const) {
		check(invoice[element], element);
	}
	fields(invoice.servicePeriod, 'servicePeriod', ['from', 'to']);
	fields(invoice.seller, 'seller', [...PARTY_TEXT, 'commercialRegister', 'managingDirectors', 'website', 'contactName']);
	fields(invoice.buyer, 'buyer', [...PARTY_TEXT, 'customerNumber', 'buyerReference']);
	fields(invoice.bankAccount, 'bankAccount', ['iban', 'bic', 'bankName', 'accountHolder']);
	fields(invoice.precedingInvoice, 'precedingInvoice', ['number', 'issueDate']);
	if (invoice.notes !== undefined && invoice.notes !== null) {
		if (!Array.isArray(invoice.notes)) throw new DocumentError('INVALID_VALUE', 'notes must be a list of texts', undefined, { element: 'notes' });
		invoice.notes.forEach((note, i) => check(note, `notes[${i + 1}]`));
	}
	if (Array.isArray(invoice.lines)) {
		invoice.lines.forEach((line, i) => {
			if (!object(line, `lines[${i + 1}]`)) throw missing(`lines[${i + 1}]`, `line ${i + 1}`);
			fields(line, `lines[${i + 1}]`, LINE_TEXT);
			fields(line.period, `lines[${i + 1}].period`, ['from', 'to']);
			list(line.allowancesCharges, `lines[${i + 1}].allowancesCharges`, ALLOWANCE_CHARGE_TEXT);
		});
	}
	list(invoice.allowancesCharges, 'allowancesCharges', [...ALLOWANCE_CHARGE_TEXT, 'vatRate', 'vatCategory']);
}

/** The checked invoices made here and in cii.ts: only they count as checked. */
const CHECKED = new WeakSet<object>();

function deepFreeze<T>(value: T): T {
	if (value && typeof value === 'object' && !Object.isFrozen(value)) {
		Object.freeze(value);
		for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
	}
	return value;
}

/** Makes a CheckedInvoice; for `checkInvoice` and `checkEInvoice` only. */
export function sealCheckedInvoice(
	invoice: Invoice,
	totals: InvoiceTotals,
	language: InvoiceLanguage,
	profile?: EInvoiceProfile,
): CheckedInvoice {
	const checked: CheckedInvoice = deepFreeze({ invoice, totals, language, ...(profile ? { profile } : {}) });
	CHECKED.add(checked);
	return checked;
}

/** Whether `value` is a CheckedInvoice made by `checkInvoice` or `checkEInvoice` (not a look-alike). */
export function isCheckedInvoice(value: unknown): value is CheckedInvoice {
	return typeof value === 'object' && value !== null && CHECKED.has(value);
}

/**
 * Checks the invoice once for what §14 UStG requires (see `validateInvoiceForPdf`) and computes its totals once:
 * the result is what the PDF renderer and the CII writer take. The invoice is copied, so later changes to the
 * caller's object cannot make the totals stale.
 */
export function checkInvoice(invoice: Invoice, language: InvoiceLanguage = 'de'): CheckedInvoice {
	const copy = invoice && typeof invoice === 'object' ? structuredClone(invoice) : invoice;
	return sealCheckedInvoice(copy, validateInvoiceForPdf(copy, language), language);
}

/**
 * Checks that the invoice has what §14 Abs. 4 UStG requires of an invoice (and §14a for reverse charge and
 * intra-EU supplies), throwing a DocumentError that names the first missing or malformed field — so that a
 * workflow learns "seller.vatId" rather than mailing an invoice the customer's accountant must send back.
 * Returns the totals, computed once. (`checkInvoice` keeps both together for the renderer and the writer.)
 */
export function validateInvoiceForPdf(invoice: Invoice, language: InvoiceLanguage = 'de'): InvoiceTotals {
	if (!invoice || typeof invoice !== 'object') throw missing('invoice', 'the invoice');
	checkTextFields(invoice);
	if (!present(invoice.number)) throw missing('number', 'the invoice number (§14 Abs. 4 Nr. 4 UStG)');
	if (invoice.type !== 'invoice' && invoice.type !== 'creditNote') {
		throw new DocumentError('INVALID_VALUE', `type must be "invoice" or "creditNote", not "${invoice.type}"`, undefined, {
			element: 'type',
		});
	}
	checkDate(invoice.issueDate, 'issueDate', 'the invoice date (§14 Abs. 4 Nr. 3 UStG)', true);
	checkAddress(invoice.seller, 'seller', 'seller');
	if (!present(invoice.seller.vatId) && !present(invoice.seller.taxNumber)) {
		throw missing('seller.vatId', "the seller's VAT ID (seller.vatId) or tax number (seller.taxNumber) (§14 Abs. 4 Nr. 2 UStG)");
	}
	checkAddress(invoice.buyer, 'buyer', 'buyer');
	if (invoice.servicePeriod) {
		checkPeriod(invoice.servicePeriod, 'servicePeriod', 'the service period');
	} else {
		checkDate(invoice.deliveryDate, 'deliveryDate', 'the delivery or service date (§14 Abs. 4 Nr. 6 UStG)', true);
	}
	checkDate(invoice.dueDate, 'dueDate', 'the due date', false);
	if (present(invoice.currency) && !/^[A-Z]{3}$/.test(invoice.currency.trim())) {
		throw new DocumentError('INVALID_VALUE', `currency must be an ISO 4217 code such as "EUR", not "${invoice.currency}"`, undefined, {
			element: 'currency',
		});
	}
	if (!Array.isArray(invoice.lines) || invoice.lines.length === 0) throw missing('lines', 'the invoice lines');
	invoice.lines.forEach((line, index) => {
		const element = `lines[${index + 1}]`;
		if (!present(line.description)) throw missing(`${element}.description`, `the description of line ${index + 1} (§14 Abs. 4 Nr. 5 UStG)`);
		if (!present(line.quantity)) throw missing(`${element}.quantity`, `the quantity of line ${index + 1} (§14 Abs. 4 Nr. 5 UStG)`);
		if (!present(line.unit)) throw missing(`${element}.unit`, `the unit of line ${index + 1} (§14 Abs. 4 Nr. 5 UStG)`);
		if (!present(line.netUnitPrice)) throw missing(`${element}.netUnitPrice`, `the net unit price of line ${index + 1}`);
		if (!present(line.vatRate)) throw missing(`${element}.vatRate`, `the VAT rate of line ${index + 1} (§14 Abs. 4 Nr. 8 UStG)`);
		if (line.period) checkPeriod(line.period, `${element}.period`, `the period of line ${index + 1}`);
	});
	if (invoice.bankAccount) {
		if (!present(invoice.bankAccount.iban)) throw missing('bankAccount.iban', 'the IBAN');
		if (!isValidIban(invoice.bankAccount.iban)) {
			throw new DocumentError('INVALID_VALUE', `bankAccount.iban "${invoice.bankAccount.iban}" is not a valid IBAN (check digits)`, undefined, {
				element: 'bankAccount.iban',
			});
		}
	}
	const totals = computeTotals(invoice, language);

	// §14a Abs. 1 and 3 UStG: cross-border reverse charge and intra-EU supplies name both parties' VAT IDs
	const sellerCountry = (invoice.seller.country ?? 'DE').trim() || 'DE';
	const buyerCountry = (invoice.buyer.country ?? 'DE').trim() || 'DE';
	for (const entry of totals.vatBreakdown) {
		const needsIds = entry.category === 'K' || (entry.category === 'AE' && buyerCountry !== sellerCountry);
		if (!needsIds) continue;
		const why = entry.category === 'K' ? 'an intra-community supply' : 'a cross-border reverse charge';
		if (!present(invoice.seller.vatId)) throw missing('seller.vatId', `the seller's VAT ID, required for ${why} (§14a UStG)`);
		if (!present(invoice.buyer.vatId)) throw missing('buyer.vatId', `the buyer's VAT ID, required for ${why} (§14a UStG)`);
	}
	return totals;
}
