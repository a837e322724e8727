import { SaxesParser } from 'saxes';

import { DocumentError, type DocumentErrorCode } from './DocumentError';
import { MAX_DOCUMENT_BYTES, refuseTooLarge } from './limits';
import { decodeXml, refuseControlCharacters } from './text';
import { intern, isXmlSpace, NO_ATTRIBUTES_READ, NotFast, XmlScanner, type XmlEvents, type XmlPosition } from './xmlScanner';

/**
 * A small, safe, namespace-aware XML tree for business documents.
 *
 * Safety: any document type declaration (`<!DOCTYPE …>`) is refused before anything in it is read, so no
 * external entity is fetched and no entity is expanded (XXE, "billion laughs"). openTRANS, camt.053, CII
 * and the other formats of this package never need a DTD. Only the five predefined XML entities and
 * character references are understood.
 *
 * Reading: the fast reader (xmlScanner.ts) reads a well-formed document; a document it does not take — malformed, or
 * with what it leaves to saxes — is read again by saxes, which names the place of the error, as if the fast reader
 * had not been there (nothing was handed to a stream yet), or, when elements were already handed to the stream,
 * only to name the error: the document is refused either way.
 *
 * Bounds: a document bigger than its size limit is refused (TOO_LARGE) before it is decoded or parsed; elements
 * nested deeper than MAX_XML_DEPTH are refused where the limit is crossed; namespace prefixes are resolved in
 * constant time per element (a prefix → URI stack, not a walk up the open elements), so time is linear in the
 * input; the tree keeps no whitespace between elements and shares empty child lists, attribute maps and element
 * names, so that it stays within a few times the size of the text.
 *
 * Values: a text or attribute value with a control character (NUL, ESC …, which XML 1.1 allows as character
 * references) is refused with its position; an element whose text stands on both sides of a child element or a
 * comment (mixed content) cannot be read as a value, so that two pieces of text are never glued into one.
 */

/** Deeper than any business document (openTRANS and CII need fewer than 15 levels; camt.053 about 12). */
export const MAX_XML_DEPTH = 256;

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
const NO_ATTRIBUTES: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_CHILDREN: readonly XmlElement[] = Object.freeze([]);

/**
 * The fast reader of each tree it read, by the tree's root: it works out an element's line and column from the
 * element's offset when someone asks (an error, a reader naming the place) — kept here rather than in every element.
 */
const LOCATORS = new WeakMap<XmlElement, { locate(offset: number): XmlPosition }>();
/** `columnNo` of an element whose place is not worked out yet (`lineOrOffset` holds its offset) */
const NOT_LOCATED = -1;

export class XmlElement {
	private kids: XmlElement[] | undefined;
	private ownText = '';
	/** set only on an element with mixed content: where it is, for the error its text throws */
	private mixed?: { file?: string; line: number; column: number };
	/** set only on an element streamed out of the tree: its last path step (`Ntry[3]`), fixed when it left */
	private step?: string;

	constructor(
		/** namespace URI ('' when none) */
		readonly ns: string,
		/** local name without prefix */
		readonly name: string,
		/** attributes by local name */
		readonly attributes: Record<string, string>,
		/** the line, or (column NOT_LOCATED) the offset that the line and column are worked out from when asked for */
		private lineOrOffset: number,
		private columnNo: number,
		readonly parent?: XmlElement,
	) {}

	/** The line of the element's start tag (its end, as saxes counts). */
	get line(): number {
		this.place();
		return this.lineOrOffset;
	}

	get column(): number {
		this.place();
		return this.columnNo;
	}

	private place(): void {
		if (this.columnNo !== NOT_LOCATED) return;
		let root = this.parent;
		while (root?.parent) root = root.parent;
		const { line, column } = LOCATORS.get(root ?? this)!.locate(this.lineOrOffset);
		this.lineOrOffset = line;
		this.columnNo = column;
	}

	/** Child elements in document order. */
	get children(): readonly XmlElement[] {
		return this.kids ?? NO_CHILDREN;
	}

	/** @internal used by the parser */
	addChild(child: XmlElement): void {
		if (this.kids) this.kids.push(child);
		else this.kids = [child];
	}

	/** @internal used by the parser: takes the last child out of the tree (a streamed element, see XmlStream) */
	detachLastChild(): void {
		this.kids?.pop();
	}

	/** @internal used by the parser: the path step of an element no longer among its parent's children */
	fixStep(step: string): void {
		this.step = step;
	}

	/** @internal used by the parser */
	appendText(text: string): void {
		this.ownText += text;
	}

	/** @internal used by the parser: whitespace before the first child element is layout, not text */
	dropBlankText(): void {
		if (this.ownText !== '' && isBlank(this.ownText)) this.ownText = '';
	}

	/** @internal used by the parser */
	markMixed(file: string | undefined, line: number, column: number): void {
		this.mixed ??= { file, line, column };
	}

	/** The element's own text (not its children's), trimmed. Throws for mixed content. */
	get text(): string {
		return this.rawText.trim();
	}

	/** The element's own text as written; whitespace between child elements (layout) is not kept. */
	get rawText(): string {
		if (this.mixed) {
			const { file, line, column } = this.mixed;
			throw new DocumentError(
				'PARSE_ERROR',
				`${this.name} has text on both sides of a child element or comment; a value must be one piece of text`,
				file,
				{ line, column, element: this.path },
			);
		}
		return this.ownText;
	}

	/** Child elements with this local name, in any namespace unless `ns` is given. */
	all(name: string, ns?: string): XmlElement[] {
		return this.children.filter((c) => c.name === name && (ns === undefined || c.ns === ns));
	}

	/** The first child element with this local name (any namespace unless `ns` is given). */
	first(name: string, ns?: string): XmlElement | undefined {
		return this.children.find((c) => c.name === name && (ns === undefined || c.ns === ns));
	}

	/** Follows a path of local names (`'A/B/C'`), returning the first match at each step. */
	find(path: string): XmlElement | undefined {
		return path.split('/').reduce<XmlElement | undefined>((el, step) => el?.first(step), this);
	}

	/** Every element reached by a path of local names, all matches at each step. */
	findAll(path: string): XmlElement[] {
		let level: XmlElement[] = [this];
		for (const step of path.split('/')) level = level.flatMap((e) => e.all(step));
		return level;
	}

	/** Trimmed text at a path, or undefined when the element is missing or empty. */
	textAt(path: string): string | undefined {
		const t = this.find(path)?.text;
		return t === undefined || t === '' ? undefined : t;
	}

	/** Every descendant (depth first) with this local name. */
	descendants(name: string): XmlElement[] {
		const out: XmlElement[] = [];
		const walk = (e: XmlElement) => {
			for (const c of e.children) {
				if (c.name === name) out.push(c);
				walk(c);
			}
		};
		walk(this);
		return out;
	}

	/** A readable path such as `ORDER/ORDER_ITEM_LIST/ORDER_ITEM[2]/QUANTITY` for error messages. */
	get path(): string {
		if (!this.parent) return this.name;
		if (this.step) return `${this.parent.path}/${this.step}`;
		const same = this.parent.children.filter((c) => c.name === this.name);
		const step = same.length > 1 ? `${this.name}[${same.indexOf(this) + 1}]` : this.name;
		return `${this.parent.path}/${step}`;
	}
}

export interface XmlParseOptions {
	/** the most elements nested in one another; MAX_XML_DEPTH unless given */
	maxDepth?: number;
	/** the longest text (characters) read; MAX_DOCUMENT_BYTES unless given */
	maxLength?: number;
	/** elements handed over one by one and kept out of the tree, so that memory stays bounded by one of them */
	stream?: XmlStream;
}

/**
 * Streaming of the many repeated elements of a big document (the entries of a bank statement): each element
 * with this local name that `accept` takes is handed to `handle` once it is complete, with its children, and is
 * then no longer part of the tree; the rest of the document is built as usual. Elements are handed over in
 * document order, each when its next sibling of the same name opens or its parent closes, so that its `path`
 * says `Ntry[2]` where there are several and `Ntry` where there is one, as in the whole tree (its ancestors'
 * steps as far as the document has been read: `Stmt`, not yet `Stmt[1]`, while the second statement is to come).
 */
export interface XmlStream {
	name: string;
	/** whether this element (complete, its parent still open) is streamed; asked when it closes */
	accept: (element: XmlElement) => boolean;
	handle: (element: XmlElement) => void;
}

export interface XmlDocumentOptions {
	file?: string;
	/** the transport's charset (MIME part), used only when neither a BOM nor the XML declaration names one */
	charset?: string;
	/** the largest file read, in bytes; MAX_DOCUMENT_BYTES unless given */
	maxBytes?: number;
	maxDepth?: number;
}

/** Checks the size, decodes (BOM, XML declaration, transport charset, UTF-8) and parses an XML file. */
export function parseXmlDocument(bytes: Uint8Array, options: XmlDocumentOptions = {}): XmlElement {
	const { file, charset, maxBytes = MAX_DOCUMENT_BYTES, maxDepth } = options;
	refuseTooLarge(bytes.length, file, maxBytes);
	return parseXml(decodeXml(bytes, charset, file), file, { maxDepth, maxLength: maxBytes });
}

/** Parses XML text into a tree. Throws DocumentError with line and column for malformed or unsafe input. */
export function parseXml(text: string, file?: string, options: XmlParseOptions = {}): XmlElement {
	refuseTooLarge(text.length, file, options.maxLength ?? MAX_DOCUMENT_BYTES, 'characters');
	const maxDepth = options.maxDepth ?? MAX_XML_DEPTH;
	const fast = new TreeBuilder(file, maxDepth, options.stream);
	try {
		return fast.readFast(text);
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the documents layer knows no n8n; the node maps what reaches it
		if (!(error instanceof NotFast)) throw error;
	}
	if (!fast.handedOver) return new TreeBuilder(file, maxDepth, options.stream).readWithSaxes(text);
	// elements are already handed to the stream: saxes names the error, and hands over none of them again
	new TreeBuilder(file, maxDepth).readWithSaxes(text);
	const { line, column } = fast.position;
	throw new DocumentError('PARSE_ERROR', 'the document cannot be read on from here; none of it is taken', file, { line, column });
}

/**
 * Builds the tree from the events of the fast reader or of saxes; resolves namespaces itself (saxes walks all
 * open elements per prefix). While the fast reader reads, whatever this builder would refuse is a NotFast, so
 * that saxes reads the document again and names the place as it always has.
 */
class TreeBuilder implements XmlEvents {
	/** the reader's position: saxes or the fast reader */
	position: XmlPosition = { line: 1, column: 0 };
	/** whether an element was handed to the stream */
	handedOver = false;
	/** the fast reader, when it reads: elements take their place from it when asked */
	private scanner?: XmlScanner;
	private readonly stack: XmlElement[] = [];
	/** per open element: 0 no text yet, 1 text seen, 2 text seen and then a child element or comment */
	private readonly textState: number[] = [];
	private readonly namespaces: NamespaceScopes;
	private root?: XmlElement;
	/** streaming: the element closed but not yet handed over, and how many of its name its parent had */
	private pending?: { element: XmlElement; index: number };
	private readonly streamed = new Map<XmlElement, number>();

	constructor(
		private readonly file: string | undefined,
		private readonly maxDepth: number,
		private readonly stream?: XmlStream,
	) {
		this.namespaces = new NamespaceScopes((reason) => this.fail('PARSE_ERROR', reason));
	}

	readFast(text: string): XmlElement {
		const scanner = new XmlScanner(text);
		this.position = this.scanner = scanner;
		scanner.read(this);
		return this.root!;
	}

	readWithSaxes(text: string): XmlElement {
		const p = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true });
		this.position = p;
		p.on('doctype', () =>
			this.fail(
				'ENTITY_NOT_ALLOWED',
				'the document has a DOCTYPE declaration; DTDs and entities are refused (no external entity is fetched or expanded)',
			),
		);
		// Seven handlers, no more: with an eighth V8 turned the parser object slow (its properties to dictionary mode),
		// a camt.053 file took 240 µs instead of 36 µs in saxes. So the depth is checked in `open`, and a syntax error
		// is thrown by saxes itself (no error handler) and turned into a DocumentError below.
		p.on('opentag', (tag) => this.open(tag.name, tag.attributes));
		p.on('text', (t) => this.text(t));
		p.on('cdata', (t) => this.text(t));
		p.on('comment', () => this.interrupt());
		p.on('processinginstruction', () => this.interrupt());
		p.on('closetag', () => this.close());
		let failure: unknown;
		try {
			p.write(text).close();
		} catch (e) {
			failure = e;
		}
		if (failure instanceof DocumentError) throw failure;
		if (failure) this.fail('PARSE_ERROR', cleanSaxesMessage((failure as Error).message));
		return this.root ?? this.fail('PARSE_ERROR', 'the document has no root element');
	}

	private fail(code: DocumentErrorCode, reason: string): never {
		if (this.scanner) throw new NotFast(reason);
		throw new DocumentError(code, reason, this.file, { line: this.position.line, column: this.position.column });
	}

	/** In a value; the fast reader leaves every document with a control character to saxes (which places it). */
	private refuseControlCharacters(value: string, element: string): void {
		if (this.scanner) return;
		refuseControlCharacters(value, this.file, { line: this.position.line, column: this.position.column, element });
	}

	private checkDepth(name: string): void {
		if (this.stack.length < this.maxDepth) return;
		this.fail(
			'PARSE_ERROR',
			`element <${name}> is nested more than ${this.maxDepth} levels deep; no business document needs that many, the file is refused`,
		);
	}

	open(name: string, rawAttributes: Record<string, string>): void {
		this.checkDepth(name);
		const parent = this.stack[this.stack.length - 1];
		this.namespaces.enter(rawAttributes);
		const colon = name.indexOf(':');
		const local = localName(name, colon, this.namespaces.fail);
		const ns = this.namespaces.resolve(colon === -1 ? '' : name.slice(0, colon));
		const attributes = this.attributesOf(rawAttributes);
		const scanner = this.scanner;
		const el = scanner
			? new XmlElement(ns, intern(local), attributes, scanner.offset, NOT_LOCATED, parent)
			: new XmlElement(ns, intern(local), attributes, this.position.line, this.position.column, parent);
		if (this.pending && this.pending.element.parent === parent && el.name === this.pending.element.name) this.handOver(true);
		if (parent) {
			parent.dropBlankText();
			parent.addChild(el);
			this.interrupt();
		} else {
			this.root = el;
			if (scanner) LOCATORS.set(el, scanner);
		}
		this.stack.push(el);
		this.textState.push(0);
	}

	private attributesOf(raw: Record<string, string>): Record<string, string> {
		if (raw === NO_ATTRIBUTES_READ) return NO_ATTRIBUTES;
		let attributes: Record<string, string> | undefined;
		for (const name in raw) {
			if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
			const colon = name.indexOf(':');
			const local = localName(name, colon, this.namespaces.fail);
			if (colon !== -1) this.namespaces.resolve(name.slice(0, colon)); // an unbound prefix is an error, as in any namespace-aware parser
			const value = raw[name];
			this.refuseControlCharacters(value, `@${name}`);
			(attributes ??= {})[local] = value;
		}
		return attributes ?? NO_ATTRIBUTES;
	}

	text(t: string): void {
		const el = this.stack[this.stack.length - 1];
		if (!el) return; // whitespace outside the root element
		this.refuseControlCharacters(t, el.name);
		const depth = this.stack.length - 1;
		if (isBlank(t)) {
			if (el.children.length === 0) el.appendText(t);
			return;
		}
		if (this.textState[depth] === 2) el.markMixed(this.file, this.position.line, this.position.column);
		this.textState[depth] = 1;
		el.appendText(t);
	}

	/** A child element or comment follows the text seen so far in the open element. */
	interrupt(): void {
		const depth = this.stack.length - 1;
		if (this.textState[depth] === 1) this.textState[depth] = 2;
	}

	close(): void {
		const el = this.stack.pop()!;
		this.textState.pop();
		this.namespaces.leave();
		if (this.pending?.element.parent === el) this.handOver(this.pending.index > 1);
		const parent = el.parent;
		if (this.stream && parent && el.name === this.stream.name && this.stream.accept(el)) {
			parent.detachLastChild();
			const index = (this.streamed.get(parent) ?? 0) + 1;
			this.streamed.set(parent, index);
			this.pending = { element: el, index };
		}
	}

	private handOver(many: boolean): void {
		const { element, index } = this.pending!;
		this.pending = undefined;
		this.handedOver = true;
		element.fixStep(many ? `${element.name}[${index}]` : element.name);
		this.stream!.handle(element);
	}
}

/**
 * The namespace bindings in scope: per prefix a stack of URIs, pushed by the element that declares it and
 * popped when that element closes. Resolving is one map look-up, whatever the depth.
 */
class NamespaceScopes {
	private readonly bindings = new Map<string, string[]>([
		['xml', [XML_NAMESPACE]],
		['xmlns', [XMLNS_NAMESPACE]],
	]);
	/** per open element, the prefixes it declared (undefined when none) */
	private readonly declared: Array<string[] | undefined> = [];

	constructor(readonly fail: (reason: string) => never) {}

	enter(attributes: Record<string, string>): void {
		if (attributes === NO_ATTRIBUTES_READ) {
			this.declared.push(undefined);
			return;
		}
		let prefixes: string[] | undefined;
		for (const name in attributes) {
			if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
			const prefix = name === 'xmlns' ? '' : name.slice(6);
			if (name !== 'xmlns' && (prefix === '' || prefix.includes(':'))) this.fail(`malformed name: ${name}`);
			const uri = attributes[name];
			this.check(prefix, uri);
			const stack = this.bindings.get(prefix);
			if (stack) stack.push(uri);
			else this.bindings.set(prefix, [uri]);
			(prefixes ??= []).push(prefix);
		}
		this.declared.push(prefixes);
	}

	leave(): void {
		for (const prefix of this.declared.pop() ?? []) this.bindings.get(prefix)!.pop();
	}

	/** The URI a prefix is bound to ('' for no prefix and no default namespace); an unbound prefix fails. */
	resolve(prefix: string): string {
		const stack = this.bindings.get(prefix);
		const uri = stack && stack.length ? stack[stack.length - 1] : undefined;
		if (uri !== undefined) return uri;
		if (prefix === '') return '';
		return this.fail(`unbound namespace prefix: "${prefix}"`);
	}

	private check(prefix: string, uri: string): void {
		if (prefix === 'xmlns') this.fail('the prefix xmlns must not be declared');
		if (prefix === 'xml' && uri !== XML_NAMESPACE) this.fail(`the prefix xml must be bound to ${XML_NAMESPACE}`);
		if (prefix !== 'xml' && uri === XML_NAMESPACE) this.fail(`only the prefix xml may be bound to ${XML_NAMESPACE}`);
		if (uri === XMLNS_NAMESPACE) this.fail(`no prefix may be bound to ${XMLNS_NAMESPACE}`);
		if (prefix !== '' && uri === '') this.fail(`the prefix ${prefix} is bound to an empty namespace name`);
	}
}

/** The name without its prefix (`colon`: where the prefix ends, -1 when there is none). */
function localName(name: string, colon: number, fail: (reason: string) => never): string {
	if (colon === -1) return name;
	const local = name.slice(colon + 1);
	if (colon === 0 || local === '' || local.includes(':')) fail(`malformed name: ${name}`);
	return local;
}

function isBlank(text: string): boolean {
	for (let i = 0; i < text.length; i++) if (!isXmlSpace(text.charCodeAt(i))) return false;
	return true;
}

function cleanSaxesMessage(message: string): string {
	// saxes prefixes "line:column: "; the DocumentError carries the position itself
	return message.replace(/^(?:[^:]*:)?\d+:\d+:\s*/, '');
}
