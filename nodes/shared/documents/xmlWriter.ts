/**
 * The one way this package writes XML (the CII e-invoice, openTRANS orders, the Factur-X XMP packet): one
 * escaping, and never an empty element.
 *
 * Text is NFC-normalised, characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE,
 * U+FFFF) are dropped — a writer that must refuse them (openTRANS, the invoice check) does so before — and the
 * five markup characters are escaped. A value that is empty after that (absent, blank, or nothing but control
 * characters) leaves its element out: EN 16931 and XRechnung refuse empty elements (PEPPOL-EN16931-R008), and
 * an optional element is better missing than present and empty for every schema here.
 */

const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text content: NFC, characters XML cannot carry dropped, & < > " ' escaped. */
export function escapeXml(value: string): string {
	return value
		.normalize('NFC')
		.replace(NOT_XML, '')
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&apos;');
}

/** An attribute value: as text, and tab and line breaks as references, so that attribute normalisation keeps them. */
export function escapeXmlAttribute(value: string): string {
	return escapeXml(value).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

/** The text an element would carry, or undefined when nothing would be left of the value. */
function content(text: string | undefined | null): string | undefined {
	if (text === undefined || text === null) return undefined;
	const escaped = escapeXml(String(text).trim()).trim();
	return escaped === '' ? undefined : escaped;
}

/** A node of an XML tree, for writers that build their document as a tree first (openTRANS). */
export interface XmlNode {
	name: string;
	attributes?: Record<string, string>;
	text?: string;
	children?: XmlNode[];
	/** written on one line with everything inside it (`<a><b>x</b></a>`), as some readers of XMP expect */
	inline?: boolean;
}

/** Writes indented XML (tabs) with a UTF-8 declaration, element by element. */
export class XmlWriter {
	private readonly out: string[];
	private depth = 0;

	/** @param prolog what comes first: the XML declaration, or e.g. an XMP packet's `<?xpacket begin…?>` */
	constructor(prolog = '<?xml version="1.0" encoding="UTF-8"?>') {
		this.out = [prolog];
	}

	/** A processing instruction of this package's own (`<?xpacket end="w"?>`); `data` is written as it is. */
	instruction(target: string, data: string): this {
		this.out.push(`${'\t'.repeat(this.depth)}<?${target} ${data}?>`);
		return this;
	}

	open(name: string, attributes: Record<string, string> = {}): this {
		this.out.push(`${'\t'.repeat(this.depth)}<${name}${XmlWriter.attrs(attributes)}>`);
		this.depth++;
		return this;
	}

	close(name: string): this {
		this.depth--;
		this.out.push(`${'\t'.repeat(this.depth)}</${name}>`);
		return this;
	}

	/** An element with text; left out when the text is absent, blank or only characters XML cannot carry. */
	leaf(name: string, text: string | undefined, attributes: Record<string, string> = {}): this {
		const escaped = content(text);
		if (escaped === undefined) return this;
		this.out.push(`${'\t'.repeat(this.depth)}<${name}${XmlWriter.attrs(attributes)}>${escaped}</${name}>`);
		return this;
	}

	/** An element holding one child: `<a><b>text</b></a>`, left out with its parent when the text is empty. */
	wrapped(outer: string, inner: string, text: string | undefined, attributes: Record<string, string> = {}): this {
		if (content(text) === undefined) return this;
		return this.open(outer).leaf(inner, text, attributes).close(outer);
	}

	/** A tree: elements with text as leaves, the others with their children; one without either is left out. */
	node(node: XmlNode): this {
		if (node.text !== undefined) return this.leaf(node.name, node.text, node.attributes);
		const children = node.children ?? [];
		if (!children.some(XmlWriter.hasContent)) return this;
		if (node.inline) {
			this.out.push(`${'\t'.repeat(this.depth)}${XmlWriter.inline(node)}`);
			return this;
		}
		this.open(node.name, node.attributes);
		for (const child of children) this.node(child);
		return this.close(node.name);
	}

	toString(): string {
		return `${this.out.join('\n')}\n`;
	}

	toBuffer(): Buffer {
		return Buffer.from(this.toString(), 'utf8');
	}

	private static inline(node: XmlNode): string {
		const start = `<${node.name}${XmlWriter.attrs(node.attributes ?? {})}>`;
		if (node.text !== undefined) return `${start}${content(node.text)}</${node.name}>`;
		const inner = (node.children ?? []).filter(XmlWriter.hasContent).map(XmlWriter.inline).join('');
		return `${start}${inner}</${node.name}>`;
	}

	private static hasContent(node: XmlNode): boolean {
		if (node.text !== undefined) return content(node.text) !== undefined;
		return (node.children ?? []).some(XmlWriter.hasContent);
	}

	private static attrs(attributes: Record<string, string>): string {
		return Object.entries(attributes)
			.map(([key, value]) => ` ${key}="${escapeXmlAttribute(value)}"`)
			.join('');
	}
}
