import Big from 'big.js';
import type { InvoiceLanguage } from './unitCodes';

/**
 * Numbers, amounts and dates as a German (or English) reader expects them on an invoice. Written by hand
 * rather than with Intl, because Intl's output depends on the ICU data of the Node build (narrow no-break
 * spaces came and went between versions), and the same invoice must give the same PDF bytes everywhere.
 */

const SYMBOLS: Record<string, string> = { EUR: '€', USD: '$', GBP: '£' };

function group(digits: string, separator: string): string {
	return digits.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

/** Formats a decimal string with the language's separators: `1234.5` → `1.234,5` (de) / `1,234.5` (en). */
export function formatDecimal(value: string, language: InvoiceLanguage, minDecimals = 0): string {
	let text = new Big(value).toFixed();
	const negative = text.startsWith('-');
	if (negative) text = text.slice(1);
	const [whole, given = ''] = text.split('.');
	const fraction = given.padEnd(minDecimals, '0');
	const [thousands, decimalMark] = language === 'de' ? ['.', ','] : [',', '.'];
	return `${negative ? '-' : ''}${group(whole, thousands)}${fraction ? decimalMark + fraction : ''}`;
}

/** An amount with its currency: `1.234,56 €` (de), `€1,234.56` (en), `1.234,56 CHF`. */
export function formatMoney(value: string, currency: string, language: InvoiceLanguage): string {
	const number = formatDecimal(new Big(value).toFixed(2), language, 2);
	const symbol = SYMBOLS[currency] ?? currency;
	if (language === 'de') return `${number} ${symbol}`;
	const sign = number.startsWith('-') ? '-' : '';
	const digits = sign ? number.slice(1) : number;
	return symbol.length === 1 ? `${sign}${symbol}${digits}` : `${sign}${symbol} ${digits}`;
}

/** The currency as a table header shows it: `€`, `$`, `CHF`. */
export function currencySymbol(currency: string): string {
	return SYMBOLS[currency] ?? currency;
}

/** A unit price shows at least two decimals and every decimal given (0.335 stays 0,335). */
export function formatPrice(value: string, language: InvoiceLanguage): string {
	return formatDecimal(value, language, 2);
}

export function formatRate(rate: string, language: InvoiceLanguage): string {
	return `${formatDecimal(rate, language)} %`;
}

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `2025-03-14` → `14.03.2025` (de) / `14 March 2025` (en). */
export function formatDate(iso: string, language: InvoiceLanguage): string {
	const [year, month, day] = iso.trim().split('-');
	if (language === 'de') return `${day}.${month}.${year}`;
	return `${Number(day)} ${MONTHS_EN[Number(month) - 1]} ${year}`;
}

/** Groups an IBAN in fours, as banks print it: `DE89 3704 0044 0532 0130 00`. */
export function formatIban(iban: string): string {
	return iban.replace(/\s+/g, '').toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}

/** Country names for the last address line of mail abroad (upper case, as the postal services ask). */
const COUNTRIES: Record<string, [de: string, en: string]> = {
	AT: ['Österreich', 'Austria'],
	BE: ['Belgien', 'Belgium'],
	BG: ['Bulgarien', 'Bulgaria'],
	CH: ['Schweiz', 'Switzerland'],
	CY: ['Zypern', 'Cyprus'],
	CZ: ['Tschechien', 'Czech Republic'],
	DE: ['Deutschland', 'Germany'],
	DK: ['Dänemark', 'Denmark'],
	EE: ['Estland', 'Estonia'],
	ES: ['Spanien', 'Spain'],
	FI: ['Finnland', 'Finland'],
	FR: ['Frankreich', 'France'],
	GB: ['Vereinigtes Königreich', 'United Kingdom'],
	GR: ['Griechenland', 'Greece'],
	HR: ['Kroatien', 'Croatia'],
	HU: ['Ungarn', 'Hungary'],
	IE: ['Irland', 'Ireland'],
	IT: ['Italien', 'Italy'],
	LI: ['Liechtenstein', 'Liechtenstein'],
	LT: ['Litauen', 'Lithuania'],
	LU: ['Luxemburg', 'Luxembourg'],
	LV: ['Lettland', 'Latvia'],
	MT: ['Malta', 'Malta'],
	NL: ['Niederlande', 'Netherlands'],
	NO: ['Norwegen', 'Norway'],
	PL: ['Polen', 'Poland'],
	PT: ['Portugal', 'Portugal'],
	RO: ['Rumänien', 'Romania'],
	SE: ['Schweden', 'Sweden'],
	SI: ['Slowenien', 'Slovenia'],
	SK: ['Slowakei', 'Slovakia'],
	TR: ['Türkei', 'Turkey'],
	US: ['USA', 'United States'],
};

export function countryName(code: string, language: InvoiceLanguage): string {
	const names = COUNTRIES[code.toUpperCase()];
	return names ? names[language === 'de' ? 0 : 1] : code.toUpperCase();
}
