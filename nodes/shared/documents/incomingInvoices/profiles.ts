import type { EInvoiceProfile } from './types';

/**
 * The profile a document declares in its specification identifier (BT-24), and what that means in Germany.
 * Factur-X / ZUGFeRD 2.x write the profile into the identifier (`…:factur-x.eu:1p0:basic`), XRechnung its
 * version (`…:xrechnung_3.0`), ZUGFeRD 1.0 its own URN. Separators vary between writers (`#` or `:`), so the
 * identifier is matched by its distinctive tail.
 */
export function profileOf(specification: string | undefined): EInvoiceProfile {
	const id = (specification ?? '').trim().toLowerCase();
	if (id === '') return 'unknown';
	const ferd = /^urn:ferd:crossindustrydocument:invoice:1p0:(basic|comfort|extended)$/.exec(id);
	if (ferd) return `ZUGFeRD 1.0 ${ferd[1].toUpperCase()}` as EInvoiceProfile;
	// Factur-X 1.0 / ZUGFeRD 2.1 and later write factur-x.eu:1p0; ZUGFeRD 2.0 wrote zugferd.de:2p0
	const profile = /(?:factur-x\.eu:1p0|zugferd\.de:2p0):(minimum|basicwl|basic|extended)$/.exec(id);
	if (profile) return ({ minimum: 'MINIMUM', basicwl: 'BASIC WL', basic: 'BASIC', extended: 'EXTENDED' } as const)[profile[1] as 'minimum'];
	if (/xrechnung/.test(id)) return 'XRECHNUNG';
	if (id.startsWith('urn:cen.eu:en16931:2017')) return 'EN 16931';
	return 'unknown';
}

/** MINIMUM and BASIC WL carry no invoice lines: they are booking aids, not invoices. */
export function hasLines(profile: EInvoiceProfile): boolean {
	return profile !== 'MINIMUM' && profile !== 'BASIC WL';
}

/**
 * Why the document is no e-invoice under §14 UStG, or undefined when it may be one. The BMF letter of
 * 15 October 2024 on mandatory e-invoicing accepts ZUGFeRD from version 2.0.1 in every profile but MINIMUM and
 * BASIC WL, which lack what §14 Abs. 4 UStG requires (lines, quantities).
 */
export function notAnInvoiceInGermany(profile: EInvoiceProfile): string | undefined {
	if (profile === 'MINIMUM' || profile === 'BASIC WL') {
		return `profile ${profile} carries no invoice lines: not an invoice under German law (§14 Abs. 4 UStG; BMF letter of 15 October 2024) — ask the supplier for profile EN 16931 or XRechnung`;
	}
	if (profile.startsWith('ZUGFeRD 1.0')) {
		return `${profile} predates EN 16931: not an e-invoice under German law since 2025 (§14 Abs. 1 UStG; the BMF letter of 15 October 2024 accepts ZUGFeRD from version 2.0.1)`;
	}
	return undefined;
}

/**
 * UNTDID 1001 codes EN 16931 lets an invoice have that are credit notes: 381 credit note, 261 self-billed
 * credit note, 262 consolidated credit note, 296 credit note for price variation, 308 delcredere credit note,
 * 396 factored credit note, 420 optical character reading credit transfer, 458 reversal of debit, 532
 * forwarder's credit note, 81 and 83 credit notes related to goods / financial adjustments.
 */
const CREDIT_NOTE_CODES = new Set(['81', '83', '261', '262', '296', '308', '381', '396', '420', '458', '532']);

export function isCreditNoteCode(code: string | undefined): boolean {
	return code !== undefined && CREDIT_NOTE_CODES.has(code.trim());
}
