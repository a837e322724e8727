import { electronicFormatIBAN, isValidIBAN } from 'ibantools';

/**
 * Bank identifiers in payment files: IBAN (ISO 13616), BIC (ISO 9362) and the ISO 7064 mod 97-10
 * checksum that IBANs and ISO 11649 creditor references share.
 */

/** Letters become two digits (A = 10 … Z = 35), digits stay; the input is upper-case alphanumeric. */
export function lettersToDigits(text: string): string {
	let out = '';
	for (const ch of text) {
		const code = ch.charCodeAt(0);
		out += code >= 65 && code <= 90 ? String(code - 55) : ch;
	}
	return out;
}

/** The remainder of a long decimal string divided by 97, computed piecewise so no precision is lost. */
export function mod97(digits: string): number {
	let remainder = 0;
	for (let i = 0; i < digits.length; i += 7) {
		remainder = Number(String(remainder) + digits.slice(i, i + 7)) % 97;
	}
	return remainder;
}

/** Removes spaces and upper-cases, as IBANs are printed in groups of four. */
export function compactIdentifier(text: string): string {
	return text.replace(/\s+/g, '').toUpperCase();
}

/**
 * True for an IBAN of a country in the SWIFT IBAN registry, with that country's length and account format and
 * right check digits ("DE89 3704 0044 0532 0130 00" yes; a German IBAN of 21 characters no). The registry is
 * ibantools', which follows the registry's releases.
 */
export function isValidIban(text: string): boolean {
	const iban = electronicFormatIBAN(text);
	return iban !== null && isValidIBAN(iban);
}

/** True for something shaped like a BIC: 4 letters bank, 2 letters country, 2 location, optional 3 branch. */
export function looksLikeBic(text: string): boolean {
	return /^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/.test(text.trim().toUpperCase());
}
