import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DocumentError } from '../../../nodes/shared/documents/DocumentError';

/** Where the generated PDFs are left for a human to look at (git-ignored). */
export const TMP = join(__dirname, '..', '..', '.tmp', 'invoices');

export function keep(name: string, bytes: Uint8Array): string {
	mkdirSync(TMP, { recursive: true });
	const path = join(TMP, name);
	writeFileSync(path, bytes);
	return path;
}

/** Runs one of poppler-utils' tools and returns what it printed; a failure of the tool fails the test. */
export function poppler(tool: 'pdftotext' | 'pdffonts' | 'pdfinfo', ...args: string[]): string {
	const result = spawnSync(tool, args, { encoding: 'utf8' });
	if (result.error) throw result.error;
	if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr}`);
	return result.stdout;
}

/** The PDF's text as `pdftotext -layout` extracts it, one string per page (pages are split at form feeds). */
export function pdfPages(path: string): string[] {
	const text = poppler('pdftotext', '-layout', '-enc', 'UTF-8', path, '-');
	return text.split('\f').slice(0, -1);
}

export function documentErrorOf(run: () => unknown): DocumentError {
	try {
		run();
	} catch (e) {
		if (e instanceof DocumentError) return e;
		throw new Error(`expected a DocumentError, got ${String(e)}`);
	}
	throw new Error('expected a DocumentError, but nothing was thrown');
}
