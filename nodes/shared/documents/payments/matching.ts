import Big from 'big.js';

import { DocumentError } from '../DocumentError';
import { nameSimilarity } from '../addresses/similarity';
import { compactIdentifier } from './identifiers';
import { formatAmount, minorUnits, scaleOf } from './money';
import { findCreditorReferences, findInvoiceNumbers, invoiceKey } from './remittance';
import type { Payment } from './types';

/**
 * Matching payments to open invoices.
 *
 * Rules, in the order they are tried for each payment:
 * 1. Only money received settles an invoice: debits and reversals stay `unmatched`.
 * 2. By reference. The invoices the payment names, in this order: the numbers the parser found
 *    (DATEV Belegfeld 1, camt.053 referred documents), then open invoice numbers found in the
 *    remittance text (ignoring case, spaces and hyphens, also when the bank split a number across
 *    lines), then ISO 11649 creditor references (`RF…`) equal to an invoice's `creditorReference`
 *    or carrying its number. A number found by keyword only ("RE 2025-0042") also names the invoice
 *    "RE-2025-0042" when the two differ by a letter prefix and no other invoice fits.
 * 3. Only when the payment names no open invoice: by amount and payer. Exactly one open invoice whose
 *    open amount equals the payment, whose customer IBAN equals the payer's IBAN or whose customer name
 *    is similar to the payer's (names compared without legal forms such as GmbH, e.K., & Co. KG, with
 *    umlauts spelt out; Jaro-Winkler similarity ≥ `nameSimilarity`, default 0.9). Two or more such
 *    invoices are ambiguous and leave the payment unmatched: a wrong "paid" costs more than a manual look.
 * 4. Currencies must agree: an invoice in another currency is never named or applied (an invoice without
 *    currency is in `defaultCurrency`, EUR unless told).
 * 5. A payment naming several invoices is applied in that order, each up to its open amount; what is
 *    left after the last is the overpayment. Open amounts carry over from payment to payment, so two
 *    partial payments of one invoice settle it.
 * 6. Status: `paid` when everything was applied and every named invoice is settled; `partially paid` when
 *    the money ran out first; `overpaid` when money is left over; `unmatched` when no invoice was found.
 * All arithmetic is decimal (big.js): 0.10 + 0.20 settles an invoice of 0.30.
 */

export interface OpenInvoice {
	invoiceNumber: string;
	/** decimal string; what is still to be paid */
	openAmount: string;
	/** ISO 4217; default `MatchOptions.defaultCurrency` */
	currency?: string;
	customerName?: string;
	customerIban?: string;
	/** the ISO 11649 reference printed on the invoice, if any */
	creditorReference?: string;
}

export interface MatchedInvoice {
	invoiceNumber: string;
	/** open before this payment */
	openAmount: string;
	appliedAmount: string;
	/** open after this payment */
	remainingAmount: string;
}

export type MatchStatus = 'paid' | 'partially paid' | 'overpaid' | 'unmatched';

export type MatchMethod = 'invoice number' | 'creditor reference' | 'amount and payer';

export interface MatchedPayment extends Payment {
	matchedInvoices: MatchedInvoice[];
	status: MatchStatus;
	matchedBy?: MatchMethod;
	/** the part of the payment no invoice took: the overpayment, or the whole amount when unmatched */
	unappliedAmount: string;
	/** why a payment stayed unmatched, in words for the user */
	matchNote?: string;
}

export interface MatchOptions {
	/** Jaro-Winkler similarity from 0 to 1 that payer and customer names must reach; default 0.9 */
	nameSimilarity?: number;
	/** the currency of invoices that name none; default EUR */
	defaultCurrency?: string;
}

interface InvoiceState {
	invoice: OpenInvoice;
	key: string;
	currency: string;
	open: Big;
	scale: number;
}

export function matchPayments(
	payments: readonly Payment[],
	openInvoices: readonly OpenInvoice[],
	options: MatchOptions = {},
): MatchedPayment[] {
	const threshold = options.nameSimilarity ?? 0.9;
	const states: InvoiceState[] = openInvoices.map((invoice, i) => {
		if (!/^-?\d+(?:\.\d+)?$/.test(invoice.openAmount.trim())) {
			throw new DocumentError('INVALID_VALUE', `open amount "${invoice.openAmount}" of invoice ${invoice.invoiceNumber} is not a decimal number`, undefined, {
				element: `openInvoices[${i}].openAmount`,
			});
		}
		return {
			invoice,
			key: invoiceKey(invoice.invoiceNumber),
			currency: (invoice.currency ?? options.defaultCurrency ?? 'EUR').toUpperCase(),
			open: new Big(invoice.openAmount.trim()),
			scale: scaleOf(invoice.openAmount.trim()),
		};
	});
	const knownNumbers = openInvoices.map((i) => i.invoiceNumber);

	return payments.map((payment) => {
		const unmatched = (matchNote: string): MatchedPayment => ({
			...payment,
			matchedInvoices: [],
			status: 'unmatched',
			unappliedAmount: payment.amount,
			matchNote,
		});
		if (payment.direction !== 'credit' || payment.reversal) {
			return unmatched(payment.reversal ? 'a reversal settles no invoice' : 'money paid out settles no customer invoice');
		}
		const currency = payment.currency.toUpperCase();

		const byNumber = namedByNumber(payment, states, knownNumbers);
		const byReference = namedByCreditorReference(payment, states).filter((s) => !byNumber.includes(s));
		const named = [...byNumber, ...byReference];
		if (named.length > 0) {
			const sameCurrency = named.filter((s) => s.currency === currency);
			if (sameCurrency.length === 0) {
				return unmatched(
					`the payment names ${named.map((s) => s.invoice.invoiceNumber).join(', ')}, but in ${named[0].currency}, not ${currency}`,
				);
			}
			return apply(payment, sameCurrency, byNumber.some((s) => sameCurrency.includes(s)) ? 'invoice number' : 'creditor reference');
		}

		const amount = new Big(payment.amount);
		const candidates = states.filter(
			(s) => s.currency === currency && s.open.gt(0) && s.open.eq(amount) && samePayer(payment, s.invoice, threshold),
		);
		if (candidates.length === 1) return apply(payment, candidates, 'amount and payer');
		if (candidates.length > 1) {
			return unmatched(
				`the text names no invoice, and ${candidates.length} open invoices of ${payment.amount} ${currency} fit the payer (${candidates
					.map((s) => s.invoice.invoiceNumber)
					.join(', ')})`,
			);
		}
		return unmatched('the text names no open invoice, and no open invoice of this amount belongs to this payer');
	});
}

function apply(payment: Payment, invoices: InvoiceState[], matchedBy: MatchMethod): MatchedPayment {
	let left = new Big(payment.amount);
	const paymentScale = scaleOf(payment.amount);
	const matchedInvoices: MatchedInvoice[] = [];
	for (const state of invoices) {
		const scale = Math.max(paymentScale, state.scale, minorUnits(payment.currency));
		const open = state.open;
		const applied = open.lte(0) ? new Big(0) : left.lt(open) ? left : open;
		left = left.minus(applied);
		state.open = open.minus(applied);
		matchedInvoices.push({
			invoiceNumber: state.invoice.invoiceNumber,
			openAmount: formatAmount(open, payment.currency, scale),
			appliedAmount: formatAmount(applied, payment.currency, scale),
			remainingAmount: formatAmount(state.open, payment.currency, scale),
		});
	}
	const status: MatchStatus = left.gt(0)
		? 'overpaid'
		: matchedInvoices.every((m) => new Big(m.remainingAmount).lte(0))
			? 'paid'
			: 'partially paid';
	return {
		...payment,
		matchedInvoices,
		status,
		matchedBy,
		unappliedAmount: formatAmount(left, payment.currency, paymentScale),
	};
}

/** Open invoices the payment names by number, in the order it names them. */
function namedByNumber(payment: Payment, states: InvoiceState[], knownNumbers: string[]): InvoiceState[] {
	const numbers = [...payment.invoiceNumbers];
	for (const n of findInvoiceNumbers(payment.remittanceText, knownNumbers)) if (!numbers.includes(n)) numbers.push(n);
	const out: InvoiceState[] = [];
	for (const number of numbers) {
		const state = lookUp(number, states);
		if (state && !out.includes(state)) out.push(state);
	}
	return out;
}

function lookUp(number: string, states: InvoiceState[]): InvoiceState | undefined {
	const key = invoiceKey(number);
	if (!key) return undefined;
	const exact = states.find((s) => s.key === key);
	if (exact) return exact;
	// "RE 2025-0042" read as keyword RE + number 2025-0042 still names invoice RE-2025-0042, and
	// "RE-4711" names invoice 4711: the two may differ by a prefix of letters, if only one invoice fits
	const lettersOnly = /^[A-Z]+$/;
	const prefixed = states.filter(
		(s) =>
			(s.key.endsWith(key) && lettersOnly.test(s.key.slice(0, s.key.length - key.length))) ||
			(key.endsWith(s.key) && lettersOnly.test(key.slice(0, key.length - s.key.length))),
	);
	return prefixed.length === 1 ? prefixed[0] : undefined;
}

function namedByCreditorReference(payment: Payment, states: InvoiceState[]): InvoiceState[] {
	const references = [payment.creditorReference, ...findCreditorReferences(payment.remittanceText)]
		.filter((r): r is string => !!r)
		.map(compactIdentifier);
	const out: InvoiceState[] = [];
	for (const reference of new Set(references)) {
		const payload = alphanumericKey(reference.slice(4));
		const state =
			states.find((s) => s.invoice.creditorReference && compactIdentifier(s.invoice.creditorReference) === reference) ??
			(reference.startsWith('RF') ? states.find((s) => alphanumericKey(s.invoice.invoiceNumber) === payload) : undefined);
		if (state && !out.includes(state)) out.push(state);
	}
	return out;
}

/** Letters and digits only, without leading zeros: RF references pad numbers ("RF…00004711" carries 4711). */
function alphanumericKey(text: string): string {
	return text.toUpperCase().replace(/[^A-Z0-9]/g, '').replace(/^0+(?=\d)/, '');
}

function samePayer(payment: Payment, invoice: OpenInvoice, threshold: number): boolean {
	if (payment.payerIban && invoice.customerIban && compactIdentifier(payment.payerIban) === compactIdentifier(invoice.customerIban)) {
		return true;
	}
	if (!payment.payerName || !invoice.customerName) return false;
	return nameSimilarity(payment.payerName, invoice.customerName) >= threshold;
}
