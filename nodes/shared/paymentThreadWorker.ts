import { parentPort } from 'node:worker_threads';

import { DocumentError, type DocumentErrorCode, type DocumentPosition } from './documents/DocumentError';
import { parsePaymentFile, type PaymentFile, type PaymentFormat } from './documents/payments';
import type { RunParseOptions } from './paymentThread';

/** The thread of paymentThread.ts: parses what it is sent, with the options of the file's run. */

export type ThreadRequest =
	| { type: 'run'; run: number; format: PaymentFormat | 'auto'; options: RunParseOptions }
	| { type: 'parse'; id: number; run: number; bytes: Uint8Array; fileName: string }
	| { type: 'end'; run: number };

export type ThreadReply =
	| { id: number; ok: true; file: PaymentFile }
	| { id: number; ok: false; error: { message: string; document?: { code: DocumentErrorCode; reason: string; file?: string; position: DocumentPosition } } };

const runs = new Map<number, { format: PaymentFormat | 'auto'; options: RunParseOptions }>();

function handle(request: ThreadRequest): ThreadReply | undefined {
	if (request.type === 'run') {
		runs.set(request.run, { format: request.format, options: request.options });
		return undefined;
	}
	if (request.type === 'end') {
		runs.delete(request.run);
		return undefined;
	}
	const run = runs.get(request.run);
	try {
		if (!run) throw new Error('the parse thread does not know this run');
		return { id: request.id, ok: true, file: parsePaymentFile(Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength), run.format, { ...run.options, fileName: request.fileName }) };
	} catch (error) {
		const document = error instanceof DocumentError ? { code: error.code, reason: error.reason, file: error.file, position: { ...error.position } } : undefined;
		return { id: request.id, ok: false, error: { message: error instanceof Error ? error.message : String(error), document } };
	}
}

parentPort?.on('message', (request: ThreadRequest) => {
	const reply = handle(request);
	if (reply) parentPort?.postMessage(reply);
});
