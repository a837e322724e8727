import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { BusinessDocument } from '../../../nodes/shared/documents/orders/types';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'opentrans');
export const OPENTRANS_XSD = join(FIXTURES, 'opentrans_2_1.xsd');

export function fixture(name: string): Buffer {
	return readFileSync(join(FIXTURES, name));
}

/**
 * Validates XML against the official openTRANS 2.1 schema with libxml2's xmllint (no network: the schemas it
 * imports lie beside it). Returns xmllint's verdict, e.g. "- validates" or the errors it found.
 */
export function validateOpenTrans(xml: Buffer): { valid: boolean; messages: string } {
	const result = spawnSync('xmllint', ['--nonet', '--noout', '--schema', OPENTRANS_XSD, '-'], {
		input: xml,
		encoding: 'utf-8',
	});
	if (result.error) throw result.error;
	return { valid: result.status === 0, messages: result.stderr.trim() };
}

/** An order of a craftsman's business: umlauts, "&", "<" and quotes in the texts, four lines, two VAT rates. */
export function sampleOrder(): BusinessDocument {
	return {
		type: 'order',
		number: 'AU-2025-0042',
		date: '2025-03-14',
		site: 'homeoffice-1',
		currency: 'EUR',
		customer: {
			customerNumber: '10042',
			name: 'Müller & Söhne GmbH',
			name2: 'z. Hd. Frau Weiß',
			street: 'Königstraße 12a',
			zip: '70173',
			city: 'Stuttgart',
			country: 'DE',
			email: 'einkauf@mueller-soehne.de',
			phone: '+49 711 123456',
		},
		delivery: {
			customerNumber: '10042',
			name: 'Baustelle <Nord> & Lager',
			street: 'Am Hafen 3',
			zip: '20457',
			city: 'Hamburg',
			country: 'DE',
		},
		lines: [
			{
				lineNumber: '1',
				articleNumber: 'SCHR-M6x40',
				description: 'Sechskantschraube M6×40 <verzinkt> & gehärtet',
				quantity: '100',
				unit: 'C62',
				netPrice: '0.12',
				vatRate: '19',
				lineAmount: '12.00',
			},
			{
				lineNumber: '2',
				articleNumber: 'KAB-NYM-3x1.5',
				description: 'Mantelleitung NYM-J 3×1,5 mm²',
				quantity: '25.5',
				unit: 'MTR',
				netPrice: '1.05',
				vatRate: '19',
				lineAmount: '26.78',
			},
			{
				lineNumber: '3',
				description: 'Montage vor Ort\n(2 Monteure, Anfahrt inklusive)',
				quantity: '2.5',
				unit: 'HUR',
				netPrice: '58.00',
				vatRate: '19',
				lineAmount: '145.00',
			},
			{
				lineNumber: '4',
				articleNumber: 'BUCH-1',
				description: 'Fachbuch "Elektroinstallation" für Einsteiger',
				quantity: '1',
				unit: 'C62',
				netPrice: '39.90',
				vatRate: '7',
				lineAmount: '39.90',
			},
		],
		totals: { net: '223.68', vat: '37.71', gross: '261.39' },
		remarks: 'Lieferung nur werktags < 16 Uhr & bitte vorher anrufen',
	};
}

/** A quote written in the home office for a new customer: no customer number, no delivery address. */
export function sampleQuote(): BusinessDocument {
	return {
		type: 'quote',
		number: 'AN-7-0815',
		date: '2025-03-15T09:30:00+01:00',
		site: 'homeoffice-7',
		currency: 'EUR',
		customer: {
			name: 'Jörg Weiß',
			street: 'Äußere Sulzbacher Str. 5',
			zip: '90491',
			city: 'Nürnberg',
		},
		lines: [
			{
				lineNumber: '1',
				articleNumber: 'HZ-THERM-01',
				description: 'Heizkörperthermostat „Öko“ <smart> & leise',
				quantity: '6',
				unit: 'C62',
				netPrice: '34.50',
				vatRate: '19',
				lineAmount: '207.00',
			},
			{
				lineNumber: '2',
				description: 'Hydraulischer Abgleich',
				quantity: '1',
				unit: 'C62',
				netPrice: '180.00',
				vatRate: '19',
				lineAmount: '180.00',
			},
		],
		totals: { net: '387.00', vat: '73.53', gross: '460.53' },
	};
}
