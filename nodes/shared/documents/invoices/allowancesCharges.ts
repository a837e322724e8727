import Big from 'big.js';
import { DocumentError } from '../DocumentError';
import type { AllowanceCharge, AllowanceChargeAmounts, DocumentAllowanceCharge, Invoice, VatCategory } from './types';

/**
 * Allowances (discounts) and charges (freight, packaging …) of an outgoing invoice, on a line (EN 16931 BG-27,
 * BG-28) or on the whole invoice (BG-20, BG-21): checked and worked out to cents, exactly, once — the PDF and the
 * e-invoice print the figures this module returns.
 */

/** UNTDID 5189, the allowance reason codes EN 16931 accepts (BR-CL-19), as its schematron lists them. */
const ALLOWANCE_REASON_CODES = new Set('41 42 60 62 63 64 65 66 67 68 70 71 88 95 100 102 103 104 105'.split(' '));

/** UNTDID 7161, the charge reason codes EN 16931 accepts (BR-CL-20), as its schematron lists them. */
const CHARGE_REASON_CODES = new Set(
	(
		'AA AAA AAC AAD AAE AAF AAH AAI AAS AAT AAV AAY AAZ ABA ABB ABC ABD ABF ABK ABL ABN ABR ABS ABT ABU ACF ACG ACH ACI ' +
		'ACJ ACK ACL ACM ACS ADC ADE ADJ ADK ADL ADM ADN ADO ADP ADQ ADR ADT ADW ADY ADZ AEA AEB AEC AED AEF AEH AEI AEJ AEK ' +
		'AEL AEM AEN AEO AEP AES AET AEU AEV AEW AEX AEY AEZ AJ AU CA CAB CAD CAE CAF CAI CAJ CAK CAL CAM CAN CAO CAP CAQ CAR ' +
		'CAS CAT CAU CAV CAW CAX CAY CAZ CD CG CS CT DAB DAD DAC DAF DAG DAH DAI DAJ DAK DAL DAM DAN DAO DAP DAQ DL EG EP ER ' +
		'FAA FAB FAC FC FH FI GAA HAA HD HH IAA IAB ID IF IR IS KO L1 LA LAA LAB LF MAE MI ML NAA OA PA PAA PC PL PRV RAB RAC ' +
		'RAD RAF RE RF RH RV SA SAA SAD SAE SAI SG SH SM SU TAB TAC TT TV V1 V2 WH XAA YY ZZZ'
	).split(' '),
);

const DECIMAL = /^-?\d+(\.\d+)?$/;

function present(value: string | undefined | null): value is string {
	return value !== undefined && value !== null && String(value).trim() !== '';
}

function invalid(element: string, reason: string): DocumentError {
	return new DocumentError('INVALID_VALUE', `${element}: ${reason}`, undefined, { element });
}

/** A decimal ≥ 0 with at most `places` decimals (undefined: any), or undefined when absent. */
function amountOf(value: string | undefined, element: string, places?: number): Big | undefined {
	if (!present(value)) return undefined;
	const text = String(value).trim();
	if (!DECIMAL.test(text)) throw invalid(element, `must be a decimal number with a point ("12.5"), not "${text}"`);
	if (text.startsWith('-')) throw invalid(element, `must not be negative ("${text}"); an allowance lowers the amount, a charge raises it`);
	if (places !== undefined && (text.split('.')[1]?.length ?? 0) > places) throw invalid(element, `has more than ${places} decimals ("${text}")`);
	return new Big(text);
}

function cents(value: Big): Big {
	return value.round(2, Big.roundHalfUp);
}

/** The kind, a reason or a code from the right list: what every allowance and charge needs. */
function checkShape(entry: AllowanceCharge, element: string): void {
	if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw invalid(element, 'must be an object');
	if (entry.kind !== 'allowance' && entry.kind !== 'charge') {
		throw invalid(`${element}.kind`, `must be "allowance" or "charge", not "${String(entry.kind)}"`);
	}
	for (const field of ['amount', 'percent', 'baseAmount', 'reason', 'reasonCode'] as const) {
		const value = entry[field] as unknown;
		if (value !== undefined && value !== null && typeof value !== 'string') {
			throw invalid(`${element}.${field}`, `must be text, not a ${typeof value} (give numbers as decimal strings such as "12.5")`);
		}
	}
	if (present(entry.reasonCode)) {
		const codes = entry.kind === 'allowance' ? ALLOWANCE_REASON_CODES : CHARGE_REASON_CODES;
		if (!codes.has(entry.reasonCode.trim())) {
			const list = entry.kind === 'allowance' ? 'UNTDID 5189 (e.g. 95 discount)' : 'UNTDID 7161 (e.g. FC freight, ABL packaging)';
			throw invalid(`${element}.reasonCode`, `"${entry.reasonCode}" is not a ${entry.kind} reason code of ${list}`);
		}
	}
	if (!present(entry.reason) && !present(entry.reasonCode)) {
		throw new DocumentError('MISSING_FIELD', `${element}.reason: the ${entry.kind} needs a reason (text) or a reason code`, undefined, {
			element: `${element}.reason`,
		});
	}
}

/**
 * The amount of an allowance or charge: as given, or `percent` of the base (the given base amount, else
 * `defaultBase`), rounded half-up to cents. Both given: the amount must be that percentage of the base.
 */
function workOut(entry: AllowanceCharge, element: string, defaultBase: Big | undefined): AllowanceChargeAmounts {
	checkShape(entry, element);
	const given = amountOf(entry.amount, `${element}.amount`, 2);
	const percent = amountOf(entry.percent, `${element}.percent`);
	const out: AllowanceChargeAmounts = { kind: entry.kind, amount: '' };
	if (present(entry.reason)) out.reason = entry.reason.trim();
	if (present(entry.reasonCode)) out.reasonCode = entry.reasonCode.trim();
	if (percent === undefined) {
		if (given === undefined) {
			throw new DocumentError('MISSING_FIELD', `${element}.amount: the ${entry.kind} needs an amount or a percent`, undefined, {
				element: `${element}.amount`,
			});
		}
		const base = amountOf(entry.baseAmount, `${element}.baseAmount`, 2);
		if (base !== undefined) out.baseAmount = base.toFixed(2);
		out.amount = given.toFixed(2);
		return out;
	}
	const base = amountOf(entry.baseAmount, `${element}.baseAmount`, 2) ?? defaultBase;
	if (base === undefined) {
		throw new DocumentError('MISSING_FIELD', `${element}.baseAmount: a percentage needs the amount it is taken of`, undefined, {
			element: `${element}.baseAmount`,
		});
	}
	const amount = cents(base.times(percent).div(100));
	if (given !== undefined && !given.eq(amount)) {
		throw invalid(`${element}.percent`, `the amount ${given.toFixed(2)} is not ${percent.toFixed()} % of ${base.toFixed(2)} (${amount.toFixed(2)})`);
	}
	return { ...out, amount: amount.toFixed(2), percent: percent.toFixed(), baseAmount: base.toFixed(2) };
}

/**
 * The allowances and charges of one line worked out, and the line's net amount (BT-131): its amount (quantity ×
 * price ÷ base quantity, rounded to cents) less its allowances plus its charges. A percentage is of that amount.
 */
export function lineAllowancesCharges(
	list: AllowanceCharge[] | undefined,
	lineAmount: Big,
	element: string,
): { amounts: AllowanceChargeAmounts[]; net: Big } {
	if (list === undefined || list === null) return { amounts: [], net: lineAmount };
	if (!Array.isArray(list)) throw invalid(`${element}.allowancesCharges`, 'must be a list');
	const amounts = list.map((entry, i) => workOut(entry, `${element}.allowancesCharges[${i + 1}]`, lineAmount));
	return { amounts, net: amounts.reduce((net, ac) => (ac.kind === 'charge' ? net.plus(ac.amount) : net.minus(ac.amount)), lineAmount) };
}

/**
 * One document level allowance or charge worked out, in the VAT category and rate it is given (checked like a
 * line's by `category`); a percentage without a base amount is of the net amount of the lines of that category and
 * rate (`linesNet`).
 */
export function documentAllowanceCharge(
	entry: DocumentAllowanceCharge,
	element: string,
	category: VatCategory,
	rate: Big,
	linesNet: Big | undefined,
): AllowanceChargeAmounts {
	return { ...workOut(entry, element, linesNet), category, rate: rate.toFixed() };
}

/** The text fields of the invoice's allowances and charges (document and lines), for the checks of printable text. */
export function allowanceChargeTexts(invoice: Readonly<Invoice>): Array<[string, string | undefined]> {
	const of = (list: readonly AllowanceCharge[] | undefined, prefix: string): Array<[string, string | undefined]> =>
		Array.isArray(list) ? list.map((ac, i): [string, string | undefined] => [`${prefix}allowancesCharges[${i + 1}].reason`, ac?.reason]) : [];
	return [...of(invoice.allowancesCharges, ''), ...invoice.lines.flatMap((line, i) => of(line?.allowancesCharges, `lines[${i + 1}].`))];
}

/** The rules by level, kind and field; `amount` when missing, `decimals` when it has more than two. */
const RULES = {
	document: {
		allowance: { amount: 'BR-31', decimals: 'BR-DEC-01', baseAmount: 'BR-DEC-02', percent: 'EN 16931 BT-94', reason: 'BR-33', reasonCode: 'BR-CL-19', vat: 'BR-32' },
		charge: { amount: 'BR-36', decimals: 'BR-DEC-05', baseAmount: 'BR-DEC-06', percent: 'EN 16931 BT-101', reason: 'BR-38', reasonCode: 'BR-CL-20', vat: 'BR-37' },
	},
	line: {
		allowance: { amount: 'BR-41', decimals: 'BR-DEC-24', baseAmount: 'BR-DEC-25', percent: 'EN 16931 BT-138', reason: 'BR-42', reasonCode: 'BR-CL-19', vat: 'BR-CO-4' },
		charge: { amount: 'BR-43', decimals: 'BR-DEC-27', baseAmount: 'BR-DEC-28', percent: 'EN 16931 BT-143', reason: 'BR-44', reasonCode: 'BR-CL-20', vat: 'BR-CO-4' },
	},
} as const;

/**
 * The EN 16931 rule an allowance or charge finding breaks, by the element it names
 * (`allowancesCharges[2].reason`, `lines[1].allowancesCharges[1].amount`) and its code, or undefined for other
 * elements.
 */
export function allowanceChargeRule(element: string, invoice: Invoice, code: string): string | undefined {
	const m = /^(?:lines\[(\d+)\]\.)?allowancesCharges\[(\d+)\]\.?(\w*)/.exec(element);
	if (!m) return undefined;
	const list = m[1] ? invoice.lines?.[Number(m[1]) - 1]?.allowancesCharges : invoice.allowancesCharges;
	const kind = list?.[Number(m[2]) - 1]?.kind;
	if (kind !== 'allowance' && kind !== 'charge') return m[1] ? 'EN 16931 BG-27, BG-28' : 'EN 16931 BG-20, BG-21';
	const rules = RULES[m[1] ? 'line' : 'document'][kind];
	const field = m[3];
	if (field === 'amount') return code === 'MISSING_FIELD' ? rules.amount : rules.decimals;
	if (field === 'vatRate' || field === 'vatCategory') return rules.vat;
	if (field === 'baseAmount') return code === 'MISSING_FIELD' ? rules.percent : rules.baseAmount;
	if (field === 'percent' || field === 'reason' || field === 'reasonCode') return rules[field];
	return rules.amount;
}
