import type { IDataObject } from 'n8n-workflow';

import { BoundedStore } from '../shared/boundedStore';

/**
 * The "already sent" record of versions up to 0.1, kept in the workflow's static data
 * (`getWorkflowStaticData('node')`): invoice number → content hash and time. The node now keeps this record in
 * n8n's database (sentRecords.ts), which n8n writes at once and shares between processes; this class reads what
 * an earlier version left in static data, once, so that an upgrade mails nothing twice.
 *
 * Keyed by the invoice number alone: §14 Abs. 4 Nr. 4 UStG makes the number identify the invoice, and a
 * customer who got invoice RE-17 must not get a second, different RE-17 because a field changed in the ERP.
 * The hash tells whether the content changed since, so the Skipped item can say so (the user then decides
 * and sets "Send Again").
 *
 * Bounded: the oldest entries are dropped beyond `limit` (default 50,000, about 2 MB of static data, which
 * n8n stores with the workflow). Entries are kept in insertion order, so the oldest come first.
 */

/** What the record says about an invoice mailed before. */
export interface PreviousSend {
	/** when, if the record knows */
	sentAt?: Date;
	contentChanged: boolean;
	/** the earlier delivery was uncertain (DELIVERY_UNCERTAIN) */
	uncertain?: boolean;
}

/** How planning asks whether an invoice was mailed before. */
export interface SentLookup {
	previousSend(invoiceNumber: string, hash: string): Promise<PreviousSend | undefined>;
}

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

export class SentLedger implements SentLookup {
	private readonly store: BoundedStore<string>;

	constructor(
		private readonly staticData: IDataObject,
		limit = 50_000,
	) {
		// attached to the static data only when something is recorded: a dry run leaves it untouched
		this.store = new BoundedStore<string>(staticData, { key: KEY, limit, shape: { kind: 'object' }, isValue: (v): v is string => typeof v === 'string' });
	}

	get count(): number {
		return this.store.size;
	}

	/** Whether the static data holds such a record at all. */
	get stored(): boolean {
		return this.store.stored;
	}

	/** Every entry, oldest first. */
	entries(): Array<[string, SentRecord]> {
		return this.store.entries().map(([number]) => [number, this.lookup(number)!]);
	}

	/** Removes the record from the static data (it was carried over). */
	forget(): void {
		delete this.staticData[KEY];
		delete this.staticData.lastSentAt;
	}

	async previousSend(invoiceNumber: string, hash: string): Promise<PreviousSend | undefined> {
		const entry = this.lookup(invoiceNumber);
		if (!entry) return undefined;
		return { sentAt: entry.sentAt, contentChanged: entry.hash !== hash, ...(entry.uncertain ? { uncertain: true } : {}) };
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
		this.store.record(invoiceNumber, `${hash} ${Math.floor(sentAt.getTime() / 1000)}${uncertain ? ` ${UNCERTAIN}` : ''}`);
		// n8n notices changes of the top level only (nested objects it did not load are plain), and saves
		// static data only when it noticed one
		this.staticData.lastSentAt = sentAt.toISOString();
	}
}
