import type { ICheckProcessedOptions, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import { confirmLeases, databaseUnreachable, releaseLeases, section, tryLeases } from '../shared/transports/n8nDatabaseLock';
import { nodeRow, processedIn, processedSnapshot, type ProcessedRow } from '../shared/transports/n8nProcessedData';
import { SentLedger, type PreviousSend, type SentLookup } from './sentLedger';

/**
 * What this node has mailed, kept in n8n's processed-data store (`this.helpers.checkProcessedAndRecord`, the
 * `processed_data` table of n8n's database, which every main and worker shares — n8n's Remove Duplicates node
 * keeps its record there too). Written at the moment of each send, also in manual runs and whatever happens to
 * the execution afterwards, so a re-run, a killed worker's next run or another execution skips what went out.
 *
 * Per invoice number N (the store keeps only the values' MD5):
 * - `claim N`, recorded when a run takes N on: whoever records it first mails N;
 * - `pending N`, recorded with the claim: a claim pending and not handed whose holder is gone was never sent,
 *   and a later run takes it over and mails it;
 * - `handed N`, recorded right before the mail is handed to the SMTP server (one record call, nothing removed):
 *   a claim marked handed is never taken over; a run whose section broke after it wrote the mark (PostgreSQL
 *   crashed) knows the mark as its own;
 * - `content N H`, recorded with the claim: H is the content hash, so a skip can say whether the content changed;
 * - `delivered N`, recorded when the server accepted the mail.
 * A claim handed (or not pending) and not delivered is an uncertain delivery (DELIVERY_UNCERTAIN, or a run that stopped
 * while the mail was on the wire): it counts as sent, only Send Again mails it again. A mail the server refused
 * for good gives back the claims it made. Claims of earlier versions carry no `pending`: they count as handed over.
 *
 * Atomic across processes: n8n's store reads the node's whole record, adds to it and writes it back, without a
 * transaction or lock (n8n 2.41). Every call of this node is therefore made inside a `section` of the workflow
 * and node: a PostgreSQL advisory lock in n8n's own database when n8n runs on PostgreSQL (queue mode: every
 * main and worker), this process's own turn on SQLite (one process). Who is sending a pending claim right now
 * is told by a `lease` per invoice, which PostgreSQL frees when its holder's connection ends (n8nDatabaseLock.ts).
 *
 * Batched (a group commit): the calls a run makes while its previous write is under way (claims, hand-overs,
 * deliveries, give-backs, releases of its mails in flight) are written together, in one section: one lock, one
 * read of the record, one record call, one remove call, one lease query each. Each call returns once its own
 * part is written, as if alone. What a claim finds is read from n8n's database (n8nProcessedData.ts), never
 * asked by recording: a process that dies at any moment leaves no value recorded that it did not mean (no false
 * `pending` to take over, no false `delivered` to skip).
 * A claim also takes the next mails of the run's plan with it (`planned`), up to CLAIM_BATCH invoices: their
 * claims are pending and leased like any other, so a run that stops leaves them to the next run.
 *
 * Bounded by n8n's `maxEntries`: beyond 150,000 values (about 30,000 invoices) the oldest are dropped.
 */

const STORE: ICheckProcessedOptions = { mode: 'entries', maxEntries: 150_000 };

/** at most this many invoices claimed ahead in one claim (the mails after the one asked for, in plan order) */
export const CLAIM_BATCH = 100;

const claimOf = (n: string) => `claim\u0000${n}`;
const pendingOf = (n: string) => `pending\u0000${n}`;
const handedOf = (n: string) => `handed\u0000${n}`;
const deliveredOf = (n: string) => `delivered\u0000${n}`;
const contentOf = (n: string, hash: string) => `content\u0000${n}\u0000${hash}`;

type Helpers = Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed' | 'getProcessedDataCount'>;

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

/** how long a batch is written again while n8n's database cannot be reached */
const RECONNECT_MS = 60_000;


/** The writes of one section: the calls made while the previous section was under way. */
class Batch {
	readonly claims: Array<{ invoices: SendingInvoice[]; sendAgain: boolean; result?: Claim }> = [];
	readonly handings: Array<{ invoices: SendingInvoice[]; result?: boolean }> = [];
	/** values recorded (delivered marks) */
	readonly adds: string[] = [];
	/** values removed (claims given back) */
	readonly removes: string[] = [];
	/** invoice numbers whose leases are given back once the section has been written */
	readonly releases: string[] = [];
	done!: Promise<void>;

	get writes(): boolean {
		return this.claims.length + this.handings.length + this.adds.length + this.removes.length > 0;
	}
}

export class SentRecords implements SentLookup {
	private constructor(
		private readonly helpers: Helpers,
		private readonly key: string,
		/** the node's row in n8n's processed-data store */
		private readonly row: ProcessedRow,
		/** the invoice numbers of this run that were delivered before */
		private readonly deliveredBefore: Set<string>,
	) {}

	/**
	 * Opens the record for the invoices of this run: carries over what an earlier version of the node kept in
	 * the workflow's static data (the static data entry is then removed), and looks the invoices up.
	 */
	static async open(ctx: IExecuteFunctions, invoiceNumbers: string[]): Promise<SentRecords> {
		const workflowId = ctx.getWorkflow().id ?? '';
		const key = `${workflowId}\u0000${ctx.getNode().id}`;
		const records = new SentRecords(ctx.helpers, key, nodeRow(workflowId, ctx.getNode().id), new Set());
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

	/** Which of `values` the node's record holds, read from n8n's database (nothing written). */
	private async read(values: string[]): Promise<Set<string>> {
		return await processedIn(this.row, values, async () => await this.helpers.getProcessedDataCount('node', STORE));
	}

	private async lookUp(numbers: string[]): Promise<void> {
		if (!numbers.length) return;
		const seen = await this.read(numbers.map(deliveredOf));
		for (const n of numbers) if (seen.has(deliveredOf(n))) this.deliveredBefore.add(n);
	}

	/** the record as read once for the plan's look-ups of invoices delivered before (dropped when the sending starts) */
	private contents?: Promise<(value: string) => boolean>;

	/** Delivered before (claimed but unconfirmed invoices are found by `claim`): whether the content changed since. */
	async previousSend(invoiceNumber: string, hash: string): Promise<PreviousSend | undefined> {
		if (!this.deliveredBefore.has(invoiceNumber)) return undefined;
		// one read for all of them: a run of 500 invoices mailed before read the whole record 500 times
		this.contents ??= processedSnapshot(this.row, async () => await this.helpers.getProcessedDataCount('node', STORE));
		const same = (await this.contents)(contentOf(invoiceNumber, hash));
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

	/** the batch that takes new calls; written after the one under way */
	private open?: Batch;
	private writing: Promise<void> = Promise.resolve();

	/** Adds a call to the next batch; returns when that batch has been written (rejected with its error). */
	private async write(add: (batch: Batch) => void): Promise<void> {
		if (!this.open) {
			const batch = new Batch();
			this.open = batch;
			batch.done = this.writing.then(async () => {
				// calls from here on go into the next batch
				if (this.open === batch) this.open = undefined;
				await this.flush(batch);
			});
			this.writing = batch.done.catch(() => undefined);
		}
		add(this.open);
		await this.open.done;
	}

	/**
	 * Writes the batch; written again while n8n's database cannot be reached (a restart or crash of PostgreSQL:
	 * connections cut, refused, or the server still recovering), for up to RECONNECT_MS. Writing again is safe:
	 * a claim recorded by the cut attempt is found pending, with no other holder, and is this run's again.
	 */
	private async flush(batch: Batch): Promise<void> {
		const deadline = Date.now() + RECONNECT_MS;
		for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
			try {
				return await this.flushOnce(batch);
			} catch (error) {
				// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the same error as without the retry; run.ts reports it
				if (!databaseUnreachable(error) || Date.now() + wait > deadline) throw error;
				await sleep(wait);
			}
		}
	}

	/** One section for the batch's writes, then the leases given back (after what they guarded is written). */
	private async flushOnce(batch: Batch): Promise<void> {
		if (batch.writes) {
			await section(this.key, async () => {
				const removes = [...batch.removes];
				const adds = [...batch.adds];
				await this.handOver(batch, adds);
				const asked = batch.claims.flatMap((c) => c.invoices.flatMap((i) => [claimOf(i.number), pendingOf(i.number), handedOf(i.number)]));
				adds.push(...(await this.settleClaims(batch, await this.read(asked), removes)));
				// first the records (claims, hand-over marks, deliveries), then the removes: a section cut in between leaves no claim open that was handed over
				if (adds.length) await this.record(adds);
				if (removes.length) await this.helpers.removeProcessed(removes, 'node', STORE);
			});
		}
		const leases: string[] = [];
		for (const number of batch.releases) {
			const lease = this.held.get(number);
			this.held.delete(number);
			if (lease) leases.push(lease);
		}
		if (leases.length) await releaseLeases(leases);
	}

	/** invoice numbers whose hand-over this run has written, or tried to (a section cut after its records) */
	private readonly handedHere = new Set<string>();

	/** The hand-overs: a mail whose leases are all still this run's is marked handed (its `pending` stays: the mark closes it); the others change nothing. */
	private async handOver(batch: Batch, adds: string[]): Promise<void> {
		if (!batch.handings.length) return;
		const leases = batch.handings.flatMap((h) => h.invoices.map((i) => this.held.get(i.number)).filter((l): l is string => !!l));
		const confirmed = await confirmLeases(leases);
		const lost = leases.filter((lease) => !confirmed.has(lease));
		if (lost.length) for (const lease of await this.retake(lost)) confirmed.add(lease);
		for (const handing of batch.handings) {
			handing.result = handing.invoices.every((i) => {
				const lease = this.held.get(i.number);
				return !lease || confirmed.has(lease);
			});
			if (!handing.result) continue;
			for (const { number } of handing.invoices) this.handedHere.add(number);
			adds.push(...handing.invoices.map((i) => handedOf(i.number)));
		}
	}

	/**
	 * Leases this run lost with its connection (PostgreSQL restarted or crashed) taken again, inside the section:
	 * kept where nobody else holds the lease and the claim is still open (pending, not handed) — no other run took
	 * the invoice over and handed it to the SMTP server meanwhile — or where the hand-over mark is this run's own,
	 * written by a section that broke after its records (then no other run could take the invoice over).
	 */
	private async retake(lost: string[]): Promise<string[]> {
		const numberOf = new Map([...this.held].map(([number, lease]) => [lease, number]));
		const again = [...(await tryLeases(lost))];
		if (!again.length) return [];
		const known = await this.read(again.flatMap((lease) => [pendingOf(numberOf.get(lease)!), handedOf(numberOf.get(lease)!)]));
		const ours = (n: string) => (known.has(handedOf(n)) ? this.handedHere.has(n) : known.has(pendingOf(n)));
		const kept = again.filter((lease) => ours(numberOf.get(lease)!));
		const gone = again.filter((lease) => !kept.includes(lease));
		if (gone.length) await releaseLeases(gone);
		return kept;
	}

	/**
	 * The claims, from what the record holds (`known`): an invoice is this run's when it has no claim yet, or
	 * when its claim is still pending and nobody holds its lease (its holder stopped before handing it over:
	 * taken over; a claim marked handed never is). With Send Again, all are granted. Returns the values to record;
	 * adds to `removes` the hand-over marks of invoices sent again.
	 */
	private async settleClaims(batch: Batch, known: Set<string>, removes: string[]): Promise<string[]> {
		const open = (number: string) => !known.has(claimOf(number)) || (known.has(pendingOf(number)) && !known.has(handedOf(number)));
		// lease key → invoice number, of the invoices this run may take: one lease query for all
		const candidates = new Map<string, string>();
		for (const { invoices } of batch.claims) {
			for (const { number } of invoices) if (open(number) && !this.held.has(number)) candidates.set(this.leaseOf(number), number);
		}
		const leased = candidates.size ? await tryLeases([...candidates.keys()]) : new Set<string>();
		for (const lease of leased) this.held.set(candidates.get(lease)!, lease);
		const adds: string[] = [];
		for (const claimOp of batch.claims) {
			const claim: Claim = { granted: [], fresh: [], taken: [] };
			for (const invoice of claimOp.invoices) {
				const { number } = invoice;
				const mine = open(number) && this.held.has(number);
				adds.push(contentOf(number, invoice.hash));
				if (mine && !known.has(claimOf(number))) adds.push(claimOf(number), pendingOf(number));
				// a claim handed over before (delivered or uncertain) is pending again only when sent again
				if (!open(number) && claimOp.sendAgain) {
					adds.push(pendingOf(number));
					removes.push(handedOf(number));
				}
				if (mine) claim.fresh.push(invoice);
				if (mine || claimOp.sendAgain) claim.granted.push(invoice);
				else claim.taken.push(invoice);
			}
			claimOp.result = claim;
		}
		return adds;
	}

	/** the mails of this run in the order they are sent, where each is (by first invoice number), the claims made so far */
	private plan: SendingInvoice[][] = [];
	private readonly placeOf = new Map<string, number>();
	private readonly claims = new Map<string, Promise<Claim>>();

	/** The mails of this run in the order they will be claimed: a claim takes the next unclaimed ones with it. */
	planned(mails: SendingInvoice[][]): void {
		this.contents = undefined;
		this.plan = mails.filter((mail) => mail.length);
		this.plan.forEach((mail, at) => this.placeOf.set(mail[0].number, at));
	}

	/**
	 * Claims the invoices of one mail before it is made (see `settleClaims`), together with the next mails of
	 * the plan not yet claimed, up to CLAIM_BATCH invoices. One call records claims, pending marks and content values.
	 */
	async claim(invoices: SendingInvoice[], sendAgain: boolean): Promise<Claim> {
		const first = invoices[0]?.number;
		const made = first === undefined ? undefined : this.claims.get(first);
		if (made) return await made;
		const at = first === undefined ? undefined : this.placeOf.get(first);
		const mails = at === undefined ? [invoices] : this.aheadOf(at);
		const op: Batch['claims'][number] = { invoices: mails.flat(), sendAgain };
		const all = this.write((batch) => batch.claims.push(op)).then(() => op.result!);
		for (const mail of mails) {
			const numbers = new Set(mail.map((i) => i.number));
			const mine = (list: SendingInvoice[]) => list.filter((i) => numbers.has(i.number));
			const claim = all.then((c) => ({ granted: mine(c.granted), fresh: mine(c.fresh), taken: mine(c.taken) }));
			// a failed claim fails the calls for its mails; one whose mail is never reached reports nothing
			claim.catch(() => undefined);
			this.claims.set(mail[0].number, claim);
		}
		return await this.claims.get(invoices[0].number)!;
	}

	/** The mail at `at` of the plan and the unclaimed ones after it, up to CLAIM_BATCH invoices. */
	private aheadOf(at: number): SendingInvoice[][] {
		const mails = [this.plan[at]];
		let count = mails[0].length;
		for (let i = at + 1; i < this.plan.length && count + this.plan[i].length <= CLAIM_BATCH; i++) {
			if (this.claims.has(this.plan[i][0].number)) break;
			mails.push(this.plan[i]);
			count += this.plan[i].length;
		}
		return mails;
	}

	/**
	 * Right before the mail goes to the SMTP server: its invoices are marked handed. Returns false (nothing
	 * changed, the mail must not be sent) when this run lost the lease of one of them — its connection to n8n's
	 * database ended, and another run may have taken the invoice over.
	 */
	async handing(invoices: SendingInvoice[]): Promise<boolean> {
		const op: Batch['handings'][number] = { invoices };
		await this.write((batch) => batch.handings.push(op));
		return op.result!;
	}

	/** The server accepted the mail of these invoices. */
	async delivered(invoices: SendingInvoice[]): Promise<void> {
		await this.write((batch) => {
			batch.adds.push(...invoices.map((i) => deliveredOf(i.number)));
			batch.releases.push(...invoices.map((i) => i.number));
		});
	}

	/** The mail was not sent (refused for good, or never handed over): the claims this run made are given back. */
	async giveBack(invoices: SendingInvoice[]): Promise<void> {
		if (!invoices.length) return;
		await this.write((batch) => {
			batch.removes.push(...invoices.flatMap((i) => [claimOf(i.number), pendingOf(i.number), handedOf(i.number), contentOf(i.number, i.hash)]));
			batch.releases.push(...invoices.map((i) => i.number));
		});
	}

	/** This run is done with these invoices (an uncertain delivery keeps its claim, marked handed). */
	async release(invoices: SendingInvoice[]): Promise<void> {
		if (!invoices.length) return;
		await this.write((batch) => batch.releases.push(...invoices.map((i) => i.number)));
	}

	/** At the end of the run, whatever happened: every lease it still holds (a pending claim is then taken over by a later run). */
	async releaseAll(): Promise<void> {
		await this.writing;
		await this.release([...this.held.keys()].map((number) => ({ number, hash: '' })));
	}
}
