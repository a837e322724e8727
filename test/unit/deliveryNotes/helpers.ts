import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DocumentError, type DocumentErrorCode } from '../../../nodes/shared/documents/DocumentError';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures');

export function fixture(...path: string[]): Buffer {
	return readFileSync(join(FIXTURES, ...path));
}

/** Runs `parse`, which must throw a DocumentError, and returns it so that a test can check code and position. */
export function documentErrorOf(parse: () => unknown): DocumentError {
	try {
		parse();
	} catch (e) {
		if (e instanceof DocumentError) return e;
		throw new Error(`expected a DocumentError, got ${String(e)}`);
	}
	throw new Error('expected a DocumentError, but nothing was thrown');
}

export function expectDocumentError(parse: () => unknown, code: DocumentErrorCode, message: RegExp): DocumentError {
	const error = documentErrorOf(parse);
	expect(error.code).toBe(code);
	expect(error.message).toMatch(message);
	return error;
}
