import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PDFDocument } from 'pdf-lib';
import { HEADER_FILL, INK, MUTED, PAGE_HEIGHT, PAGE_WIDTH, PageCanvas, RULE, embedFonts } from '../../../nodes/shared/documents/invoices/pdfText';
import type { Fonts } from '../../../nodes/shared/documents/invoices/pdfText';
import { TMP, keep, pdfPages } from './helpers';

const TEXTS = ['Rechnung Nr. RE-2025-0042', 'Łukasz Wiśniewski · Köln', 'Gesamtbetrag 1.234,56 €', '„Skonto“ – 2 % bis 28.03.2025'];

/** One page drawn by pdf-lib's own operators, one by PageCanvas: the same text, rules, fill and positions. */
async function bothWays(draw: (fonts: Fonts) => Array<{ text: string; x: number; y: number; bold: boolean; size: number }>): Promise<Uint8Array> {
	const doc = await PDFDocument.create();
	const fonts = await embedFonts(doc, 'ABCDEFGHIJKL', TEXTS.join(''));
	const items = draw(fonts);
	const byPdfLib = doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
	byPdfLib.drawRectangle({ x: 70.866, y: 600.5, width: 453.54, height: 14.17, color: HEADER_FILL });
	for (const item of items) byPdfLib.drawText(item.text, { x: item.x, y: item.y, size: item.size, font: (item.bold ? fonts.bold : fonts.regular).pdf, color: item.bold ? INK : MUTED });
	byPdfLib.drawLine({ start: { x: 70.866, y: 400.25 }, end: { x: 524.41, y: 400.25 }, thickness: 0.5, color: RULE });
	const canvas = new PageCanvas(doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]));
	canvas.rectangle(70.866, 600.5, 453.54, 14.17, HEADER_FILL);
	for (const item of items) canvas.text(item.text, item.x, item.y, (item.bold ? fonts.bold : fonts.regular).pdf, item.size, item.bold ? INK : MUTED);
	canvas.line(70.866, 400.25, 524.41, 400.25, 0.5, RULE);
	canvas.finish();
	return await doc.save({ useObjectStreams: false });
}

/** A page as 8-bit grey pixels at 100 dpi (poppler's pdftoppm). */
function pixels(path: string, page: number): Buffer {
	const out = `${TMP}/canvas-${page}`;
	const result = spawnSync('pdftoppm', ['-r', '100', '-gray', '-f', String(page), '-l', String(page), '-singlefile', path, out]);
	if (result.status !== 0) throw new Error(`pdftoppm failed: ${String(result.stderr)}`);
	const pgm = readFileSync(`${out}.pgm`);
	// header: P5, width, height, maxval, each followed by one whitespace character
	let fields = 0;
	let at = 0;
	while (fields < 4) if (/\s/.test(String.fromCharCode(pgm[at++]))) fields++;
	return pgm.subarray(at);
}

describe('PageCanvas: a page written as PDF operators', () => {
	it('looks like the same page drawn by pdf-lib, and its text reads the same', async () => {
		const path = keep(
			'page-canvas.pdf',
			await bothWays(() =>
				TEXTS.map((text, i) => ({ text, x: 70.86614173228347 + 10.3333333 * i, y: 700.123456789 - 23.7 * i, bold: i % 2 === 0, size: 9 + i * 1.75 })),
			),
		);
		const [byPdfLib, byCanvas] = pdfPages(path);
		expect(byCanvas).toBe(byPdfLib);
		for (const text of TEXTS) expect(byCanvas).toContain(text);
		const [a, b] = [pixels(path, 1), pixels(path, 2)];
		expect(b.length).toBe(a.length);
		// positions are written to 1/1000 pt: at most an anti-aliased edge pixel may differ, by a shade
		let differing = 0;
		for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 48) differing++;
		expect(differing).toBeLessThan(10);
		// and the page is not blank: text, rule and fill are there
		expect(b.filter((v) => v < 128).length).toBeGreaterThan(1000);
	});
});
