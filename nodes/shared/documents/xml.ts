import { SaxesParser, type SaxesTagNS } from 'saxes';

import { DocumentError } from './DocumentError';

/**
 * A small, safe, namespace-aware XML tree for business documents.
 *
 * Safety: any document type declaration (`<!DOCTYPE …>`) is refused before anything in it is read, so no
 * external entity is fetched and no entity is expanded (XXE, "billion laughs"). openTRANS, camt.053, CII
 * and the other formats of this package never need a DTD. Only the five predefined XML entities and
 * character references are understood.
 */
export class XmlElement {
	readonly children: XmlElement[] = [];
	private textParts: string[] = [];

	constructor(
		/** namespace URI ('' when none) */
		readonly ns: string,
		/** local name without prefix */
		readonly name: string,
		/** attributes by local name */
		readonly attributes: Record<string, string>,
		readonly line: number,
		readonly column: number,
		readonly parent?: XmlElement,
	) {}

	/** @internal used by the parser */
	appendText(text: string): void {
		this.textParts.push(text);
	}

	/** The element's own text (not its children's), trimmed. */
	get text(): string {
		return this.textParts.join('').trim();
	}

	/** The element's own text exactly as written. */
	get rawText(): string {
		return this.textParts.join('');
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
		const same = this.parent.children.filter((c) => c.name === this.name);
		const step = same.length > 1 ? `${this.name}[${same.indexOf(this) + 1}]` : this.name;
		return `${this.parent.path}/${step}`;
	}
}

/** Parses XML text into a tree. Throws DocumentError with line and column for malformed or unsafe input. */
export function parseXml(text: string, file?: string): XmlElement {
	const parser = new SaxesParser({ xmlns: true, position: true });
	const stack: XmlElement[] = [];
	let root: XmlElement | undefined;

	const fail = (code: 'PARSE_ERROR' | 'ENTITY_NOT_ALLOWED', reason: string): never => {
		throw new DocumentError(code, reason, file, { line: parser.line, column: parser.column });
	};

	parser.on('doctype', () =>
		fail(
			'ENTITY_NOT_ALLOWED',
			'the document has a DOCTYPE declaration; DTDs and entities are refused (no external entity is fetched or expanded)',
		),
	);
	parser.on('opentag', (tag) => {
		const t = tag as SaxesTagNS;
		const attributes: Record<string, string> = {};
		for (const a of Object.values(t.attributes)) {
			if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
			attributes[a.local] = a.value;
		}
		const el = new XmlElement(t.uri ?? '', t.local, attributes, parser.line, parser.column, stack[stack.length - 1]);
		if (stack.length) stack[stack.length - 1].children.push(el);
		else root = el;
		stack.push(el);
	});
	parser.on('text', (t) => stack[stack.length - 1]?.appendText(t));
	parser.on('cdata', (t) => stack[stack.length - 1]?.appendText(t));
	parser.on('closetag', () => {
		stack.pop();
	});
	parser.on('error', (e) => fail('PARSE_ERROR', cleanSaxesMessage(e.message)));

	let failure: unknown;
	try {
		parser.write(text).close();
	} catch (e) {
		failure = e;
	}
	if (failure instanceof DocumentError) throw failure;
	if (failure) fail('PARSE_ERROR', cleanSaxesMessage((failure as Error).message));
	if (!root) return fail('PARSE_ERROR', 'the document has no root element');
	return root;
}

function cleanSaxesMessage(message: string): string {
	// saxes prefixes "line:column: "; the DocumentError carries the position itself
	return message.replace(/^(?:[^:]*:)?\d+:\d+:\s*/, '');
}
