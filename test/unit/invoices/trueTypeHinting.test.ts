import { readFileSync } from 'node:fs';
import * as fontkit from '@pdf-lib/fontkit';
import { encodeSubset } from '../../../nodes/shared/documents/invoices/sharedFontSubset';
import { withoutHinting } from '../../../nodes/shared/documents/invoices/trueTypeHinting';

/** A subset of DejaVu as the invoice PDFs embed it: Basic Latin, Latin-1 and Latin Extended-A. */
async function latinSubset(file: string): Promise<Buffer> {
	const font = fontkit.create(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`)));
	const subset = font.createSubset();
	for (let code = 0x20; code <= 0x17f; code++) if (font.hasGlyphForCodePoint(code)) subset.includeGlyph(font.glyphForCodePoint(code));
	return Buffer.from(await encodeSubset(subset));
}

type DecodedGlyph = { numberOfContours: number; instructions?: unknown[] } | null;
const decoded = (font: fontkit.Font, id: number) => (font.getGlyph(id) as unknown as { _decode(): DecodedGlyph })._decode();

const tables = (font: fontkit.Font) => Object.keys((font as unknown as { directory: { tables: object } }).directory.tables).sort();

/** The sum of a TrueType file's 32-bit words, which `checkSumAdjustment` makes 0xB1B0AFBA. */
function fileChecksum(font: Buffer): number {
	let sum = 0;
	for (let i = 0; i < font.length; i += 4) sum = (sum + font.readUInt32BE(i)) >>> 0;
	return sum;
}

describe('TrueType programs without hinting', () => {
	it.each(['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'])('keeps every outline and metric of %s, drops the instructions and their tables', async (file) => {
		const hinted = await latinSubset(file);
		const plain = withoutHinting(hinted);
		const before = fontkit.create(hinted);
		const after = fontkit.create(plain);
		expect(after.numGlyphs).toBe(before.numGlyphs);
		let composites = 0;
		let hintedGlyphs = 0;
		for (let id = 0; id < before.numGlyphs; id++) {
			const [b, a] = [before.getGlyph(id), after.getGlyph(id)];
			expect([a.path.toSVG(), a.advanceWidth]).toEqual([b.path.toSVG(), b.advanceWidth]);
			if (decoded(before, id)?.numberOfContours === -1) composites++;
			if (decoded(before, id)?.instructions?.length) hintedGlyphs++;
			expect(decoded(after, id)?.numberOfContours ?? 0).toBe(decoded(before, id)?.numberOfContours ?? 0);
			expect(decoded(after, id)?.instructions ?? []).toHaveLength(0);
		}
		// accented letters are composites in DejaVu: both kinds of glyph were rewritten
		expect(composites).toBeGreaterThan(50);
		expect(hintedGlyphs).toBeGreaterThan(100);
		expect(tables(before)).toEqual(['cvt ', 'fpgm', 'glyf', 'head', 'hhea', 'hmtx', 'loca', 'maxp', 'prep']);
		expect(tables(after)).toEqual(['glyf', 'head', 'hhea', 'hmtx', 'loca', 'maxp']);
		const metrics = (f: fontkit.Font) => [f.unitsPerEm, f.ascent, f.descent, f.lineGap, f.capHeight, f.xHeight, f.bbox];
		expect(metrics(after)).toEqual(metrics(before));
		expect(fileChecksum(plain)).toBe(0xb1b0afba);
		// instructions are 40 % of DejaVu's glyph data
		expect(plain.length).toBeLessThan(hinted.length * 0.6);
	});

	it('refuses a program cut short with an error, not a broken font', async () => {
		const hinted = await latinSubset('DejaVuSans.ttf');
		expect(() => withoutHinting(hinted.subarray(0, 2000))).toThrow('the TrueType program is cut short');
	});
});
