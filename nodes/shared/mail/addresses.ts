/**
 * Recipients and header values from business data (customer names, subjects) must not be able to add
 * headers or recipients: CR/LF and other control characters are removed, addresses are checked.
 */
const ADDRESS =
	/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** A single header value: control characters (CR, LF, TAB, NUL…) become spaces, runs of spaces collapse. */
export function headerSafe(value: string): string {
	return (
		value
			// eslint-disable-next-line no-control-regex -- removing control characters is the point
			.replace(/[\u0000-\u001f\u007f]+/g, ' ')
			.replace(/\s{2,}/g, ' ')
			.trim()
	);
}

/** Whether `address` is one plain mailbox address (no display name, no list, no control characters). */
export function isValidMailAddress(address: string): boolean {
	if (address.length > 254 || /[\s,;<>"]/.test(address)) return false;
	const at = address.lastIndexOf('@');
	if (at < 1 || at > 64) return false;
	return ADDRESS.test(address);
}

export interface RecipientList {
	/** the valid addresses, in the order given, each once (compared case-insensitively) */
	addresses: string[];
	/** the entries that are not one plain address, as given (trimmed) */
	invalid: string[];
}

/**
 * Reads the recipient field of a customer record. ERP and spreadsheet exports often hold several addresses in
 * one field ("rechnung@kunde.de; buchhaltung@kunde.de") or a display form ("Kunde GmbH <rechnung@kunde.de>"),
 * so the value is split at commas and semicolons and a display name is dropped; every entry must then be one
 * plain address. A list (array) is read entry by entry the same way.
 */
export function parseRecipients(value: unknown): RecipientList {
	const entries = (Array.isArray(value) ? value : [value])
		.filter((v) => v !== undefined && v !== null)
		.flatMap((v) => String(v).split(/[,;]/))
		.map((v) => v.trim())
		.filter((v) => v !== '');
	const addresses: string[] = [];
	const invalid: string[] = [];
	const seen = new Set<string>();
	for (const entry of entries) {
		// "Name <address>": the name comes from the customer record, not from here
		const address = /^[^<>]*<([^<>]+)>$/.exec(entry)?.[1].trim() ?? entry;
		if (!isValidMailAddress(address)) {
			invalid.push(entry);
			continue;
		}
		if (seen.has(address.toLowerCase())) continue;
		seen.add(address.toLowerCase());
		addresses.push(address);
	}
	return { addresses, invalid };
}
