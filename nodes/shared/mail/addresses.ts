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
