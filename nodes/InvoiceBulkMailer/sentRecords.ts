import type { ICheckProcessedOptions, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { SentLedger, type PreviousSend, type SentLookup } from './sentLedger';

/**
 * What this node has mailed, kept in n8n's processed-data store (`this.helpers.checkProcessedAndRecord`, the
 * `processed_data` table of n8n's database, which every main and worker shares — n8n's Remove Duplicates node
 * keeps its record there too). Written at the moment of each send, also in manual runs and whatever happens to
 * the execution afterwards, so a re-run, a killed worker's next run or another execution skips what went out.
 *
 * Per invoice number N, three values (the store keeps only their MD5):
 * - `claim N`, recorded right before the mail is handed to the SMTP server: whoever records it first mails N;
 * - `content N H`, recorded with the claim (one call): H is the content hash, so a skip can say whether the content changed;
 * - `delivered N`, recorded when the server accepted the mail.
 * A claim without `delivered` is an uncertain delivery (DELIVERY_UNCERTAIN, or a run that stopped while the mail
 * was on the wire): it counts as sent, only Send Again mails it again. A mail the server refused for good gives
 * back the claims it made.
 *
 * The store has no "look up without recording": a look-up records and then removes what was new. It is done
 * for `delivered` and `content` values only, never for claims, whose removal could undo another run's claim.
 *
 * Concurrency: n8n's store reads the node's whole record, adds to it and writes it back, without a transaction
 * or lock (n8n 2.41, `DeduplicationHelper.checkProcessedAndRecord`): two calls at the same time both see a value
 * as new, and one's additions can overwrite the other's. Every call of this node in this process is therefore
 * made one after another (`serialized`), which makes a claim atomic among all executions in one n8n process (the
 * default set-up, and all executions of one queue-mode worker). Between two processes n8n offers nodes no
 * atomic operation: see docs/durable-records.md.
 *
 * Bounded by n8n's `maxEntries`: beyond 150,000 values (50,000 invoices) the oldest are dropped.
 */

const STORE: ICheckProcessedOptions = { mode: 'entries', maxEntries: 150_000 };

const claimOf = (n: string) => `claim\u0000${n}`;
const deliveredOf = (n: string) => `delivered\u0000${n}`;
const contentOf = (n: string, hash: string) => `content\u0000${n}\u0000${hash}`;

type Helpers = Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed'>;

/** The node's calls to the store in this process, one after another (per workflow and node). */
const queues = new Map<string, Promise<unknown>>();

async function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
	const mine = (queues.get(key) ?? Promise.resolve()).then(work, work);
	const settled = mine.catch(() => undefined);
	queues.set(key, settled);
	try {
		return await mine;
	} finally {
		if (queues.get(key) === settled) queues.delete(key);
	}
}

export interface SendingInvoice {
	number: string;
	hash: string;
}

export interface Claim {
	/** the invoices this run mails now */
	granted: SendingInvoice[];
	/** of those, the ones claimed by this call (given back if the mail fails for good) */
	fresh: SendingInvoice[];
	/** the invoices another execution claimed first */
	taken: SendingInvoice[];
}

export class SentRecords implements SentLookup {
	private constructor(
		private readonly helpers: Helpers,
		private readonly key: string,
		/** the invoice numbers of this run that were delivered before */
		private readonly deliveredBefore: Set<string>,
	) {}

	/**
	 * Opens the record for the invoices of this run: carries over what an earlier version of the node kept in
	 * the workflow's static data (the static data entry is then removed), and looks the invoices up.
	 */
	static async open(ctx: IExecuteFunctions, invoiceNumbers: string[]): Promise<SentRecords> {
		const key = `${ctx.getWorkflow().id ?? ''}\u0000${ctx.getNode().id}`;
		const records = new SentRecords(ctx.helpers, key, new Set());
		await serialized(key, async () => {
			await records.carryOver(ctx.getWorkflowStaticData('node'));
			await records.lookUp([...new Set(invoiceNumbers.filter(Boolean))]);
		});
		return records;
	}

	/** The static-data ledger of earlier versions: every entry recorded here, as delivered or uncertain. */
	private async carryOver(staticData: IDataObject): Promise<void> {
		const legacy = new SentLedger(staticData);
		if (!legacy.stored) return;
		const values: string[] = [];
		for (const [number, entry] of legacy.entries()) {
			values.push(claimOf(number), contentOf(number, entry.hash));
			if (!entry.uncertain) values.push(deliveredOf(number));
		}
		for (let start = 0; start < values.length; start += 10_000) {
			await this.helpers.checkProcessedAndRecord(values.slice(start, start + 10_000), 'node', STORE);
		}
		legacy.forget();
	}

	/** Records `values` and takes back those that were new: which of them were recorded before. */
	private async probe(values: string[]): Promise<Set<string>> {
		const { processed } = await this.helpers.checkProcessedAndRecord(values, 'node', STORE);
		const seen = new Set(processed.map(String));
		const unseen = values.filter((v) => !seen.has(v));
		if (unseen.length) await this.helpers.removeProcessed(unseen, 'node', STORE);
		return seen;
	}

	private async lookUp(numbers: string[]): Promise<void> {
		if (!numbers.length) return;
		const seen = await this.probe(numbers.map(deliveredOf));
		for (const n of numbers) if (seen.has(deliveredOf(n))) this.deliveredBefore.add(n);
	}

	/** Delivered before (claimed but unconfirmed invoices are found by `claim`): whether the content changed since. */
	async previousSend(invoiceNumber: string, hash: string): Promise<PreviousSend | undefined> {
		if (!this.deliveredBefore.has(invoiceNumber)) return undefined;
		const same = await serialized(this.key, async () => (await this.probe([contentOf(invoiceNumber, hash)])).size > 0);
		return { contentChanged: !same };
	}

	/**
	 * Claims the invoices of one mail right before it is sent; with Send Again, all are granted. One call: the
	 * content values go with the claims (for an invoice another run claimed first, ours only makes a later
	 * "content changed" say less).
	 */
	async claim(invoices: SendingInvoice[], sendAgain: boolean): Promise<Claim> {
		return await serialized(this.key, async () => {
			const values = invoices.flatMap((i) => [claimOf(i.number), contentOf(i.number, i.hash)]);
			// a first record made by two processes at once: n8n's insert fails for one of them; the second try updates
			const result = await this.helpers
				.checkProcessedAndRecord(values, 'node', STORE)
				.catch(async () => await this.helpers.checkProcessedAndRecord(values, 'node', STORE));
			const mine = new Set(result.new.map(String));
			const fresh = invoices.filter((i) => mine.has(claimOf(i.number)));
			const granted = sendAgain ? invoices : fresh;
			return { granted, fresh, taken: invoices.filter((i) => !granted.includes(i)) };
		});
	}

	/** The server accepted the mail of these invoices. */
	async delivered(invoices: SendingInvoice[]): Promise<void> {
		await serialized(this.key, async () => {
			await this.helpers.checkProcessedAndRecord(invoices.map((i) => deliveredOf(i.number)), 'node', STORE);
		});
	}

	/** The mail was not sent (refused for good, or never handed over): the claims this run made are given back. */
	async giveBack(invoices: SendingInvoice[]): Promise<void> {
		if (!invoices.length) return;
		await serialized(this.key, async () => {
			await this.helpers.removeProcessed(invoices.flatMap((i) => [claimOf(i.number), contentOf(i.number, i.hash)]), 'node', STORE);
		});
	}
}
