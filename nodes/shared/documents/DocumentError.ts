/**
 * The one error type of the documents layer. Every parser throws it for bad input, naming the file and
 * the place (line/column, element path or record number) and saying what is wrong in plain words.
 */
export type DocumentErrorCode =
	| 'PARSE_ERROR'
	| 'ENCODING_ERROR'
	| 'ENTITY_NOT_ALLOWED'
	| 'UNSUPPORTED_FORMAT'
	| 'MISSING_FIELD'
	| 'INVALID_VALUE'
	| 'TOO_LARGE';

export interface DocumentPosition {
	line?: number;
	column?: number;
	/** an element path such as `DISPATCHNOTIFICATION_ITEM[2]/QUANTITY`, or a segment like `QTY` */
	element?: string;
	/** a 1-based record/row/segment number for line-oriented formats */
	record?: number;
}

export class DocumentError extends Error {
	readonly code: DocumentErrorCode;
	readonly file?: string;
	readonly position: DocumentPosition;
	readonly reason: string;

	constructor(code: DocumentErrorCode, reason: string, file?: string, position: DocumentPosition = {}) {
		super(DocumentError.describe(reason, file, position));
		this.name = 'DocumentError';
		this.code = code;
		this.reason = reason;
		this.file = file;
		this.position = position;
	}

	/** Returns a copy that names `file`, for parsers that learn the file name only from their caller. */
	inFile(file: string): DocumentError {
		if (this.file) return this;
		return new DocumentError(this.code, this.reason, file, this.position);
	}

	static describe(reason: string, file?: string, position: DocumentPosition = {}): string {
		const prefix = [file, DocumentError.where(position)].filter(Boolean).join(': ');
		return prefix ? `${prefix}: ${reason}` : reason;
	}

	/** The place in words, e.g. `line 12, column 4` or `record 7, at column "Menge"`; undefined when unknown. */
	static where(position: DocumentPosition): string | undefined {
		const parts: string[] = [];
		if (position.line !== undefined) parts.push(`line ${position.line}`);
		if (position.column !== undefined) parts.push(`column ${position.column}`);
		if (position.record !== undefined) parts.push(`record ${position.record}`);
		if (position.element) parts.push(`at ${position.element}`);
		return parts.length ? parts.join(', ') : undefined;
	}
}
