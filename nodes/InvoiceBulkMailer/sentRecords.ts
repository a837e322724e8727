import type { ICheckProcessedOptions, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { confirmLease, releaseLease, section, tryLease } from '../shared/transports/n8nDatabaseLock';
import { SentLedger, type PreviousSend, type SentLookup } from './sentLedger';

/**
 * What this node has mailed, kept in n8n's processed-data store (`this.helpers.checkProcessedAndRecord`, the
 * `processed_data` table of n8n's database, which every main and worker shares — n8n's Remove Duplicates node
 * keeps its record there too). Written at the moment of each send, also in manual runs and whatever happens to
 * the execution afterwards, so a re-run, a killed worker's next run or another execution skips what went out.
 *
 * Per invoice number N (the store keeps only the values' MD5):
 * - `claim N`, recorded when a run takes N on: whoever records it first mails N;
 * - `pending N`, recorded with the claim and removed right before the mail is handed to the SMTP server: a
 *   claim still pending whose holder is gone was never sent, and a later run takes it over and mails it;
 * - `content N H`, recorded with the claim: H is the content hash, so a skip can say whether the content changed;
 * - `delivered N`, recorded when the server accepted the mail.
 * A claim neither pending nor delivered is an uncertain delivery (DELIVERY_UNCERTAIN, or a run that stopped
 * while the mail was on the wire): it counts as sent, only Send Again mails it again. A mail the server refused
 * for good gives back the claims it made. Claims of earlier versions carry no `pending`: they count as handed over.
 *
 * Atomic across processes: n8n's store reads the node's whole record, adds to it and writes it back, without a
 * transaction or lock (n8n 2.41). Every call of this node is therefore made inside a `section` of the workflow
 * and node: a PostgreSQL advisory lock in n8n's own database when n8n runs on PostgreSQL (queue mode: every
 * main and worker), this process's own turn on SQLite (one process). Who is sending a pending claim right now
 * is told by a `lease` per invoice, which PostgreSQL frees when its holder's connection ends (n8nDatabaseLock.ts).
 *
 * Bounded by n8n's `maxEntries`: beyond 150,000 values (about 40,000 invoices) the oldest are dropped.
 */

const STORE: ICheckProcessedOptions = { mode: 'entries', maxEntries: 150_000 };

const claimOf = (n: string) => `claim\u0000${n}`;
const pendingOf = (n: string) => `pending\u0000${n}`;
const deliveredOf = (n: string) => `delivered\u0000${n}`;
const contentOf = (n: string, hash: string) => `content\u0000${n}\u0000${hash}`;

type Helpers = Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed'>;

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
		await section(key, async () => {
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
		const same = await section(this.key, async () => (await this.probe([contentOf(invoiceNumber, hash)])).size > 0);
		return { contentChanged: !same };
	}

	/** leases this run holds: invoice number → lease key */
	private readonly held = new Map<string, string>();

	private leaseOf(invoiceNumber: string): string {
		return `${this.key}\u0000${invoiceNumber}`;
	}

	/** The store's call; a first record made by two processes at once: n8n's insert fails for one, the second try updates. */
	private async record(values: string[]): Promise<Set<string>> {
		const result = await this.helpers
			.checkProcessedAndRecord(values, 'node', STORE)
			.catch(async () => await this.helpers.checkProcessedAndRecord(values, 'node', STORE));
		return new Set(result.new.map(String));
	}

	/** Takes the invoice's lease for this run: false while another run (here or in another process) holds it. */
	private async lease(invoiceNumber: string): Promise<boolean> {
		if (this.held.has(invoiceNumber)) return true;
		if (!(await tryLease(this.leaseOf(invoiceNumber)))) return false;
		this.held.set(invoiceNumber, this.leaseOf(invoiceNumber));
		return true;
	}

	/**
	 * Claims the invoices of one mail before it is made. An invoice is this run's when its claim is new, or when
	 * it is still pending and nobody holds its lease (its holder stopped before handing it over: taken over).
	 * With Send Again, all are granted. One call records claims, pending marks and content values.
	 */
	async claim(invoices: SendingInvoice[], sendAgain: boolean): Promise<Claim> {
		return await section(this.key, async () => {
			const isNew = await this.record(invoices.flatMap((i) => [claimOf(i.number), pendingOf(i.number), contentOf(i.number, i.hash)]));
			const claim: Claim = { granted: [], fresh: [], taken: [] };
			const undo: string[] = [];
			for (const invoice of invoices) {
				const newClaim = isNew.has(claimOf(invoice.number));
				const wasPending = !isNew.has(pendingOf(invoice.number));
				// a claim handed over before (delivered or uncertain) gets no pending mark from us, unless sent again
				if (!newClaim && !wasPending && !sendAgain) undo.push(pendingOf(invoice.number));
				const mine = (newClaim || wasPending) && (await this.lease(invoice.number));
				if (newClaim && !mine) undo.push(claimOf(invoice.number), pendingOf(invoice.number));
				if (mine) claim.fresh.push(invoice);
				if (mine || sendAgain) claim.granted.push(invoice);
				else claim.taken.push(invoice);
			}
			if (undo.length) await this.helpers.removeProcessed(undo, 'node', STORE);
			return claim;
		});
	}

	/**
	 * Right before the mail goes to the SMTP server: its invoices are no longer pending. Returns false (nothing
	 * changed, the mail must not be sent) when this run lost the lease of one of them — its connection to n8n's
	 * database ended, and another run may have taken the invoice over.
	 */
	async handing(invoices: SendingInvoice[]): Promise<boolean> {
		return await section(this.key, async () => {
			for (const invoice of invoices) {
				const lease = this.held.get(invoice.number);
				if (lease && !(await confirmLease(lease))) return false;
			}
			await this.helpers.removeProcessed(invoices.map((i) => pendingOf(i.number)), 'node', STORE);
			return true;
		});
	}

	/** The server accepted the mail of these invoices. */
	async delivered(invoices: SendingInvoice[]): Promise<void> {
		await section(this.key, async () => {
			await this.record(invoices.map((i) => deliveredOf(i.number)));
		});
		await this.release(invoices);
	}

	/** The mail was not sent (refused for good, or never handed over): the claims this run made are given back. */
	async giveBack(invoices: SendingInvoice[]): Promise<void> {
		if (!invoices.length) return;
		await section(this.key, async () => {
			const values = invoices.flatMap((i) => [claimOf(i.number), pendingOf(i.number), contentOf(i.number, i.hash)]);
			await this.helpers.removeProcessed(values, 'node', STORE);
		});
		await this.release(invoices);
	}

	/** This run is done with these invoices (an uncertain delivery keeps its claim, no longer pending). */
	async release(invoices: SendingInvoice[]): Promise<void> {
		for (const { number } of invoices) {
			const lease = this.held.get(number);
			this.held.delete(number);
			if (lease) await releaseLease(lease);
		}
	}

	/** At the end of the run, whatever happened: every lease it still holds (a pending claim is then taken over by a later run). */
	async releaseAll(): Promise<void> {
		await this.release([...this.held.keys()].map((number) => ({ number, hash: '' })));
	}
}
