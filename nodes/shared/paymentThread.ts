import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { DocumentError, type DocumentErrorCode, type DocumentPosition } from './documents/DocumentError';
import { parsePaymentFile, type ParsePaymentFileOptions, type PaymentFile, type PaymentFormat } from './documents/payments';
import type { ThreadReply, ThreadRequest } from './paymentThreadWorker';
import { processWide } from './processLock';

/**
 * Payment files parsed on a thread of their own, while the node's thread downloads the next files: parsing is
 * most of an import's CPU (about 0.6 ms per camt.053 file of 6 KB, against 1 ms for its download), and on one
 * thread the two only took turns. One thread per n8n process, started at the first import and kept; it holds
 * the process open only while it parses.
 *
 * The same results as on the calling thread: the payments are plain data, copied across; a DocumentError comes
 * back as the DocumentError it was (code, reason, file, position). Where the compiled thread is not there (the
 * sources run through ts-jest) or the thread fails, files are parsed on the calling thread instead.
 */

/** Parses the files of one run, all with the same format and options. */
export interface PaymentParser {
	parse(bytes: Buffer, fileName: string): Promise<PaymentFile>;
	/** the run is over: the thread forgets its options */
	end(): void;
}

/** The options of a run, without the file's name (given per file). */
export type RunParseOptions = Omit<ParsePaymentFileOptions, 'fileName'>;

const WORKER_FILE = path.join(__dirname, 'paymentThreadWorker.js');

interface Job {
	resolve(file: PaymentFile): void;
	reject(error: Error): void;
	/** parses on the calling thread: when the thread fails */
	here(): PaymentFile;
}

class PaymentThread {
	private readonly worker: Worker;
	private readonly jobs = new Map<number, Job>();
	private nextId = 1;
	failed = false;

	constructor() {
		this.worker = new Worker(WORKER_FILE);
		this.worker.unref();
		this.worker.on('message', (reply: ThreadReply) => this.answer(reply));
		this.worker.on('error', () => this.fail());
		this.worker.on('exit', () => this.fail());
	}

	newRun(format: PaymentFormat | 'auto', options: RunParseOptions): number {
		const run = this.nextId++;
		this.post({ type: 'run', run, format, options });
		return run;
	}

	parse(run: number, bytes: Buffer, fileName: string, here: () => PaymentFile): Promise<PaymentFile> {
		const id = this.nextId++;
		return new Promise<PaymentFile>((resolve, reject) => {
			this.jobs.set(id, { resolve, reject, here });
			if (this.jobs.size === 1) this.worker.ref();
			this.post({ type: 'parse', id, run, bytes, fileName });
		});
	}

	endRun(run: number): void {
		this.post({ type: 'end', run });
	}

	private post(request: ThreadRequest): void {
		if (!this.failed) this.worker.postMessage(request);
	}

	private answer(reply: ThreadReply): void {
		const job = this.jobs.get(reply.id);
		if (!job) return;
		this.jobs.delete(reply.id);
		if (this.jobs.size === 0) this.worker.unref();
		if (reply.ok) job.resolve(reply.file);
		else job.reject(rebuiltError(reply.error));
	}

	/** The thread failed: every file it had is parsed here; the next run starts a new thread. */
	private fail(): void {
		if (this.failed) return;
		this.failed = true;
		for (const job of this.jobs.values()) {
			try {
				job.resolve(job.here());
			} catch (error) {
				job.reject(error as Error);
			}
		}
		this.jobs.clear();
		void this.worker.terminate().catch(() => undefined);
	}
}

const shared = processWide<{ thread?: PaymentThread }>('paymentThread', () => ({}));

function thread(): PaymentThread | undefined {
	if (shared.thread && !shared.thread.failed) return shared.thread;
	if (!existsSync(WORKER_FILE)) return undefined;
	try {
		shared.thread = new PaymentThread();
	} catch {
		return undefined;
	}
	return shared.thread;
}

/** A parser for one run: on the shared thread where there is one, else on the calling thread. */
export function paymentParser(format: PaymentFormat | 'auto', options: RunParseOptions, onThread = true): PaymentParser {
	const here = (bytes: Buffer, fileName: string) => parsePaymentFile(bytes, format, { ...options, fileName });
	const worker = onThread ? thread() : undefined;
	if (!worker) return { parse: async (bytes, fileName) => here(bytes, fileName), end: () => undefined };
	const run = worker.newRun(format, options);
	return {
		parse: async (bytes, fileName) => await worker.parse(run, bytes, fileName, () => here(bytes, fileName)),
		end: () => worker.endRun(run),
	};
}

/** An error as the thread described it, rebuilt: a DocumentError as itself. */
function rebuiltError(error: { message: string; document?: { code: DocumentErrorCode; reason: string; file?: string; position: DocumentPosition } }): Error {
	const d = error.document;
	return d ? new DocumentError(d.code, d.reason, d.file, d.position) : new Error(error.message);
}
