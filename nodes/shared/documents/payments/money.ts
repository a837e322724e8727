import Big from 'big.js';

/**
 * Exact money for the payment formats. Amounts stay decimal strings at the edges and big.js inside,
 * because 0.1 + 0.2 must be 0.30 when an invoice is settled by two payments.
 */

/** ISO 4217 currencies whose minor unit is not 2 digits; everything else has cents. */
const MINOR_UNITS: Record<string, number> = {
	BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
	VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
	BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
	CLF: 4, UYW: 4,
};

export function minorUnits(currency: string | undefined): number {
	return currency === undefined ? 2 : (MINOR_UNITS[currency.toUpperCase()] ?? 2);
}

/** Decimal places a decimal string carries ("12.50" → 2, "7" → 0). */
export function scaleOf(decimal: string): number {
	const dot = decimal.indexOf('.');
	return dot < 0 ? 0 : decimal.length - dot - 1;
}

/**
 * Writes an amount with the currency's minor units, or more digits when the value has them, so that
 * nothing is ever rounded away ("15000" EUR → "15000.00", "2700" JPY → "2700", "0.125" EUR → "0.125").
 */
export function formatAmount(value: Big, currency?: string, atLeast = 0): string {
	const places = Math.max(minorUnits(currency), atLeast, decimalPlacesOf(value));
	return value.toFixed(places);
}

function decimalPlacesOf(value: Big): number {
	// big.js keeps the digits in `c` and the exponent in `e`: the decimal places are what lies right of the point
	return Math.max(0, value.c.length - value.e - 1);
}

/** A plain unsigned decimal with `.` ("1234.5", "0.01"); nothing else is accepted. */
export const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;
