/**
 * The units invoices of small and mid-sized businesses actually use, as UN/ECE Recommendation 20 codes (and
 * Recommendation 21 package codes with the X prefix EN 16931 asks for), with the label the PDF prints and the
 * spellings users type into their ERP or spreadsheet. Every code here is in the EN 16931 unit code list
 * (checked against the CEN schematron's code list), so a code this table returns never fails BR-CL-23.
 */

export type InvoiceLanguage = 'de' | 'en';

export interface UnitDefinition {
	code: string;
	de: string;
	en: string;
	/** lower-case spellings that mean this unit, without a trailing dot */
	aliases: readonly string[];
}

export const UNIT_CODES: readonly UnitDefinition[] = [
	// C62 ("one") before H87 ("piece"): German e-invoices use C62 for "Stück" far more often, so "Stk" maps there
	{ code: 'C62', de: 'Stück', en: 'pc', aliases: ['stk', 'stück', 'stueck', 'st', 'pcs', 'pc', 'piece', 'pieces', 'ea', 'each'] },
	{ code: 'H87', de: 'Stück', en: 'piece', aliases: [] },
	{ code: 'HUR', de: 'Stunde', en: 'hour', aliases: ['h', 'std', 'stunde', 'stunden', 'hour', 'hours', 'hr', 'hrs'] },
	{ code: 'MIN', de: 'Minute', en: 'minute', aliases: ['min', 'minute', 'minuten', 'minutes'] },
	{ code: 'DAY', de: 'Tag', en: 'day', aliases: ['tag', 'tage', 'day', 'days', 'd'] },
	{ code: 'WEE', de: 'Woche', en: 'week', aliases: ['woche', 'wochen', 'week', 'weeks', 'wo'] },
	{ code: 'MON', de: 'Monat', en: 'month', aliases: ['monat', 'monate', 'month', 'months', 'mon'] },
	{ code: 'ANN', de: 'Jahr', en: 'year', aliases: ['jahr', 'jahre', 'year', 'years'] },
	{ code: 'KGM', de: 'kg', en: 'kg', aliases: ['kg', 'kilogramm', 'kilogram', 'kilo'] },
	{ code: 'GRM', de: 'g', en: 'g', aliases: ['g', 'gramm', 'gram', 'gr'] },
	{ code: 'TNE', de: 't', en: 't', aliases: ['t', 'tonne', 'tonnen', 'tonnes'] },
	{ code: 'MTR', de: 'm', en: 'm', aliases: ['m', 'meter', 'metre', 'meters', 'metres', 'lfm'] },
	{ code: 'CMT', de: 'cm', en: 'cm', aliases: ['cm', 'zentimeter', 'centimetre'] },
	{ code: 'MMT', de: 'mm', en: 'mm', aliases: ['mm', 'millimeter', 'millimetre'] },
	{ code: 'KMT', de: 'km', en: 'km', aliases: ['km', 'kilometer', 'kilometre'] },
	{ code: 'MTK', de: 'm²', en: 'm²', aliases: ['m²', 'm2', 'qm', 'quadratmeter', 'sqm'] },
	{ code: 'MTQ', de: 'm³', en: 'm³', aliases: ['m³', 'm3', 'cbm', 'kubikmeter'] },
	{ code: 'LTR', de: 'l', en: 'l', aliases: ['l', 'ltr', 'liter', 'litre', 'liters', 'litres'] },
	{ code: 'MLT', de: 'ml', en: 'ml', aliases: ['ml', 'milliliter', 'millilitre'] },
	{ code: 'KWH', de: 'kWh', en: 'kWh', aliases: ['kwh'] },
	{ code: 'SET', de: 'Satz', en: 'set', aliases: ['satz', 'set', 'sets'] },
	{ code: 'PR', de: 'Paar', en: 'pair', aliases: ['paar', 'pair', 'pairs'] },
	{ code: 'DZN', de: 'Dutzend', en: 'dozen', aliases: ['dutzend', 'dozen', 'dz'] },
	{ code: 'LS', de: 'Pauschale', en: 'lump sum', aliases: ['pauschale', 'pauschal', 'psch', 'pausch', 'lump sum', 'flat rate'] },
	{ code: 'E48', de: 'Leistung', en: 'service', aliases: ['leistung', 'leistungseinheit', 'service', 'service unit'] },
	{ code: 'P1', de: '%', en: '%', aliases: ['%', 'prozent', 'percent'] },
	{ code: 'XPK', de: 'Paket', en: 'package', aliases: ['paket', 'pakete', 'package', 'packages', 'pkg'] },
	{ code: 'XPA', de: 'Päckchen', en: 'packet', aliases: ['päckchen', 'packet', 'packets'] },
	{ code: 'XCT', de: 'Karton', en: 'carton', aliases: ['karton', 'kartons', 'carton', 'cartons', 'ktn', 'krt'] },
	{ code: 'XBX', de: 'Kiste', en: 'box', aliases: ['kiste', 'kisten', 'box', 'boxes', 'schachtel'] },
	{ code: 'XPX', de: 'Palette', en: 'pallet', aliases: ['palette', 'paletten', 'pallet', 'pallets', 'pal'] },
	{ code: 'XRO', de: 'Rolle', en: 'roll', aliases: ['rolle', 'rollen', 'roll', 'rolls'] },
	{ code: 'XSA', de: 'Sack', en: 'sack', aliases: ['sack', 'säcke', 'sacks'] },
	{ code: 'XBE', de: 'Bund', en: 'bundle', aliases: ['bund', 'bündel', 'bundle', 'bundles'] },
];

const BY_CODE = new Map(UNIT_CODES.map((u) => [u.code, u]));
const BY_ALIAS = new Map<string, UnitDefinition>();
for (const unit of UNIT_CODES) {
	for (const spelling of [...unit.aliases, unit.de.toLowerCase(), unit.en.toLowerCase()]) {
		// the first unit to claim a spelling keeps it ("stück" is C62, not H87)
		if (!BY_ALIAS.has(spelling)) BY_ALIAS.set(spelling, unit);
	}
}

/**
 * Returns the unit code for a code or a label as users write it — "C62", "kgm", "Stk.", "Std", "pcs", "m²",
 * "Pauschale" — or undefined for text it does not know. A code outside this table's small selection is
 * returned unchanged when it is written as one (two or three upper-case letters or digits: "NIU", "XBA"),
 * because Rec. 20 has some 2,000 codes; whether EN 16931 accepts it is for the e-invoice check to say.
 */
export function unitCodeFor(input: string): string | undefined {
	const text = input.trim().replace(/\s+/g, ' ');
	if (text === '') return undefined;
	const known = BY_CODE.get(text.toUpperCase());
	if (known) return known.code;
	// a label is checked before a raw code so that "ST" (Stück to a German user, "sheet" in Rec. 20) means Stück
	const alias = BY_ALIAS.get(text.toLowerCase().replace(/\.$/, ''));
	if (alias) return alias.code;
	if (/^[A-Z0-9]{2,3}$/.test(text)) return text;
	return undefined;
}

/** The label the invoice prints for a unit code; an unknown code (or text) is printed as it is. */
export function unitLabel(code: string, language: InvoiceLanguage = 'de'): string {
	const unit = BY_CODE.get(code.trim().toUpperCase()) ?? BY_ALIAS.get(code.trim().toLowerCase().replace(/\.$/, ''));
	return unit ? unit[language] : code.trim();
}
