import { DocumentError } from '../DocumentError';

/**
 * How large a payment file may be. The largest real statements (a month of a busy account as camt.053) are a
 * few tens of megabytes; a file far above that is a wrong file or an attack, and reading it would take the
 * workflow's memory. Each parser looks at the size first, before it decodes a byte.
 */
export const DEFAULT_MAX_PAYMENT_FILE_BYTES = 100 * 1024 * 1024;

export interface ParseLimits {
	/** default 100 MiB */
	maxBytes?: number;
}

export function refuseTooLarge(bytes: Uint8Array, format: string, file: string | undefined, limits: ParseLimits = {}): void {
	const limit = limits.maxBytes ?? DEFAULT_MAX_PAYMENT_FILE_BYTES;
	if (bytes.length <= limit) return;
	throw new DocumentError(
		'TOO_LARGE',
		`the ${format} file has ${bytes.length} bytes, more than the ${limit} bytes a payment file may have; it is not read`,
		file,
	);
}
