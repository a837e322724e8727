import { deflateSync } from 'node:zlib';
import type * as fontkit from '@pdf-lib/fontkit';
import { CustomFontEmbedder, PDFFont, PDFHexString, PDFName, PDFNumber, PDFRawStream } from 'pdf-lib';
import type { PDFContext, PDFDocument, PDFRef } from 'pdf-lib';
import { createCmap } from 'pdf-lib/cjs/core/embedders/CMap';
import { withoutHinting } from './trueTypeHinting';

/**
 * One font subset per process, shared by every invoice PDF whose text it covers, instead of a subset made
 * (glyph outlines copied, tables encoded, deflated) for each document: that was a third of each invoice's
 * rendering time. The subset holds the characters of Western and Central European text (Basic Latin,
 * Latin-1, Latin Extended-A, dashes and quotation marks, the euro sign); it is encoded and deflated once, as
 * are its widths and its ToUnicode map, and each document refers to the same bytes. Text is encoded by a
 * table from character to glyph, since no shaping is done anyway (see NO_SHAPING in pdfText.ts).
 *
 * A document with a character outside the subset gets a subset of its own, as before (`covers` tells).
 * The shared subset is larger than a document's own (about 370 glyphs against 60); without its hinting
 * (`withoutHinting`: 40 % of DejaVu's glyph data, which PDF viewers and printers do not use) an invoice PDF is
 * about 40 KB instead of 71 KB (see docs/speed.md). It is still a proper subset font (tagged name, FontFile2
 * with Length1, widths and ToUnicode for every glyph it has), as PDF/A-3 wants.
 */

const RANGES: Array<[number, number]> = [
	[0x20, 0x7e],
	[0xa0, 0x17f],
	[0x2010, 0x2026],
	[0x2030, 0x2030],
	[0x2039, 0x203a],
	[0x20ac, 0x20ac],
	// the minus sign the renderer itself prints before an allowance (not in the invoice's own texts)
	[0x2212, 0x2212],
];

interface SharedSubset {
	/** the subset's glyph id (four hex digits) by character */
	codes: Map<string, string>;
	/** the deflated TrueType program and its length before deflating */
	program: { deflated: Buffer; length: number };
	/** the deflated ToUnicode CMap */
	toUnicode: Buffer;
	/** the CIDFont's W array: first glyph id, then the widths of all glyphs in a row */
	widths: [number, number[]];
}

const subsets = new Map<fontkit.Font, Promise<SharedSubset>>();

/** Whether every character of `text` (NFC) is in the shared subset. */
export function covers(text: string): boolean {
	for (const char of text.normalize('NFC')) {
		const code = char.codePointAt(0)!;
		if (code < 0x20 || (code >= 0x7f && code < 0xa0)) continue;
		if (!RANGES.some(([from, to]) => code >= from && code <= to)) return false;
	}
	return true;
}

/** Embeds the shared subset of `font` in `doc` under `name` ("ABCDEF+DejaVuSans"), ready to draw with. */
export async function embedSharedSubset(doc: PDFDocument, font: fontkit.Font, name: string): Promise<PDFFont> {
	let subset = subsets.get(font);
	if (!subset) {
		subset = buildSubset(font);
		subsets.set(font, subset);
	}
	const embedder = new SharedSubsetEmbedder(font, await subset, name);
	const pdfFont = PDFFont.of(doc.context.nextRef(), doc, embedder as unknown as CustomFontEmbedder);
	// everything the font objects need is known now: embed them at once, not when the document is saved
	await pdfFont.embed();
	return pdfFont;
}

async function buildSubset(font: fontkit.Font): Promise<SharedSubset> {
	const subset = font.createSubset();
	const glyphs: fontkit.Glyph[] = [];
	const codes = new Map<string, string>();
	for (const [from, to] of RANGES) {
		for (let code = from; code <= to; code++) {
			if (!font.hasGlyphForCodePoint(code)) continue;
			const glyph = font.glyphForCodePoint(code);
			const id = subset.includeGlyph(glyph);
			glyphs[id] = glyph;
			codes.set(String.fromCodePoint(code), id.toString(16).padStart(4, '0'));
		}
	}
	const program = withoutHinting(await encodeSubset(subset));
	const scale = 1000 / font.unitsPerEm;
	// glyph 0 is .notdef, which every subset starts with
	const widths = glyphs.slice(1).map((g) => Math.round(g.advanceWidth * scale * 1000) / 1000);
	const cmap = createCmap(glyphs.slice(1), (g) => (g ? glyphs.indexOf(g) : -1));
	return {
		codes,
		program: { deflated: deflateSync(program, { level: 9 }), length: program.length },
		toUnicode: deflateSync(Buffer.from(cmap, 'latin1'), { level: 9 }),
		widths: [1, widths],
	};
}

/** A fontkit subset as the bytes of its TrueType program. */
export async function encodeSubset(subset: fontkit.Subset): Promise<Uint8Array> {
	return await new Promise((resolve) => {
		const parts: Uint8Array[] = [];
		subset
			.encodeStream()
			.on('data', (bytes) => parts.push(bytes))
			.on('end', () => resolve(Buffer.concat(parts)));
	});
}

/** pdf-lib's embedder for a custom font, with the per-document work replaced by the shared subset's. */
class SharedSubsetEmbedder extends CustomFontEmbedder {
	constructor(
		font: fontkit.Font,
		private readonly shared: SharedSubset,
		name: string,
	) {
		super(font as never, new Uint8Array(0), name);
	}

	override encodeText(text: string): PDFHexString {
		let hex = '';
		for (const char of text) {
			const code = this.shared.codes.get(char);
			if (code === undefined) throw new Error(`the shared font subset has no "${char}": the document should have had a subset of its own`);
			hex += code;
		}
		return PDFHexString.of(hex);
	}

	override widthOfTextAtSize(): number {
		throw new Error('measure with pdfText.textWidth');
	}

	protected computeWidths(): (number | number[])[] {
		return this.shared.widths;
	}

	protected async embedFontStream(context: PDFContext): Promise<PDFRef> {
		const dict = context.obj({ Filter: 'FlateDecode' });
		dict.set(PDFName.of('Length1'), PDFNumber.of(this.shared.program.length));
		return context.register(PDFRawStream.of(dict, this.shared.program.deflated));
	}

	protected embedUnicodeCmap(context: PDFContext): PDFRef {
		return context.register(PDFRawStream.of(context.obj({ Filter: 'FlateDecode' }), this.shared.toUnicode));
	}
}
