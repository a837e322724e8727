import { createHash } from 'node:crypto';

import { bigDecimal } from './openTrans';
import type { Address, BusinessDocument, OrderLine } from './types';

/**
 * Duplicate detection for documents that arrive more than once ("doppelt gesendete Aufträge werden ignoriert
 * bzw. erneuert"): `documentKey` says *which* document it is, `contentHash` whether its content changed.
 *
 * The hash is taken over the document's content, not over the file: XML formatting, prefixes, element order
 * within the schema's freedom, "10.0" vs "10", trailing blanks and the file's generation date do not
 * change it. What the importing site adds (`articleLinked`) is left out, so a re-import hashes the same.
 */

/** Which document this is, across sites: a site's number range is its own, so the site is part of the key. */
export function documentKey(doc: Pick<BusinessDocument, 'site' | 'type' | 'number'>): string {
	return [doc.site.trim(), doc.type, doc.number.trim()].map(encodeURIComponent).join('/');
}

/** A SHA-256 (hex) over the normalised content of the document. */
export function contentHash(doc: BusinessDocument): string {
	return createHash('sha256').update(canonicalJson(normalisedContent(doc)), 'utf8').digest('hex');
}

type Canonical = string | Canonical[] | { [key: string]: Canonical | undefined };

function normalisedContent(doc: BusinessDocument): Canonical {
	return {
		type: doc.type,
		number: textOf(doc.number),
		date: textOf(doc.date),
		site: textOf(doc.site),
		currency: textOf(doc.currency).toUpperCase(),
		customer: addressOf(doc.customer),
		delivery: doc.delivery ? addressOf(doc.delivery) : undefined,
		lines: doc.lines.map(lineOf),
		totals: {
			net: decimalOf(doc.totals.net),
			vat: decimalOf(doc.totals.vat),
			gross: decimalOf(doc.totals.gross),
		},
		remarks: textOf(doc.remarks),
	};
}

function addressOf(a: Address): Canonical {
	return {
		customerNumber: textOf(a.customerNumber),
		name: textOf(a.name),
		name2: textOf(a.name2),
		street: textOf(a.street),
		zip: textOf(a.zip),
		city: textOf(a.city),
		country: textOf(a.country),
		email: textOf(a.email).toLowerCase(),
		phone: textOf(a.phone),
	};
}

function lineOf(l: OrderLine): Canonical {
	return {
		lineNumber: textOf(l.lineNumber),
		articleNumber: textOf(l.articleNumber),
		description: textOf(l.description),
		quantity: decimalOf(l.quantity),
		unit: textOf(l.unit).toUpperCase() || 'C62',
		netPrice: decimalOf(l.netPrice),
		vatRate: decimalOf(l.vatRate),
		lineAmount: decimalOf(l.lineAmount),
	};
}

/** Unicode NFC, runs of white space as one blank, no blanks at the ends. */
function textOf(value: string | undefined): string {
	return (value ?? '').normalize('NFC').replace(/\s+/g, ' ').trim();
}

/** "10.0", "+10" and "10" are the same amount. */
function decimalOf(value: string | undefined): string {
	const text = textOf(value);
	if (!text) return '';
	try {
		return bigDecimal(text).toFixed();
	} catch {
		return text;
	}
}

/** JSON with sorted keys and without empty values, so that absent and empty hash alike. */
function canonicalJson(value: Canonical | undefined): string {
	if (value === undefined || value === '') return '';
	if (typeof value === 'string') return JSON.stringify(value);
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
	const entries = Object.keys(value)
		.sort()
		.map((k) => [k, canonicalJson(value[k])] as const)
		.filter(([, v]) => v !== '' && v !== '{}');
	return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}
