import type { IDataObject } from 'n8n-workflow';

import { BoundedStore } from '../shared/boundedStore';

/**
 * What this node has mailed, kept in the workflow's static data (`getWorkflowStaticData('node')`): invoice
 * number → content hash and time. A re-run — after the workflow stopped halfway, or with the same invoices
 * fed in again — skips every invoice found here as "already sent".
 *
 * Keyed by the invoice number alone: §14 Abs. 4 Nr. 4 UStG makes the number identify the invoice, and a
 * customer who got invoice RE-17 must not get a second, different RE-17 because a field changed in the ERP.
 * The hash tells whether the content changed since, so the Skipped item can say so (the user then decides
 * and sets "Send Again").
 *
 * Bounded: the oldest entries are dropped beyond `limit` (default 50,000, about 2 MB of static data, which
 * n8n stores with the workflow). Entries are kept in insertion order, so the oldest come first.
 *
 * Note on n8n: static data is saved after runs of an active workflow (trigger, schedule, webhook, sub-workflow
 * call), also when the run failed — not after manual runs from the editor.
 */

const KEY = 'sentInvoices';
/** the third word of an entry whose delivery is uncertain */
const UNCERTAIN = 'uncertain';

export interface SentRecord {
	/** the first 16 hex digits of the SHA-256 of the invoice content */
	hash: string;
	/** when the server accepted the mail (or, for an uncertain delivery, when it was handed over) */
	sentAt: Date;
	/** the connection was lost after the whole mail went out, before the server's reply: it may have arrived */
	uncertain?: boolean;
}

/**
 * What this process mailed, per node of a workflow: n8n gives every execution its own copy of the static data
 * and saves it when the execution ends, the last one over the others. An execution that overlapped another
 * one would therefore not see the other's mails (and mail them again), and its save would drop them from the
 * ledger. So every sent invoice is also noted here, and an execution that starts takes over what is noted
 * for its node (see `adoptFromProcess`); the executions of one node run one at a time (processLock.ts).
 * Bounded like the ledger. Lost with the process — together with every execution that could have missed it.
 */
const mailedByProcess = new Map<string, Map<string, string>>();

export class SentLedger {
	private readonly store: BoundedStore<string>;
	private readonly mailedHere?: Map<string, string>;

	constructor(
		private readonly staticData: IDataObject,
		private readonly limit = 50_000,
		/** workflow and node, for the record of this process; none for manual runs (n8n does not save their static data) */
		processKey?: string,
	) {
		// attached to the static data only when something is recorded: a dry run leaves it untouched
		this.store = new BoundedStore<string>(staticData, { key: KEY, limit, shape: { kind: 'object' }, isValue: (v): v is string => typeof v === 'string' });
		if (processKey !== undefined) {
			this.mailedHere = mailedByProcess.get(processKey) ?? new Map<string, string>();
			mailedByProcess.set(processKey, this.mailedHere);
		}
	}

	/** Takes over what other executions of this node in this process mailed and this copy of the static data lacks. */
	adoptFromProcess(): void {
		let adopted = false;
		for (const [invoiceNumber, entry] of this.mailedHere ?? []) {
			if (this.store.get(invoiceNumber) === entry) continue;
			this.store.record(invoiceNumber, entry);
			adopted = true;
		}
		if (adopted) this.staticData.lastSentAt = new Date().toISOString();
	}

	get count(): number {
		return this.store.size;
	}

	lookup(invoiceNumber: string): SentRecord | undefined {
		const entry = this.store.get(invoiceNumber);
		if (entry === undefined) return undefined;
		const [hash, seconds, mark] = entry.split(' ');
		return { hash, sentAt: new Date(Number(seconds) * 1000), ...(mark === UNCERTAIN ? { uncertain: true } : {}) };
	}

	/**
	 * Notes a sent invoice; call it right after the server accepted the mail — or right after a delivery became
	 * uncertain (`uncertain`), which counts as sent too: only Send Again mails it once more. A re-sent invoice
	 * becomes the newest entry; beyond the limit the oldest are dropped.
	 */
	record(invoiceNumber: string, hash: string, sentAt = new Date(), uncertain = false): void {
		const entry = `${hash} ${Math.floor(sentAt.getTime() / 1000)}${uncertain ? ` ${UNCERTAIN}` : ''}`;
		this.store.record(invoiceNumber, entry);
		if (this.mailedHere) {
			this.mailedHere.delete(invoiceNumber);
			this.mailedHere.set(invoiceNumber, entry);
			// the oldest first out, as in the ledger
			for (const oldest of this.mailedHere.keys()) {
				if (this.mailedHere.size <= this.limit) break;
				this.mailedHere.delete(oldest);
			}
		}
		// n8n notices changes of the top level only (nested objects it did not load are plain), and saves
		// static data only when it noticed one
		this.staticData.lastSentAt = sentAt.toISOString();
	}
}
