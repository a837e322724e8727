import { DocumentError } from '../DocumentError';
import { isCalendarDate, withoutEmpty } from '../deliveryNotes/values';
import { refuseControlCharacters } from '../text';
import type { XmlElement } from '../xml';
import type { SourcePosition } from './types';

/**
 * What the CII and UBL readers share: following paths in the XML tree, and reading a term's text, decimal or
 * date while noting where it was read (the checks name that element). A malformed decimal or date is refused
 * with the file, line and column — a document with "12,50" as an amount is not an EN 16931 invoice, and no
 * guess is made about what it meant.
 */

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * The first element along a path of local names. A step may name alternatives (`A|B`): CII 2.x and ZUGFeRD 1.0
 * call the same containers differently, and one path then serves both.
 */
export function at(element: XmlElement | undefined, path: string): XmlElement | undefined {
	let current = element;
	for (const step of path.split('/')) {
		if (!current) return undefined;
		const names = step.split('|');
		current = current.children.find((child) => names.includes(child.name));
	}
	return current;
}

/** Every element reached by the path, all matches at each step (alternatives as in `at`). */
export function allAt(element: XmlElement | undefined, path: string): XmlElement[] {
	let level: XmlElement[] = element ? [element] : [];
	for (const step of path.split('/')) {
		const names = step.split('|');
		level = level.flatMap((e) => e.children.filter((child) => names.includes(child.name)));
	}
	return level;
}

/**
 * Where each term of the model was read. The element's readable path is worked out only when a problem asks
 * for it: building it walks the siblings at every level, which for every term of a 5,000-line invoice would
 * make reading quadratic.
 */
export class SourceMap {
	private readonly elements = new Map<string, XmlElement>();

	note(field: string, element: XmlElement): void {
		this.elements.set(field, element);
	}

	get(field: string): SourcePosition | undefined {
		const element = this.elements.get(field);
		return element && { element: element.path, line: element.line, column: element.column };
	}

	get fields(): string[] {
		return [...this.elements.keys()];
	}
}

export class Reading {
	readonly sources = new SourceMap();

	constructor(readonly file: string | undefined) {}

	/** The trimmed text of the element (undefined when missing or empty), noted as the source of `field`. */
	text(element: XmlElement | undefined, field?: string): string | undefined {
		if (!element) return undefined;
		const value = element.text;
		if (value === '') return undefined;
		refuseControlCharacters(value, this.file, { line: element.line, column: element.column });
		if (field) this.note(field, element);
		return value;
	}

	/** An attribute's trimmed value, undefined when missing or empty. */
	attribute(element: XmlElement | undefined, name: string): string | undefined {
		const value = element?.attributes[name]?.trim();
		return value ? value : undefined;
	}

	/** A decimal exactly as written (without blanks and a leading +), or a DocumentError at its place. */
	decimal(element: XmlElement | undefined, field: string): string | undefined {
		const value = this.text(element, field);
		if (value === undefined) return undefined;
		if (!DECIMAL.test(value)) {
			throw new DocumentError('INVALID_VALUE', `"${value}" is not a decimal number (${field})`, this.file, this.position(element!));
		}
		return value.replace(/^\+/, '');
	}

	/** A date as `YYYYMMDD` (CII format 102) or `YYYY-MM-DD` (UBL), as ISO 8601. */
	date(element: XmlElement | undefined, field: string): string | undefined {
		const value = this.text(element, field);
		if (value === undefined) return undefined;
		const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value);
		if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
			throw new DocumentError('INVALID_VALUE', `"${value}" is not a calendar date (${field})`, this.file, this.position(element!));
		}
		return `${m[1]}-${m[2]}-${m[3]}`;
	}

	note(field: string, element: XmlElement): void {
		this.sources.note(field, element);
	}

	position(element: XmlElement): { line: number; column: number; element: string } {
		return { line: element.line, column: element.column, element: element.path };
	}
}

/** An object that has at least one defined property, else undefined: an empty `<Contact/>` is no contact. */
export function nonEmpty<T extends object>(value: T): T | undefined {
	const kept = withoutEmpty(value);
	return Object.keys(kept).length > 0 ? kept : undefined;
}
