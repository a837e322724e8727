import { contentHash, documentKey } from '../../../nodes/shared/documents/orders/contentHash';
import { linkArticles } from '../../../nodes/shared/documents/orders/linkArticles';
import { readOpenTrans } from '../../../nodes/shared/documents/orders/openTransReader';
import { writeOpenTrans } from '../../../nodes/shared/documents/orders/openTransWriter';
import type { BusinessDocument } from '../../../nodes/shared/documents/orders/types';
import { fixture, sampleOrder, sampleQuote, validateOpenTrans } from './sampleDocuments';

describe('writing and reading openTRANS again', () => {
	it('gives back the same order, delivery address, four lines and totals included', () => {
		const order = sampleOrder();
		expect(readOpenTrans(writeOpenTrans(order))).toEqual(order);
	});

	it('gives back the same quote for a new customer without customer number, delivery address or remarks', () => {
		const quote = sampleQuote();
		expect(readOpenTrans(writeOpenTrans(quote))).toEqual(quote);
	});

	it('keeps a description with line breaks and a long one over 150 characters', () => {
		const order = sampleOrder();
		order.lines[0].description = 'Sonderanfertigung ' + 'Edelstahlgeländer '.repeat(12).trim();
		order.lines[1].description = 'Zeile eins\nZeile zwei\n\nZeile vier';
		expect(readOpenTrans(writeOpenTrans(order)).lines.map((l) => l.description)).toEqual(
			order.lines.map((l) => l.description),
		);
	});

	it('passes a third-party order through unchanged in content, and the result validates', () => {
		const itscope = readOpenTrans(fixture('order-itscope.xml'));
		const rewritten = writeOpenTrans(itscope);
		expect(validateOpenTrans(rewritten).messages).toBe('- validates');
		expect(readOpenTrans(rewritten)).toEqual(itscope);
	});
});

describe('contentHash for duplicate detection', () => {
	it('is a SHA-256 in hex and the same for the document and for what a receiver reads from its file', () => {
		const order = sampleOrder();
		expect(contentHash(order)).toMatch(/^[0-9a-f]{64}$/);
		expect(contentHash(readOpenTrans(writeOpenTrans(order)))).toBe(contentHash(order));
	});

	it('does not change with XML formatting, namespace prefixes or the generation date', () => {
		const order = sampleOrder();
		const pretty = writeOpenTrans(order, { generatedAt: new Date('2025-03-14T08:00:00Z') }).toString('utf-8');
		const compact = writeOpenTrans(order, { generatedAt: new Date('2025-03-16T17:45:00Z') })
			.toString('utf-8')
			.replace(/>\s+</g, '><')
			.replace(/bmecat:/g, 'b:')
			.replace('xmlns:bmecat=', 'xmlns:b=');
		expect(compact).not.toBe(pretty);
		expect(contentHash(readOpenTrans(Buffer.from(compact)))).toBe(contentHash(readOpenTrans(Buffer.from(pretty))));
	});

	it('treats "10.0" and "10", and blanks around or inside texts, as the same content', () => {
		const a = sampleOrder();
		const b = sampleOrder();
		b.lines[0].quantity = '100.000';
		b.lines[0].lineAmount = '12';
		b.customer.name = '  Müller &  Söhne GmbH ';
		b.totals.net = '+223.680';
		expect(contentHash(b)).toBe(contentHash(a));
	});

	const changes: Array<[string, (d: BusinessDocument) => void]> = [
		['a quantity', (d) => (d.lines[0].quantity = '101')],
		['a price', (d) => (d.lines[1].netPrice = '1.06')],
		["the customer's street", (d) => (d.customer.street = 'Königstraße 14')],
		["a line's text", (d) => (d.lines[2].description = 'Montage vor Ort')],
		['the delivery address', (d) => delete d.delivery],
		['the order of the lines', (d) => d.lines.reverse()],
		['the remarks', (d) => (d.remarks = 'Lieferung jederzeit')],
		['a VAT rate', (d) => (d.lines[3].vatRate = '19')],
		['the document type', (d) => (d.type = 'quote')],
	];
	it.each(changes)('changes when %s changes', (_, change) => {
		const changed = sampleOrder();
		change(changed);
		expect(contentHash(changed)).not.toBe(contentHash(sampleOrder()));
	});

	it('ignores whether the receiving site linked the articles to its article master', () => {
		const linked = linkArticles(sampleOrder(), () => true);
		expect(contentHash(linked)).toBe(contentHash(sampleOrder()));
	});
});

describe('documentKey', () => {
	it('tells documents of different sites apart even when they carry the same number', () => {
		const home = sampleOrder();
		const branch = { ...sampleOrder(), site: 'branch-2' };
		expect(documentKey(home)).toBe('homeoffice-1/order/AU-2025-0042');
		expect(documentKey(branch)).not.toBe(documentKey(home));
		expect(documentKey({ ...home, type: 'quote' })).not.toBe(documentKey(home));
	});

	it('escapes a slash inside a number so that keys cannot collide', () => {
		const a = documentKey({ site: 'a/b', type: 'order', number: 'c' });
		const b = documentKey({ site: 'a', type: 'order', number: 'b/c' });
		expect(a).not.toBe(b);
	});
});

describe('linkArticles', () => {
	it("keeps a line whose article the target does not know, dropping only its link to the article master", () => {
		const known = new Set(['SCHR-M6x40', 'BUCH-1']);
		const linked = linkArticles(sampleOrder(), (n) => known.has(n));
		expect(linked.lines.map((l) => [l.articleNumber, l.articleLinked])).toEqual([
			['SCHR-M6x40', true],
			['KAB-NYM-3x1.5', false],
			[undefined, false],
			['BUCH-1', true],
		]);
		expect(linked.lines[1].description).toBe('Mantelleitung NYM-J 3×1,5 mm²');
	});
});
