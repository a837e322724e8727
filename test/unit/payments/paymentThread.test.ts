/**
 * The payment files of an import parsed on a thread of their own (nodes/shared/paymentThread.ts): the same
 * payments, and the same errors, as on the calling thread. The thread runs compiled code, so this test takes the
 * package's build (dist/, made by `npm test` before jest) and compares it with the sources parsing on this thread.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import { parsePaymentFile, type PaymentFile } from '../../../nodes/shared/documents/payments';
import type { PaymentParser, RunParseOptions } from '../../../nodes/shared/paymentThread';

const dist = path.resolve(__dirname, '../../../dist/nodes/shared/paymentThread.js');
const fixtures = path.resolve(__dirname, '../../fixtures');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const built = () => require(dist) as { paymentParser(format: string, options: RunParseOptions, onThread?: boolean): PaymentParser };
const threadSlot = () => (globalThis as Record<symbol, { thread?: { failed: boolean } } | undefined>)[Symbol.for('n8n-nodes-backoffice.paymentThread')];

/** Every payment file among the fixtures: camt.052/053/054, MT940, DATEV (one of them damaged on purpose). */
function paymentFixtures(): string[] {
	const files: string[] = [];
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else if (/\.(xml|sta|csv)$/.test(entry.name)) files.push(full);
		}
	};
	for (const dir of ['camt053', 'camt05x', 'mt940', 'datev']) walk(path.join(fixtures, dir));
	return files.sort();
}

type Result = { file: PaymentFile } | { error: { name: string; message: string; code?: string; reason?: string; file?: string; position?: unknown } };

const described = (error: unknown): Result => {
	const e = error as DocumentError;
	return { error: { name: e.name, message: e.message, code: e.code, reason: e.reason, file: e.file, position: e.position && { ...e.position } } };
};

const options: RunParseOptions = { knownInvoiceNumbers: ['RE-2024-0042', '2025-0102', '4711'], defaultCurrency: 'EUR' };

describe('payment files parsed on a thread of their own', () => {
	beforeAll(() => {
		if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` (npm test builds first)`);
	});

	it('gives every fixture the same payments, and every damaged one the same error (code, reason, file, position), as the calling thread', async () => {
		const files = paymentFixtures();
		expect(files.length).toBeGreaterThan(20);
		const parser = built().paymentParser('auto', options);
		try {
			const onThread = await Promise.all(
				files.map(async (f) => await parser.parse(readFileSync(f), path.basename(f)).then((file): Result => ({ file }), described)),
			);
			const here = files.map((f): Result => {
				try {
					return { file: parsePaymentFile(readFileSync(f), 'auto', { ...options, fileName: path.basename(f) }) };
				} catch (error) {
					return described(error);
				}
			});
			expect(onThread).toEqual(here);
			// both kinds were compared: files read, and files refused with a DocumentError
			expect(here.filter((r) => 'file' in r).length).toBeGreaterThan(15);
			expect(here.filter((r) => 'error' in r && r.error.name === 'DocumentError').length).toBeGreaterThan(0);
		} finally {
			parser.end();
		}
		// it ran on the thread, which is still there for the next run
		expect(threadSlot()?.thread?.failed).toBe(false);
	});

	it('rebuilds a DocumentError as one, naming the file and the place', async () => {
		const parser = built().paymentParser('camt053', {});
		const damaged = Buffer.from(readFileSync(path.join(fixtures, 'camt053', 'camt053.v2.minimal.xml'), 'utf8').replace('</Ntry>', '</Entry>'));
		try {
			const error = await parser.parse(damaged, 'kaputt.xml').then(
				() => undefined,
				(e: unknown) => e as DocumentError,
			);
			expect(error?.name).toBe('DocumentError');
			expect(error?.message).toMatch(/^kaputt\.xml: line \d+/);
			expect(error?.position.line).toBeGreaterThan(1);
		} finally {
			parser.end();
		}
	});

	it('parses on the calling thread when asked to, with the same results', async () => {
		const bytes = readFileSync(path.join(fixtures, 'camt053', 'camt053.v8.batch.xml'));
		const [a, b] = [built().paymentParser('auto', options, false), built().paymentParser('auto', options)];
		try {
			expect(await a.parse(bytes, 'batch.xml')).toEqual(await b.parse(bytes, 'batch.xml'));
		} finally {
			a.end();
			b.end();
		}
	});
});
