import { spawnSync } from 'node:child_process';
import { crc32, deflateSync } from 'node:zlib';

import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import { invoicePdfMetadata, renderInvoicePdf } from '../../../nodes/shared/documents/invoices';
import type { Invoice } from '../../../nodes/shared/documents/invoices';
import { keep, pdfPages, poppler } from './helpers';
import { line, longInvoice, sampleInvoice } from './sampleInvoices';

/** Collapses runs of white space, so that text can be compared regardless of the columns -layout keeps. */
function flat(text: string): string {
	return text.replace(/\s+/g, ' ');
}

/** A small opaque PNG (a dark square with a light bar), built by hand so that the test needs no image file. */
function pngLogo(width = 120, height = 40): Uint8Array {
	const chunk = (type: string, data: Buffer): Buffer => {
		const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
		const length = Buffer.alloc(4);
		length.writeUInt32BE(data.length);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(crc32(body));
		return Buffer.concat([length, body, crc]);
	};
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header.set([8, 2, 0, 0, 0], 8); // 8 bit RGB, no interlace
	const rows: number[] = [];
	for (let y = 0; y < height; y++) {
		rows.push(0);
		for (let x = 0; x < width; x++) rows.push(...(y > 15 && y < 25 ? [230, 180, 60] : [40, 60, 90]));
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', header),
		chunk('IDAT', deflateSync(Buffer.from(rows))),
		chunk('IEND', Buffer.alloc(0)),
	]);
}

describe('renderInvoicePdf', () => {
	let samplePath: string;
	let sampleText: string;

	beforeAll(async () => {
		samplePath = keep('invoice-de.pdf', await renderInvoicePdf(sampleInvoice()));
		sampleText = pdfPages(samplePath).join('\f');
	});

	it('shows title, number, dates, customer number and the buyer with umlauts and ß in the extracted text', () => {
		expect(sampleText).toContain('Rechnung Nr. RE-2025-0042');
		expect(sampleText).toMatch(/Rechnungsnummer\s+RE-2025-0042/);
		expect(sampleText).toMatch(/Rechnungsdatum\s+14\.03\.2025/);
		expect(sampleText).toMatch(/Lieferdatum\s+12\.03\.2025/);
		expect(sampleText).toMatch(/Fällig am\s+28\.03\.2025/);
		expect(sampleText).toMatch(/Kundennummer\s+K-10023/);
		expect(sampleText).toContain('Jürgen Müßig GmbH');
		expect(sampleText).toContain('z. Hd. Frau Özdemir');
		expect(sampleText).toContain('80331 München');
		expect(sampleText).toContain('Bäckerei Weiß & Söhne GmbH · Hauptstraße 5 · 50667 Köln');
	});

	it('shows every line with description, quantity, unit, unit price, rate and amount', () => {
		expect(flat(sampleText)).toContain('Größenänderung Festtagstorte,');
		expect(flat(sampleText)).toContain('dreistöckig mit Marzipanüberzug');
		expect(flat(sampleText)).toMatch(/1 Größenänderung Festtagstorte, 1 Stück 89,50 7 ?% 89,50/);
		expect(flat(sampleText)).toMatch(/2 Lieferung und Aufbau vor Ort 2,5 Stunde 48,00 19 % 120,00/);
		expect(flat(sampleText)).toMatch(/3 Geschirrverleih \(Teller, Gabeln, Tassen\) 40 Stück 0,85 19 % 34,00/);
		const raw = flat(poppler('pdftotext', '-raw', samplePath, '-'));
		for (const { description } of sampleInvoice().lines) expect(raw).toContain(description);
	});

	it('shows net per rate, VAT per rate and the gross total with €', () => {
		const text = flat(sampleText);
		expect(text).toContain('Summe netto 243,50 €');
		expect(text).toContain('zzgl. 19 % USt. auf 154,00 € 29,26 €');
		expect(text).toContain('zzgl. 7 % USt. auf 89,50 € 6,27 €');
		expect(text).toContain('Gesamtbetrag 279,03 €');
	});

	it('shows payment terms, bank details and, in the footer, VAT ID, tax number and register entry', () => {
		const text = flat(sampleText);
		expect(text).toContain('Zahlbar innerhalb von 14 Tagen ohne Abzug.');
		expect(text).toContain('Bankverbindung: Commerzbank Köln · IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX');
		expect(text).toContain('USt-IdNr. DE123456789');
		expect(text).toContain('Steuernummer 214/5702/0815');
		expect(text).toContain('Amtsgericht Köln HRB 12345');
		expect(text).toContain('Seite 1 von 1');
	});

	it('embeds every font, as DejaVu Sans subsets', () => {
		const rows = poppler('pdffonts', samplePath).trim().split('\n').slice(2);
		expect(rows).toHaveLength(2);
		for (const row of rows) {
			const [name, , , , emb, sub, uni] = row.trim().split(/\s+/);
			expect(name).toMatch(/^[A-Z]{6}\+DejaVuSans(-Bold)?$/);
			expect([emb, sub, uni]).toEqual(['yes', 'yes', 'yes']);
		}
	});

	it('passes qpdf --check', () => {
		const check = spawnSync('qpdf', ['--check', samplePath], { encoding: 'utf8' });
		expect(check.stderr).toBe('');
		expect(check.status).toBe(0);
	});

	it('writes title, author and the invoice date as creation date into the document information', () => {
		const info = poppler('pdfinfo', '-isodates', samplePath);
		expect(info).toMatch(/Title:\s+Rechnung RE-2025-0042/);
		expect(info).toMatch(/Author:\s+Bäckerei Weiß & Söhne GmbH/);
		expect(info).toMatch(/CreationDate:\s+2025-03-14T00:00:00Z/);
		expect(info).toMatch(/ModDate:\s+2025-03-14T00:00:00Z/);
		expect(info).toMatch(/Page size:\s+595\.28 x 841\.89 pts \(A4\)/);
		expect(invoicePdfMetadata(sampleInvoice()).creationDate.toISOString()).toBe('2025-03-14T00:00:00.000Z');
	});

	it('gives byte-identical output for the same input, whatever the order of its keys', async () => {
		const first = await renderInvoicePdf(sampleInvoice());
		const second = await renderInvoicePdf(sampleInvoice());
		expect(Buffer.compare(Buffer.from(first), Buffer.from(second))).toBe(0);
		const reordered = Object.fromEntries(Object.entries(sampleInvoice()).reverse()) as unknown as Invoice;
		expect(Buffer.from(await renderInvoicePdf(reordered)).equals(Buffer.from(first))).toBe(true);
		const changed = await renderInvoicePdf(sampleInvoice({ number: 'RE-2025-0043' }));
		expect(Buffer.from(changed).equals(Buffer.from(first))).toBe(false);
	});

	it('puts a 120-line invoice on several pages, each with the table header and "Seite n von m"', async () => {
		const invoice = longInvoice(120);
		const path = keep('invoice-120-lines.pdf', await renderInvoicePdf(invoice));
		const pages = pdfPages(path);
		expect(pages.length).toBeGreaterThan(2);
		expect(poppler('pdfinfo', path)).toMatch(new RegExp(`Pages:\\s+${pages.length}\\n`));
		pages.forEach((page, i) => {
			expect(page).toMatch(/Pos\.\s+Beschreibung\s+Menge\s+Einheit\s+Einzelpreis €\s+USt\.\s+Gesamt €/);
			expect(page).toContain(`Seite ${i + 1} von ${pages.length}`);
		});
		// every line exactly once, in order, none lost at a page break
		const all = pages.join('\n');
		const numbers = [...all.matchAll(/Artikel (\d+):/g)].map((m) => Number(m[1]));
		expect(numbers).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
		// the totals come once, at the end
		expect(pages.filter((page) => page.includes('Gesamtbetrag'))).toHaveLength(1);
		expect(pages[pages.length - 1]).toContain('Gesamtbetrag');
		// the running net total carried from each page to the next
		for (let i = 1; i < pages.length; i++) {
			const carriedOut = [...pages[i - 1].matchAll(/Übertrag\s+([\d.,]+)/g)].pop()?.[1];
			const carriedIn = /Übertrag\s+([\d.,]+)/.exec(pages[i])?.[1];
			expect(carriedIn).toBeDefined();
			expect(carriedIn).toBe(carriedOut);
		}
	});

	it('wraps a long description inside its column and cuts a word longer than the column', async () => {
		const description =
			'Sonderanfertigung: Hochzeitstorte fünfstöckig mit Blattgold, essbaren Blüten, Marzipanfiguren des Brautpaars, ' +
			'Schriftzug nach Kundenwunsch und Kühltransport ' +
			'Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaftsfestbuffet';
		const path = keep('invoice-wrapped.pdf', await renderInvoicePdf(sampleInvoice({ lines: [line(description, '1', '1250', '7')] })));
		const words = [...poppler('pdftotext', '-bbox', path, '-').matchAll(/xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</g)];
		const descriptionWords = words.filter(([, , yMin, , word]) => Number(yMin) > 300 && description.includes(word) && word.length > 3);
		expect(new Set(descriptionWords.map(([, , yMin]) => yMin)).size).toBeGreaterThanOrEqual(4);
		// the description column ends 101 mm from the left edge (25 mm margin + 10 mm Pos. + 66 mm)
		for (const [, , , xMax] of descriptionWords) expect(Number(xMax)).toBeLessThan((101 * 72) / 25.4);
		expect(flat(poppler('pdftotext', '-raw', path, '-')).replace(/ /g, '')).toContain(description.replace(/ /g, ''));
	});

	it('continues a description longer than a page on the next page instead of losing it', async () => {
		const description = Array.from({ length: 90 }, (_, i) => `Leistungsnachweis Zeile ${i + 1}: Backstube gereinigt`).join('\n');
		const invoice = sampleInvoice({ lines: [line('Vorab', '1', '10'), line(description, '1', '500'), line('Danach', '2', '5')] });
		const pages = pdfPages(keep('invoice-long-row.pdf', await renderInvoicePdf(invoice)));
		expect(pages.length).toBeGreaterThanOrEqual(2);
		const numbers = [...pages.join('\n').matchAll(/Leistungsnachweis Zeile (\d+):/g)].map((m) => Number(m[1]));
		expect(numbers).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
		expect(pages[pages.length - 1]).toContain('Danach');
		// the long line's amount is carried from the page its figures are on
		expect(pages[0]).toMatch(/Übertrag\s+510,00/);
		expect(flat(pages.join(' '))).toContain('Gesamtbetrag 618,80 €');
	});

	it('starts a row too tall for the room under the first page head on that page rather than leave the table empty', async () => {
		const description = Array.from({ length: 45 }, (_, i) => `Arbeitsschritt ${i + 1}`).join('\n');
		const pages = pdfPages(keep('invoice-tall-first-row.pdf', await renderInvoicePdf(sampleInvoice({ lines: [line(description, '1', '900')] }))));
		expect(pages.length).toBe(2);
		expect(pages[0]).toMatch(/1\s+Arbeitsschritt 1\s+1\s+Stück\s+900,00/);
		expect(pages[0]).toMatch(/Übertrag\s+900,00/);
		expect(pages[1]).toContain('Arbeitsschritt 45');
	});

	it('renders invoices concurrently with the same bytes as one at a time', async () => {
		const invoices = [sampleInvoice(), longInvoice(40), sampleInvoice({ number: 'RE-2025-0044' }), longInvoice(25)];
		const together = await Promise.all(invoices.map((invoice) => renderInvoicePdf(invoice)));
		for (const [i, invoice] of invoices.entries()) {
			expect(Buffer.from(await renderInvoicePdf(invoice)).equals(Buffer.from(together[i]))).toBe(true);
		}
	});

	it('prints the label of a unit given as a code or as users write it', async () => {
		const invoice = sampleInvoice({ lines: [line('Montage', '3', '60', '19', 'Std.'), line('Kabel', '12.5', '2.10', '19', 'MTR'), line('Anfahrt', '1', '35', '19', 'LS')] });
		const text = flat(pdfPages(keep('invoice-units.pdf', await renderInvoicePdf(invoice))).join(' '));
		expect(text).toContain('Montage 3 Stunde 60,00');
		expect(text).toContain('Kabel 12,5 m 2,10');
		expect(text).toContain('Anfahrt 1 Pauschale 35,00');
	});

	it('titles a credit note "Gutschrift" and names the invoice it corrects', async () => {
		const invoice = sampleInvoice({ type: 'creditNote', number: 'GS-2025-0007', precedingInvoice: { number: 'RE-2025-0042', issueDate: '2025-03-14' } });
		const text = flat(pdfPages(keep('credit-note-de.pdf', await renderInvoicePdf(invoice))).join(' '));
		expect(text).toContain('Gutschrift Nr. GS-2025-0007');
		expect(text).toContain('zu Rechnung Nr. RE-2025-0042 vom 14.03.2025');
		expect(text).toContain('Gutschriftsbetrag 279,03 €');
		expect(invoicePdfMetadata(invoice).title).toBe('Gutschrift GS-2025-0007');
	});

	it('prints a reverse-charge invoice abroad in English with the country, both VAT IDs and the reason', async () => {
		const invoice = sampleInvoice({
			servicePeriod: { from: '2025-03-01', to: '2025-03-31' },
			deliveryDate: undefined,
			paymentTerms: undefined,
			buyer: { name: 'Société Générale de Boulangerie SARL', street: '12 rue de la Paix', zip: '75002', city: 'Paris', country: 'FR', vatId: 'FR40303265045' },
			lines: [{ ...line('Consulting: shop refit', '6', '120', '0', 'HUR'), vatCategory: 'AE' }],
		});
		const text = flat(pdfPages(keep('reverse-charge-en.pdf', await renderInvoicePdf(invoice, { language: 'en' }))).join(' '));
		expect(text).toContain('Invoice No. RE-2025-0042');
		expect(text).toContain('1 March 2025 – 31 March 2025');
		expect(text).toContain('FRANCE');
		expect(text).toContain('Your VAT ID FR40303265045');
		expect(text).toContain('0 % VAT (reverse charge) on €720.00 €0.00');
		expect(text).toContain('Total €720.00');
		expect(text).toContain('Note: Reverse charge: VAT to be accounted for by the recipient');
		expect(text).toContain('Please transfer €720.00 by 28 March 2025');
		expect(text).toContain('Page 1 of 1');
	});

	it('draws a PNG logo and refuses a logo that is no image', async () => {
		const path = keep('invoice-logo.pdf', await renderInvoicePdf(sampleInvoice(), { logo: pngLogo() }));
		const images = spawnSync('pdfimages', ['-list', path], { encoding: 'utf8' }).stdout.trim().split('\n').slice(2);
		expect(images).toHaveLength(1);
		expect(images[0]).toMatch(/\s120\s+40\s+rgb/);
		await expect(renderInvoicePdf(sampleInvoice(), { logo: new Uint8Array([1, 2, 3]) })).rejects.toMatchObject({
			code: 'INVALID_VALUE',
			position: { element: 'logo' },
		});
		await expect(renderInvoicePdf(sampleInvoice(), { logo: new Uint8Array([1, 2, 3]) })).rejects.toBeInstanceOf(DocumentError);
	});

	it('draws a small JPEG logo that is a view into Node’s shared buffer pool, as n8n hands binary data over', async () => {
		// the header of a 16 × 16 RGB baseline JPEG: all pdf-lib reads before embedding a JPEG as it is
		const header = [0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00, 0xff, 0xd9];
		const pooled = Buffer.from(Buffer.from(header).toString('base64'), 'base64');
		expect(pooled.byteOffset !== 0 || pooled.buffer.byteLength !== pooled.byteLength).toBe(true);
		const path = keep('invoice-logo-jpeg.pdf', await renderInvoicePdf(sampleInvoice(), { logo: pooled }));
		const images = spawnSync('pdfimages', ['-list', path], { encoding: 'utf8' }).stdout.trim().split('\n').slice(2);
		expect(images).toHaveLength(1);
		expect(images[0]).toMatch(/\s16\s+16\s+rgb\s.*\sjpeg\s/);
	});

	it('prints a character the font lacks as "?" and drops control characters instead of failing', async () => {
		const invoice = sampleInvoice({ lines: [line('Tee\u0007 aus 中国, Ku\u0308hlung', '1', '5')] });
		const text = flat(pdfPages(keep('invoice-odd-characters.pdf', await renderInvoicePdf(invoice))).join(' '));
		expect(text).toContain('Tee aus ??, Kühlung');
	});
});
