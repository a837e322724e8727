import { DocumentError } from './DocumentError';

/**
 * The largest file a parser of this package reads: 64 MiB. Business documents are far smaller (a delivery note
 * of 10,000 lines is about 2 MB of DESADV, 10 MB of openTRANS); the limit exists so that a runaway export or a
 * hostile file is refused before it is decoded, not after it has filled the memory of the n8n process.
 */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/**
 * Throws TOO_LARGE, naming the file, when `size` exceeds `limit`. Call it before reading the input: with the
 * byte length of a file, or with the length of a text in characters (`unit`).
 */
export function refuseTooLarge(
	size: number,
	file: string | undefined,
	limit = MAX_DOCUMENT_BYTES,
	unit: 'bytes' | 'characters' = 'bytes',
): void {
	if (size <= limit) return;
	const count = (n: number) => `${n.toLocaleString('en-US')} ${unit}`;
	const allowed = unit === 'bytes' && limit >= 1024 ? `${megabytes(limit)} (${count(limit)})` : count(limit);
	throw new DocumentError('TOO_LARGE', `the file has ${count(size)}, more than the ${allowed} a document may have; it was not read`, file);
}

function megabytes(n: number): string {
	return n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MB` : `${+(n / 1024).toFixed(1)} KB`;
}
