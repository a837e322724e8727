import { TransportError, toTransportError } from './transportError';
import { imapEndpoint, withImapClient, type ImapCredentials } from './imap';
import { ImapLease, type LeaseHolder } from './imapLease';
import { finishEarlierPolls, handOver, rememberUnmarked, settleAfterBreak, type PollMoves } from './imapRecovery';
import { DOWNLOAD_CHUNK_BYTES, ImapSource, parseUidSet, uidSet, type ImapSourceFolders, type MailSummary } from './imapSource';

/**
 * The consumer: one poll of an inbox as begin / commit / rollback over batches, with the guarantees the nodes
 * rely on. What a later poll needs to finish this one lives on the server (the pending keyword, see
 * imapSource.ts) or in `memory`, a plain object the caller keeps between polls (n8n: the node's static data,
 * saved with the poll's result) — never in this process's memory.
 */

export type MailAction = 'commit' | 'fail' | 'leave';

/** What the caller decided for one mail; `result` is handed back only if the decision took effect. */
export interface MailDecision<T> {
	uid: number;
	action: MailAction;
	result: T;
}

/** What the consumer keeps between polls of one mailbox; the caller stores it as it is (JSON). */
export interface MailboxMemory {
	/** mails left in the inbox on purpose (decision 'leave'), not looked at again while nothing changed */
	leftInInbox?: { configuration: string; uidValidity: string; uids: string };
	/** mails handed over while the server could not be told so (their pending keyword is still set) */
	handedOver?: Array<{ folder: string; uidValidity: string; uids: string }>;
	/** archive and error folder → "UIDVALIDITY:UIDNEXT" when the last poll left no mark there (imapRecovery.ts) */
	unmarked?: Record<string, string>;
	[other: string]: unknown;
}

export interface ConsumeOptions<T> {
	folders: ImapSourceFolders;
	createMissingFolders: boolean;
	maxMessages: number;
	/** the most mails per FETCH / MOVE (default 250; a batch holds about 16 MB of mail, see `nextBatchSize`) */
	batchSize?: number;
	/** Date.now() after which no new batch is started (the poll budget) */
	deadline: number;
	/**
	 * Date.now() after which the caller can no longer hand this poll's result over (n8n's durable scheduler
	 * abandons a poll that outlives its time-out and drops its result): a poll still running then clears no
	 * marks and reports nothing, so the next poll rolls its mails back and hands them over
	 */
	abandonAt?: number;
	/** kept by the caller between polls; without it, mails of a poll cut off from its server come again */
	memory?: MailboxMemory;
	/** what decided 'leave' before holds only for the same configuration (senders, folders …) */
	configuration?: string;
	/** reads a batch and decides for each mail; may download parts through the source */
	decide(batch: MailSummary[], source: ImapSource): Promise<Array<MailDecision<T>>>;
	/** awaited before the first mail is touched: false, and the poll does nothing (another process polls) */
	admitted?: () => Promise<boolean>;
	/** asked after each batch's decisions, while the batch is moved: false stops the poll before the next batch (the lease was lost) */
	stillHeld?: () => Promise<boolean>;
}

export interface ConsumeReport<T> {
	/** results of mails now in the archive folder, handed over */
	committed: T[];
	/** results of mails now in the error folder, handed over */
	failed: T[];
	/** the folders as the server names them */
	folders: ImapSourceFolders;
	/** UIDs left in the inbox on purpose (decision 'leave', in this poll or an earlier one) */
	left: number[];
	/** mails whose move the server refused; they stay in the inbox for the next poll */
	notMoved: Array<{ uid: number; action: MailAction; refusal?: string }>;
	/** mails an earlier poll moved but never handed over, moved back into the inbox by this poll */
	rolledBack: number;
	/** such mails the server refused to move back; they are tried again by the next poll */
	rollBackRefused: number;
	uidValidity: string;
	/** more mails wait than this poll took (max mails per poll, or the time budget) */
	more: boolean;
	/** another poll of the same mailbox runs, in this process or another one: this one did nothing */
	busy?: boolean;
	/** who holds the server's lease of this mailbox, when another process does */
	busyHolder?: LeaseHolder;
	/** the server refused the lease folder: this poll ran guarded within this process only */
	leaseUnavailable?: string;
	/** the lease was taken over while this poll ran (it outlived the lease): it stopped before the next batch */
	leaseLost?: boolean;
	/** the poll outlived `abandonAt`: the mails it moved keep their marks for the next poll, none is reported */
	abandoned?: boolean;
	/**
	 * The poll stopped early: the connection broke (a TransportError), or a later batch failed after earlier
	 * ones were moved. Everything in committed/failed is moved and must be handed on; the rest waits.
	 */
	interruption?: Error;
}

/** Mailboxes with a poll in progress in this process (saves a lease round trip; the server's lease covers all processes). */
const busyMailboxes = new Set<string>();
/** Mailboxes whose last poll has returned and is giving its lease back: the next poll waits for that (milliseconds). */
const releasing = new Map<string, Promise<void>>();

/** One mailbox folder, whichever port or TLS mode reaches it. */
export function mailboxKey(c: ImapCredentials, inbox: string): string {
	return `${c.host.toLowerCase()}|${c.user.toLowerCase()}|${inbox}`;
}

/**
 * One poll of an inbox: finish what earlier polls left unfinished, list once, then per batch fetch envelopes,
 * let `decide` read and judge the mails, mark them and move them (one MOVE to the archive, one to the error
 * folder); at the end clear the marks and report. A result is reported only once its mail's move is confirmed
 * and its mark cleared. Returns at once with `busy` while another poll of the same mailbox runs, in this
 * process or in another one (the lease on the server, imapLease.ts): two polls would fetch the same mails, and
 * one of them would roll back the other's unfinished moves.
 */
export async function consumeImapFolder<T>(credentials: ImapCredentials, options: ConsumeOptions<T>): Promise<ConsumeReport<T>> {
	const key = mailboxKey(credentials, options.folders.inbox);
	await releasing.get(key);
	if (busyMailboxes.has(key)) return { ...emptyReport<T>(options.folders), busy: true };
	busyMailboxes.add(key);
	const lease = new ImapLease(credentials, options.folders.inbox);
	try {
		return await consumeLeased(lease, credentials, options);
	} finally {
		// given back after the result is returned (the marks are cleared, nothing is in flight: holding the lease a
		// few milliseconds longer only keeps other polls of this inbox waiting); a lease that cannot be given back
		// (connection gone) expires by itself
		const release: Promise<void> = lease
			.release()
			.catch(() => undefined)
			.finally(() => {
				releasing.delete(key);
				busyMailboxes.delete(key);
			});
		releasing.set(key, release);
	}
}

/**
 * The poll under the server's lease (given back by the caller on every path; an abandoned poll gives it back when
 * it ends). The lease is taken on its own connection while the poll's connection logs in; no mail is touched before.
 */
async function consumeLeased<T>(lease: ImapLease, credentials: ImapCredentials, options: ConsumeOptions<T>): Promise<ConsumeReport<T>> {
	const claim = lease.acquire().catch((error: unknown) => {
		if (error instanceof TransportError && error.kind === 'refusedByServer') return error;
		throw isConnectionLoss(error) ? connectionError(error, credentials) : error;
	});
	// handled here too: it may fail while the poll's own connection is still logging in
	claim.catch(() => undefined);
	try {
		const admitted = async () => {
			const taken = await claim;
			return taken instanceof TransportError || taken.acquired;
		};
		// a server that cannot be asked: the poll's own connection meets the fault; the lease's expiry covers the rest
		const stillHeld = async () => await lease.stillHeld().catch(() => true);
		const report = await consumeLocked(credentials, { ...options, admitted, stillHeld });
		const taken = await claim;
		if (taken instanceof TransportError) {
			// a server that allows no new folders: the poll ran as before, guarded within this process only, and
			// another process's poll may have left marks it did not see
			delete options.memory?.unmarked;
			return { ...report, leaseUnavailable: taken.message };
		}
		if (!taken.acquired) return { ...emptyReport<T>(options.folders), busy: true, busyHolder: { holder: taken.holder, expires: taken.expires } };
		return report;
	} finally {
		await claim.catch(() => undefined);
	}
}

function emptyReport<T>(folders: ImapSourceFolders): ConsumeReport<T> {
	return { committed: [], failed: [], folders, left: [], notMoved: [], rolledBack: 0, rollBackRefused: 0, uidValidity: '', more: false };
}

async function consumeLocked<T>(credentials: ImapCredentials, options: ConsumeOptions<T>): Promise<ConsumeReport<T>> {
	const report = emptyReport<T>(options.folders);
	const moves: PollMoves<T> = { confirmed: [], inDoubt: [], marked: false };
	let opened = false;
	// whether the socket was gone when the error happened (withImapClient closes it before we see the error)
	let connectionBroke = false;
	try {
		await withImapClient(credentials, async (client) => {
			try {
				const source = new ImapSource(client);
				report.folders = await source.openFolders(options.folders, { createMissing: options.createMissingFolders });
				// while the lease is taken on its own connection: a SELECT, which changes nothing
				await source.selectInbox();
				if (options.admitted && !(await options.admitted())) {
					report.busy = true;
					return;
				}
				await finishEarlierPolls(source, options.memory, report);
				report.uidValidity = source.uidValidity;
				moves.marked = source.canMark;
				opened = true;
				await takeBatches(source, options, report, moves).catch((error: unknown) => {
					// a bug or a refusal in a later batch: the batches before it are handed over all the same
					if (!client.usable) throw error;
					report.interruption = asError(error);
				});
				// a result nobody receives would lose the mails: marked, they return to the inbox with the next poll
				if (moves.marked && options.abandonAt !== undefined && Date.now() > options.abandonAt) report.abandoned = true;
				else await handOver(source, moves, report);
				rememberUnmarked(source, options.memory, report, moves);
			} finally {
				connectionBroke = !client.usable;
			}
		});
	} catch (error) {
		if (!opened) throw isConnectionLoss(error) ? connectionError(error, credentials) : error;
		report.interruption = connectionBroke || isConnectionLoss(error) ? connectionError(error, credentials) : asError(error);
	}
	if (report.busy) return report;
	if (report.abandoned) return { ...emptyReport<T>(report.folders), abandoned: true, more: true };
	if (moves.confirmed.length || moves.inDoubt.length) await settleAfterBreak(credentials, options, moves, report);
	if (report.interruption) report.more = true;
	const lost = report.interruption instanceof TransportError;
	// mails already handed over must reach the workflow whatever went wrong after them: never throw them away
	if (report.interruption && !lost && !report.committed.length && !report.failed.length) throw report.interruption;
	rememberLeft(options, report);
	return report;
}

async function takeBatches<T>(source: ImapSource, options: ConsumeOptions<T>, report: ConsumeReport<T>, moves: PollMoves<T>): Promise<void> {
	const { uids, waiting, skipped } = await source.list(options.maxMessages, leftBefore(options, source.uidValidity));
	report.left.push(...skipped);
	report.more = waiting > uids.length;
	const largest = Math.max(1, options.batchSize ?? MAX_BATCH);
	let size = Math.min(FIRST_BATCH, largest);
	// per mail, so that a larger batch after a smaller one is not underestimated
	let slowestMsPerMail = 0;
	// the next batch's FETCH is on its way while this batch is judged and moved (FETCH changes nothing)
	const fetchBatch = (start: number, count: number) => {
		const fetching = source.fetchEnvelopes(uids.slice(start, start + count));
		fetching.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
		return fetching;
	};
	let next = uids.length ? fetchBatch(0, size) : undefined;
	// whether the lease is still this poll's: asked on the lease's own connection while this batch is moved
	let held: Promise<boolean> | undefined;
	try {
		for (let start = 0; start < uids.length; ) {
			// a batch started late could outlive the poll: n8n would drop its result after the mails were moved
			if (start > 0 && Date.now() + 2 * slowestMsPerMail * size > options.deadline) {
				report.more = true;
				break;
			}
			// another process took the lease over (this poll outlived it): it polls now, this one stops
			if (held && !(await held)) {
				report.more = true;
				report.leaseLost = true;
				break;
			}
			const batch = await next!;
			// a batch's cost: judging and moving it while the next FETCH runs (its own FETCH ran meanwhile)
			const began = Date.now();
			const following = nextBatchSize(batch, size, largest);
			next = start + size < uids.length ? fetchBatch(start + size, following) : undefined;
			const decisions = await options.decide(batch, source);
			held = next && options.stillHeld?.();
			held?.catch(() => undefined); // awaited before the next batch; not an unhandled rejection meanwhile
			source.release(batch.map((m) => m.uid));
			report.left.push(...decisions.filter((d) => d.action === 'leave').map((d) => d.uid));
			await moveBatch(source, decisions, report, moves);
			slowestMsPerMail = Math.max(slowestMsPerMail, (Date.now() - began) / size);
			start += size;
			size = following;
		}
	} finally {
		// a FETCH still on its way when the poll stops must finish before the next command or the logout
		await next?.catch(() => undefined);
		await held?.catch(() => undefined);
	}
}

/** The first batch, before the mails' sizes are known. */
const FIRST_BATCH = 50;
/** The most mails in one batch (when the caller names no other limit). */
const MAX_BATCH = 250;

/**
 * How many mails the next batch takes: about as much mail as one FETCH may bring (`DOWNLOAD_CHUNK_BYTES`), going by
 * the sizes of this batch (the mails of one inbox look alike), at most `largest`. A batch costs a FETCH, a STORE and
 * a MOVE on top of its mails (about 9 ms of a poll on the test box), so small mails come in few large batches; big
 * ones come in small batches, which keeps a batch's FETCHes, and the time it takes, bounded whatever the mails' size.
 */
export function nextBatchSize(batch: Array<Pick<MailSummary, 'size'>>, current: number, largest: number): number {
	const sized = batch.filter((m) => m.size !== undefined);
	if (!sized.length) return current;
	const average = sized.reduce((sum, m) => sum + m.size!, 0) / sized.length;
	return Math.max(1, Math.min(largest, Math.floor(DOWNLOAD_CHUNK_BYTES / Math.max(1, average))));
}

/** Marks the batch's mails, then moves them; a MOVE cut off mid-way ends the poll (settled on a new connection). */
async function moveBatch<T>(source: ImapSource, decisions: Array<MailDecision<T>>, report: ConsumeReport<T>, moves: PollMoves<T>): Promise<void> {
	const chosen = decisions.filter((d) => d.action !== 'leave');
	if (moves.marked) await source.mark(chosen.map((d) => d.uid));
	for (const action of ['commit', 'fail'] as const) {
		const mine = new Map(chosen.filter((d) => d.action === action).map((d) => [d.uid, d.result]));
		const moved = action === 'commit' ? await source.commit([...mine.keys()]) : await source.fail([...mine.keys()]);
		for (const uid of moved.moved) {
			moves.confirmed.push({ uid, action, result: mine.get(uid)!, arrivedAs: moved.arrivedAs?.get(uid) });
		}
		if (moved.destinationUidValidity) (moves.destinationUidValidity ??= {})[action] = moved.destinationUidValidity;
		for (const uid of moved.notMoved) report.notMoved.push({ uid, action, refusal: moved.refusal });
		if (moves.marked && moved.notMoved.length && source.client.usable) await source.unmark(moved.notMoved);
		if (moved.inDoubt.length) {
			moves.inDoubt.push(...moved.inDoubt.map((uid) => ({ uid, action, result: mine.get(uid)! })));
			// the other decisions of this batch were never sent: they simply stay in the inbox
			throw new TransportError('connectionLost', 'connection closed during MOVE', { code: 'EConnectionClosed' });
		}
	}
}

function leftBefore<T>(options: ConsumeOptions<T>, uidValidity: string): Set<number> | undefined {
	const left = options.memory?.leftInInbox;
	if (!left || left.uidValidity !== uidValidity || left.configuration !== (options.configuration ?? '')) return undefined;
	return new Set(parseUidSet(left.uids));
}

function rememberLeft<T>(options: ConsumeOptions<T>, report: ConsumeReport<T>): void {
	if (!options.memory) return;
	if (report.left.length) {
		options.memory.leftInInbox = { configuration: options.configuration ?? '', uidValidity: report.uidValidity, uids: uidSet(report.left) };
	} else delete options.memory.leftInInbox;
}

function asError(error: unknown): Error {
	return error instanceof Error ? error : new Error(String(error));
}

function connectionError(error: unknown, credentials: ImapCredentials): TransportError {
	return toTransportError(error, imapEndpoint(credentials), [credentials.password, credentials.oauth2?.accessToken]);
}

function isConnectionLoss(error: unknown): boolean {
	if (error instanceof TransportError) return ['connectionLost', 'timeout'].includes(error.kind);
	const code = (error as { code?: unknown })?.code;
	return typeof code === 'string' && ['EConnectionClosed', 'NoConnection', 'ECONNRESET', 'EPIPE', 'ETIMEOUT'].includes(code);
}
