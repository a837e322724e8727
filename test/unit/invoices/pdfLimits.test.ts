import { checkInvoice, checkPrintable, renderInvoicePdf } from '../../../nodes/shared/documents/invoices';
import type { Invoice } from '../../../nodes/shared/documents/invoices';
import { documentErrorOf, keep, poppler } from './helpers';
import { line, sampleInvoice } from './sampleInvoices';

/**
 * What the invoice PDF cannot print is said before anything is sent, and what it prints stays inside its
 * place: characters its font lacks, 20-digit amounts, very long texts, a long address.
 */

interface Word {
	text: string;
	xMin: number;
	yMin: number;
	xMax: number;
	yMax: number;
	page: number;
}

/** Every word of the PDF with its box (pdftotext -bbox, points from the top left). */
function words(path: string): Word[] {
	const html = poppler('pdftotext', '-bbox', path, '-');
	const out: Word[] = [];
	html.split('<page ').slice(1).forEach((page, index) => {
		for (const m of page.matchAll(/xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</g)) {
			out.push({ xMin: Number(m[1]), yMin: Number(m[2]), xMax: Number(m[3]), yMax: Number(m[4]), text: m[5], page: index + 1 });
		}
	});
	return out;
}

/** Pairs of words whose boxes overlap by more than a hair: text printed over text. */
function overprints(all: Word[]): Array<[string, string]> {
	const found: Array<[string, string]> = [];
	for (let i = 0; i < all.length; i++) {
		for (let j = i + 1; j < all.length; j++) {
			const a = all[i];
			const b = all[j];
			if (a.page !== b.page) continue;
			const x = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
			const y = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
			if (x > 0.5 && y > 0.5) found.push([a.text, b.text]);
		}
	}
	return found;
}

const MM = 72 / 25.4;
const PAGE_RIGHT = 595.28 - 20 * MM;

describe('characters the font lacks', () => {
	it.each([
		['Chinese in a line', (i: Invoice) => (i.lines[0].description = 'Tee aus 中国'), 'lines[1].description', '中', 'U+4E2D'],
		['Japanese in the customer name', (i: Invoice) => (i.buyer.name = '株式会社 Müller'), 'buyer.name', '株', 'U+682A'],
		['an emoji in a note', (i: Invoice) => (i.notes = ['Danke! 🎉']), 'notes[1]', '🎉', 'U+1F389'],
	])('refuses %s before any PDF is made, naming field, character and code point', (_name, change, element, char, code) => {
		const invoice = sampleInvoice();
		change(invoice);
		const error = documentErrorOf(() => checkPrintable(checkInvoice(invoice)));
		expect(error.code).toBe('INVALID_VALUE');
		expect(error.position.element).toBe(element);
		expect(error.reason).toContain(`"${char}" (${code}) cannot be printed on the invoice PDF`);
	});

	it('passes Latin with diacritics, Greek, Cyrillic, Turkish and the euro sign', () => {
		const invoice = sampleInvoice({ notes: ['Ærø Ødegård Łódź Øresund – Ελλάδα – Москва – İstanbul Şişli – 5 €'] });
		expect(() => checkPrintable(checkInvoice(invoice))).not.toThrow();
	});
});

describe('figures and texts stay inside their place', () => {
	it('sets a 20-digit amount inside its columns and the totals, over nothing else, and every digit is there', async () => {
		const invoice = sampleInvoice({
			lines: [line('Großauftrag', '12345678901234567890', '98765432109876543210.99', '19'), line('Kleinteil', '1', '0.50', '7')],
		});
		const path = keep('invoice-20-digit-amounts.pdf', await renderInvoicePdf(invoice));
		const all = words(path);
		expect(overprints(all)).toEqual([]);
		expect(all.every((w) => w.xMax <= PAGE_RIGHT + 1)).toBe(true);
		// each figure whole inside its own column (quantity 101–116 mm, price 135–157 mm, amount 168–190 mm from
		// the left edge), however its lines were broken
		const column = (from: number, to: number) =>
			all
				.filter((w) => w.page === 1 && w.xMin >= from * MM - 1 && w.xMax <= to * MM + 1)
				.sort((a, b) => a.yMin - b.yMin || a.xMin - b.xMin)
				.map((w) => w.text)
				.join('')
				.replace(/\D/g, '');
		expect(column(101, 116)).toContain('12345678901234567890');
		expect(column(135, 157)).toContain('9876543210987654321099');
		// 12345678901234567890 × 98765432109876543210.99, rounded to cents
		expect(column(168, 190)).toContain('121932631137021795224968602322348574911110');
	});

	it('wraps a very long name and description within the page and the address window, printing over nothing', async () => {
		const long = 'Sehr-lange-Firmenbezeichnung '.repeat(6).trim();
		const invoice = sampleInvoice({
			buyer: { ...sampleInvoice().buyer, name: long, name2: 'Abteilung Rechnungseingang und Zahlungsverkehr Europa' },
			lines: [line(`${'Überlange Artikelbeschreibung ohne Leerzeichen'.replace(/ /g, '')} ${'x'.repeat(300)}`, '1', '5')],
		});
		const path = keep('invoice-long-texts.pdf', await renderInvoicePdf(invoice));
		const all = words(path);
		expect(overprints(all)).toEqual([]);
		expect(all.every((w) => w.xMin >= 0 && w.xMax <= PAGE_RIGHT + 1)).toBe(true);
		// the address stays in the window: 62.7 to 90 mm from the top, 80 mm wide from the left margin
		const addressWords = all.filter((w) => w.page === 1 && w.yMin > 61 * MM && w.yMax < 92 * MM && w.xMin < 106 * MM);
		expect(addressWords.some((w) => w.text.startsWith('Sehr-lange'))).toBe(true);
		expect(addressWords.every((w) => w.xMax <= 25 * MM + 80 * MM + 1)).toBe(true);
	});

	it('refuses an address the envelope window cannot hold even in small print, naming the field', () => {
		const invoice = sampleInvoice({ buyer: { ...sampleInvoice().buyer, name: 'Sehr lange Firmenbezeichnung mit Zusatz '.repeat(12) } });
		const error = documentErrorOf(() => checkPrintable(checkInvoice(invoice)));
		expect(error.position.element).toBe('buyer.name');
		expect(error.reason).toMatch(/more than the address window of the envelope holds/);
	});
});
