import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import * as fontkit from '@pdf-lib/fontkit';
import { PDFRawStream, rgb } from 'pdf-lib';
import type { PDFDocument, PDFFont, PDFImage, PDFPage, RGB } from 'pdf-lib';
import { covers as coveredBySharedSubset, embedSharedSubset } from './sharedFontSubset';

/**
 * Text on an A4 page for the invoice PDF: DejaVu Sans embedded as subsets, measuring, wrapping and drawing
 * with positions measured from the top edge, the way a page layout (DIN 5008) gives them.
 */

export const MM = 72 / 25.4;
export const PAGE_WIDTH = 595.28;
export const PAGE_HEIGHT = 841.89;
export const LEFT = 25 * MM;
export const RIGHT = PAGE_WIDTH - 20 * MM;
export const CONTENT_WIDTH = RIGHT - LEFT;

export const INK = rgb(0.13, 0.13, 0.13);
export const MUTED = rgb(0.4, 0.4, 0.4);
export const RULE = rgb(0.72, 0.72, 0.72);
export const HEADER_FILL = rgb(0.925, 0.925, 0.925);

// ----------------------------------------------------------------------------------------------- fonts

export interface FontFace {
	pdf: PDFFont;
	/** the font program, to tell which characters it has and how wide they are */
	glyphs: fontkit.Font;
	/** advance widths in font units by character, shared by all documents */
	advances: Map<string, number>;
}

export interface Fonts {
	regular: FontFace;
	bold: FontFace;
}

/** A face to measure and check text with, before (or without) a PDF document to embed it in. */
export type MeasuringFace = Omit<FontFace, 'pdf'>;

/** The faces of the invoice PDF for measuring and checking, shared with every document. */
export function measuringFaces(): { regular: MeasuringFace; bold: MeasuringFace } {
	const face = (file: string): MeasuringFace => {
		fontFile(file);
		return { glyphs: fontPrograms.get(file)!, advances: fontAdvances.get(file)! };
	};
	return { regular: face('DejaVuSans.ttf'), bold: face('DejaVuSans-Bold.ttf') };
}

/** The first character of `text` that `face` has no glyph for (control characters aside), if any. */
export function missingGlyph(text: string, face: MeasuringFace): string | undefined {
	for (const char of text.normalize('NFC').replace(/[\t\r\n\u2028\u2029]+/g, ' ')) {
		const code = char.codePointAt(0)!;
		if (code < 0x20 || (code >= 0x7f && code < 0xa0)) continue;
		if (!face.glyphs.hasGlyphForCodePoint(code)) return char;
	}
	return undefined;
}

const fontFiles = new Map<string, Uint8Array>();
const fontPrograms = new Map<string, fontkit.Font>();
const fontAdvances = new Map<string, Map<string, number>>();

function fontFile(name: string): Uint8Array {
	let bytes = fontFiles.get(name);
	if (!bytes) {
		bytes = readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${name}`));
		fontFiles.set(name, bytes);
		fontPrograms.set(name, fontkit.create(bytes));
		fontAdvances.set(name, new Map());
	}
	return bytes;
}

// No shaping at all. Ligatures ("fi" as one glyph) read as odd characters in text extraction and a customer's
// search; pdf-lib ignores the positions kerning and mark placement compute anyway; and DejaVu's large GPOS
// tables make a shaped layout cost ~2 ms per string against ~0.1 ms without — the difference between minutes
// and seconds for 10,000 invoices. Text is NFC-normalised first, so umlauts are single glyphs regardless.
const NO_SHAPING = {
	ccmp: false,
	locl: false,
	liga: false,
	clig: false,
	dlig: false,
	rlig: false,
	calt: false,
	kern: false,
	mark: false,
	mkmk: false,
	case: false,
};

/**
 * fontkit for pdf-lib, handing out the one parsed font program per file instead of parsing it per document:
 * parsing DejaVu's glyph-name and name tables again took about half of each invoice's rendering time. A parsed
 * font is read-only to pdf-lib (each document makes its own subset of it), so documents can share it.
 */
const sharedFontkit = {
	create(bytes: Uint8Array): fontkit.Font {
		for (const [name, file] of fontFiles) if (file === bytes) return fontPrograms.get(name)!;
		return fontkit.create(bytes);
	},
};

/**
 * Embeds the two faces in `doc`: the subsets shared by all documents when they cover every character of
 * `text` (all the text the document may print), else subsets of this document's own.
 */
export async function embedFonts(doc: PDFDocument, tag: string, text: string): Promise<Fonts> {
	doc.registerFontkit(sharedFontkit);
	const shared = coveredBySharedSubset(text);
	const face = async (file: string, postscriptName: string, subsetTag: string): Promise<FontFace> => {
		const bytes = fontFile(file);
		// a subset font's name carries a six-letter tag (ISO 32000-1, 9.6.4); ours comes from the input's hash
		const customName = `${subsetTag}+${postscriptName}`;
		const pdf = shared
			? await embedSharedSubset(doc, fontPrograms.get(file)!, customName)
			: await doc.embedFont(bytes, { subset: true, customName, features: NO_SHAPING });
		return { pdf, glyphs: fontPrograms.get(file)!, advances: fontAdvances.get(file)! };
	};
	return {
		regular: await face('DejaVuSans.ttf', 'DejaVuSans', tag.slice(0, 6)),
		bold: await face('DejaVuSans-Bold.ttf', 'DejaVuSans-Bold', tag.slice(6, 12)),
	};
}

/**
 * Makes text drawable: tabs and line breaks become spaces (the caller wraps), other control characters go, and a
 * character the font lacks becomes "?" rather than an empty box that reads as nothing in text extraction.
 */
export function drawable(text: string, face: MeasuringFace): string {
	let out = '';
	for (const char of text.normalize('NFC').replace(/[\t\r\n\u2028\u2029]+/g, ' ')) {
		const code = char.codePointAt(0)!;
		if (code < 0x20 || (code >= 0x7f && code < 0xa0)) continue;
		out += hasGlyph(face, char, code) ? char : '?';
	}
	return out;
}

/** Whether the face has a glyph for the character; from the advance cache (a glyph has an advance) when known. */
function hasGlyph(face: MeasuringFace, char: string, code: number): boolean {
	if (face.advances.has(char)) return true;
	if (!face.glyphs.hasGlyphForCodePoint(code)) return false;
	face.advances.set(char, face.glyphs.glyphForCodePoint(code).advanceWidth);
	return true;
}

/**
 * The width of drawable text: the sum of the glyphs' advance widths, as pdf-lib places them without shaping.
 * Measured from a per-character cache because wrapping measures the same text many times.
 */
export function textWidth(text: string, face: MeasuringFace, size: number): number {
	let units = 0;
	for (const char of text) {
		let advance = face.advances.get(char);
		if (advance === undefined) {
			advance = face.glyphs.glyphForCodePoint(char.codePointAt(0)!).advanceWidth;
			face.advances.set(char, advance);
		}
		units += advance;
	}
	return (units * size) / face.glyphs.unitsPerEm;
}

/** Breaks text into lines no wider than `width`; explicit line breaks are kept, over-long words are cut. */
export function wrap(text: string, face: MeasuringFace, size: number, width: number): string[] {
	const lines: string[] = [];
	for (const paragraph of text.split(/\r\n|\r|\n/)) {
		let line = '';
		for (const word of drawable(paragraph, face).split(' ').filter((w) => w !== '')) {
			const candidate = line ? `${line} ${word}` : word;
			if (textWidth(candidate, face, size) <= width) {
				line = candidate;
				continue;
			}
			if (line) lines.push(line);
			line = '';
			let rest = word;
			while (textWidth(rest, face, size) > width) {
				let cut = 1;
				while (cut < rest.length && textWidth(rest.slice(0, cut + 1), face, size) <= width) cut++;
				lines.push(rest.slice(0, cut));
				rest = rest.slice(cut);
			}
			line = rest;
		}
		lines.push(line);
	}
	return lines;
}

// ----------------------------------------------------------------------------------------------- drawing

export interface TextStyle {
	face: FontFace;
	size: number;
	color?: RGB;
	align?: 'left' | 'right';
}

/**
 * A page's content, written as PDF operators: pdf-lib's drawText builds a dozen objects and formats a dozen
 * numbers per line of text, 40 % of an invoice PDF's CPU. Text, rules, a filled rectangle and an image, in the
 * order drawn; `finish` adds the content to the page, deflated (zlib). Positions are written to 1/1000 pt.
 */
export class PageCanvas {
	private readonly ops: string[] = [];
	private readonly fonts = new Map<PDFFont, string>();

	constructor(readonly page: PDFPage) {}

	/** Text on one line, its left end at `x`, its baseline at `y` (from the bottom edge, as PDF measures). */
	text(line: string, x: number, y: number, font: PDFFont, size: number, color: RGB): void {
		let key = this.fonts.get(font);
		if (!key) {
			key = this.page.node.newFontDictionary(font.name, font.ref).toString();
			this.fonts.set(font, key);
		}
		// encodeText also tells a document's own font subset which glyphs it needs
		this.ops.push(`BT ${colour(color)} rg ${key} ${num(size)} Tf ${num(x)} ${num(y)} Td ${font.encodeText(line).toString()} Tj ET`);
	}

	line(x1: number, y1: number, x2: number, y2: number, thickness: number, color: RGB): void {
		this.ops.push(`q ${colour(color)} RG ${num(thickness)} w ${num(x1)} ${num(y1)} m ${num(x2)} ${num(y2)} l S Q`);
	}

	rectangle(x: number, y: number, width: number, height: number, color: RGB): void {
		this.ops.push(`q ${colour(color)} rg ${num(x)} ${num(y)} ${num(width)} ${num(height)} re f Q`);
	}

	image(image: PDFImage, x: number, y: number, width: number, height: number): void {
		const key = this.page.node.newXObject('Image', image.ref).toString();
		this.ops.push(`q ${num(width)} 0 0 ${num(height)} ${num(x)} ${num(y)} cm ${key} Do Q`);
	}

	finish(): void {
		const context = this.page.doc.context;
		const content = deflateSync(Buffer.from(this.ops.join('\n'), 'latin1'));
		this.page.node.addContentStream(context.register(PDFRawStream.of(context.obj({ Filter: 'FlateDecode' }), content)));
	}
}

/** A number as a PDF operand, to 1/1000 (never in exponent notation: the page's numbers are far from 1e21 and 1e-7). */
function num(value: number): string {
	return String(Math.round(value * 1000) / 1000);
}

function colour(color: RGB): string {
	return `${num(color.red)} ${num(color.green)} ${num(color.blue)}`;
}

/** Draws at `top`, the baseline's distance from the top edge, the way a layout is measured on paper. */
export function text(page: PageCanvas, value: string, x: number, top: number, style: TextStyle): number {
	const line = drawable(value, style.face);
	const width = textWidth(line, style.face, style.size);
	if (line !== '') {
		const left = style.align === 'right' ? x - width : x;
		page.text(line, left, PAGE_HEIGHT - top, style.face.pdf, style.size, style.color ?? INK);
	}
	return width;
}

/** Shrinks the size until the text fits `width` (a price with many digits in a narrow column), down to 5.5 pt. */
export function fittingSize(value: string, face: MeasuringFace, size: number, width: number): number {
	let fitted = size;
	while (fitted > 5.5 && textWidth(drawable(value, face), face, fitted) > width) fitted -= 0.25;
	return fitted;
}

export function rule(page: PageCanvas, x1: number, x2: number, top: number, thickness = 0.5, color: RGB = RULE): void {
	page.line(x1, PAGE_HEIGHT - top, x2, PAGE_HEIGHT - top, thickness, color);
}

export function present(value: string | undefined): value is string {
	return value !== undefined && value !== null && String(value).trim() !== '';
}
