import { TextDecoder } from 'node:util';
import { DocumentError, type DocumentPosition } from './DocumentError';

/**
 * Turning bytes into text without guessing: a byte-order mark wins, then the charset the document
 * declares (XML declaration) or its transport declares (MIME part, user setting), then UTF-8.
 * Invalid bytes for the chosen charset are an error, never silently replaced.
 */

const ALIASES: Record<string, string> = {
	latin1: 'iso-8859-1',
	'latin-1': 'iso-8859-1',
	iso88591: 'iso-8859-1',
	'iso_8859-1': 'iso-8859-1',
	cp1252: 'windows-1252',
	ansi: 'windows-1252',
	utf8: 'utf-8',
};

export function normaliseCharset(label: string): string {
	const l = label.trim().toLowerCase().replace(/^["']|["']$/g, '');
	return ALIASES[l] ?? l;
}

/** Returns the charset a byte-order mark announces and the BOM's length, if the bytes start with one. */
export function detectBom(bytes: Uint8Array): { charset: string; length: number } | undefined {
	if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { charset: 'utf-8', length: 3 };
	if (bytes[0] === 0xff && bytes[1] === 0xfe) return { charset: 'utf-16le', length: 2 };
	if (bytes[0] === 0xfe && bytes[1] === 0xff) return { charset: 'utf-16be', length: 2 };
	return undefined;
}

/**
 * UTF-16 without a byte-order mark, told by its zero bytes: the first four characters of an XML document
 * (`<?xm`, XML 1.0 appendix F) or an EDIFACT interchange (`UNA:`) are ASCII, so every other byte is 0.
 */
export function utf16WithoutBom(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
	if (bytes.length < 8) return undefined;
	let le = true;
	let be = true;
	for (let i = 0; i < 8; i += 2) {
		le &&= bytes[i] !== 0 && bytes[i] < 0x80 && bytes[i + 1] === 0;
		be &&= bytes[i] === 0 && bytes[i + 1] !== 0 && bytes[i + 1] < 0x80;
	}
	return le ? 'utf-16le' : be ? 'utf-16be' : undefined;
}

/** Reads `encoding="…"` from an XML declaration at the start of the bytes (ASCII-compatible charsets). */
export function xmlDeclaredCharset(bytes: Uint8Array): string | undefined {
	const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
	const decl = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?\s*<\?xml[^?]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
	return decl ? normaliseCharset(decl[1]) : undefined;
}

export function decodeBytes(bytes: Uint8Array, charset: string, file?: string): string {
	const name = normaliseCharset(charset);
	const decoder = makeDecoder(name);
	if (!decoder) throw new DocumentError('ENCODING_ERROR', `unknown character encoding "${charset}"`, file);
	const text = decodeStrictly(decoder, bytes);
	if (text === undefined) {
		const at = firstInvalidUtf8(bytes);
		throw new DocumentError(
			'ENCODING_ERROR',
			`the bytes are not valid ${name}` + (at ? ` (first bad byte at line ${at.line}, column ${at.column})` : ''),
			file,
			at ?? {},
		);
	}
	return text;
}

function makeDecoder(name: string): TextDecoder | undefined {
	try {
		return new TextDecoder(name, { fatal: true, ignoreBOM: false });
	} catch {
		return undefined; // not a charset the runtime knows
	}
}

/** The text, or undefined when the bytes are not valid in the decoder's charset. */
function decodeStrictly(decoder: TextDecoder, bytes: Uint8Array): string | undefined {
	try {
		return decoder.decode(bytes);
	} catch {
		return undefined;
	}
}

/** Decodes text whose charset may be announced by a BOM or given by the caller (MIME part, setting). */
export function decodeText(bytes: Uint8Array, charset = 'utf-8', file?: string): string {
	const bom = detectBom(bytes);
	if (bom) return decodeBytes(bytes.subarray(bom.length), bom.charset, file);
	return decodeBytes(bytes, charset, file);
}

/**
 * Decodes an XML document: BOM, then UTF-16 told by its zero bytes, then the XML declaration, then the
 * transport's charset, then UTF-8 (the XML default). The XML declaration is authoritative over a MIME charset,
 * as the XML spec says.
 */
export function decodeXml(bytes: Uint8Array, transportCharset?: string, file?: string): string {
	const bom = detectBom(bytes);
	if (bom) return decodeBytes(bytes.subarray(bom.length), bom.charset, file);
	const utf16 = utf16WithoutBom(bytes);
	if (utf16) return decodeBytes(bytes, utf16, file);
	const declared = xmlDeclaredCharset(bytes);
	return decodeBytes(bytes, declared ?? transportCharset ?? 'utf-8', file);
}

function firstInvalidUtf8(bytes: Uint8Array): { line: number; column: number } | undefined {
	let line = 1;
	let column = 1;
	for (let i = 0; i < bytes.length; ) {
		const b = bytes[i];
		let need = 0;
		if (b < 0x80) need = 0;
		else if (b >= 0xc2 && b <= 0xdf) need = 1;
		else if (b >= 0xe0 && b <= 0xef) need = 2;
		else if (b >= 0xf0 && b <= 0xf4) need = 3;
		else return { line, column };
		for (let k = 1; k <= need; k++) {
			if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return { line, column };
		}
		if (b === 0x0a) {
			line++;
			column = 1;
		} else column++;
		i += need + 1;
	}
	return undefined;
}

/** A control character: C0 controls except tab, LF and CR; DEL; C1 controls. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
export const CONTROL_CHARACTER = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]/;

/**
 * The one rule for control characters in every format: a field value that holds one (NUL, ESC, …) is refused
 * with an error naming the file, the place and the character, never passed on into an item.
 */
export function refuseControlCharacters(value: string, file: string | undefined, position: DocumentPosition): string {
	const found = CONTROL_CHARACTER.exec(value);
	if (!found) return value;
	const hex = found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
	throw new DocumentError('INVALID_VALUE', `control character U+${hex} in a value`, file, position);
}
