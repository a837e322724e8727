import { withImapClient, type ImapCredentials } from './imap';
import type { ConsumeOptions, ConsumeReport, MailboxMemory } from './imapConsumer';
import { ImapSource, parseUidSet, PENDING_KEYWORD, uidSet, type ImapSourceFolders } from './imapSource';
import { TransportError } from './transportError';

/**
 * Finishing and rolling back moves, so that every mail is handed over exactly once whatever breaks:
 *
 * - a poll marks a batch (`PENDING_KEYWORD`) before it moves it; the mark travels into the archive or error
 *   folder with the mail and is cleared only when the poll hands the mail over (`handOver`);
 * - a marked mail in the archive or error folder therefore was moved but never handed over: the next poll —
 *   in whichever process, with or without Message-ID — moves it back into the inbox (`finishEarlierPolls`),
 *   where it is processed like any new mail. Its mark goes with it; a cut roll-back leaves the mail marked
 *   in one folder or the other, and the next poll simply does the rest;
 * - when the connection breaks during a poll, a new connection finds out which of the unconfirmed moves
 *   happened and clears the marks (`settleAfterBreak`); when the server stays away, the mails whose moves were
 *   confirmed are handed over and named in the caller's memory, so that the next poll clears their marks
 *   instead of rolling them back.
 *
 * All of this assumes one poll per mailbox at a time (the consumer's lock).
 */

/** A mail this poll moved, whose mark is not cleared yet. */
export interface PendingHandOver<T> {
	uid: number;
	action: 'commit' | 'fail';
	result: T;
	/** its UID in the destination (COPYUID), when known */
	arrivedAs?: number;
}

export interface PollMoves<T> {
	/** the server confirmed these moves */
	confirmed: Array<PendingHandOver<T>>;
	/** the connection broke while these moves were on their way */
	inDoubt: Array<PendingHandOver<T>>;
	/** the moved mails carry the mark (false on servers that keep no keywords of their own) */
	marked: boolean;
	/** the destinations' UIDVALIDITY, as the COPYUID answers gave it */
	destinationUidValidity?: Partial<Record<'commit' | 'fail', string>>;
	/** the server refused to clear some marks: those mails stay marked, and the next poll rolls them back */
	marksLeft?: boolean;
}

function folderOf(folders: ImapSourceFolders, action: 'commit' | 'fail'): string {
	return action === 'commit' ? folders.archive : folders.error;
}

/**
 * Before a poll takes new mails: clears the marks of mails handed over while the server was away, and moves
 * every other marked mail of the archive and error folders back into the inbox. Leaves the inbox selected.
 */
export async function finishEarlierPolls<T>(source: ImapSource, memory: MailboxMemory | undefined, report: ConsumeReport<T>): Promise<void> {
	const backInInbox: number[] = [];
	const folders = destinations(source.folders);
	const unchanged = await unchangedSinceCleanPoll(source, memory, folders);
	// until this poll ends clean, no later poll may take the folders for free of marks
	if (memory) delete memory.unmarked;
	if (unchanged) {
		if (!source.inboxSelected) await source.selectInbox();
		return;
	}
	for (const folder of folders) {
		const uidValidity = await source.select(folder);
		await clearRemembered(source, memory, folder, uidValidity);
		const marked = await source.marked();
		if (!marked.length) continue;
		const moved = await source.move(marked, source.folders.inbox);
		if (moved.inDoubt.length) throw new TransportError('connectionLost', 'connection closed during MOVE', { code: 'EConnectionClosed' });
		report.rolledBack += moved.moved.length;
		report.rollBackRefused += moved.notMoved.length;
		backInInbox.push(...(moved.arrivedAs?.values() ?? []));
	}
	await source.selectInbox();
	// back in the inbox the mark means nothing; cleared so that a user's own move later is not undone
	if (backInInbox.length && source.canMark) await source.unmark(backInInbox);
}

function destinations(folders: ImapSourceFolders): string[] {
	return [...new Set([folders.archive, folders.error])];
}

/**
 * Whether the archive and error folders can hold no mark: a poll that ended with none left there recorded their
 * UIDVALIDITY and UIDNEXT (`rememberUnmarked`), and no mail has arrived in them since (a STATUS each, instead of
 * a SELECT and a SEARCH each). A poll that moved mails there and did not clear their marks raised UIDNEXT.
 */
async function unchangedSinceCleanPoll(source: ImapSource, memory: MailboxMemory | undefined, folders: string[]): Promise<boolean> {
	const recorded = memory?.unmarked;
	if (!recorded || memory.handedOver?.length) return false;
	for (const folder of folders) {
		if (recorded[folder] === undefined || (await source.arrivals(folder)) !== recorded[folder]) return false;
	}
	return true;
}

/**
 * After a poll that left no mark in the archive and error folders — every mail it moved handed over and its mark
 * cleared, no earlier poll's mark left behind — records their UIDVALIDITY and UIDNEXT as this session last saw
 * them, after its own mails arrived. Only with the lease held: without it another process's poll may have moved
 * marked mails there meanwhile (the caller removes the record then).
 */
export function rememberUnmarked<T>(source: ImapSource, memory: MailboxMemory | undefined, report: ConsumeReport<T>, moves: PollMoves<T>): void {
	const clean = !report.interruption && !report.abandoned && !report.rollBackRefused && !moves.marksLeft && !moves.confirmed.length && !moves.inDoubt.length;
	if (!memory || !clean) return;
	const seen = destinations(source.folders).map((folder) => [folder, source.lastSeen.get(folder)] as const);
	if (seen.every(([, state]) => state !== undefined)) memory.unmarked = Object.fromEntries(seen) as Record<string, string>;
}

async function clearRemembered(source: ImapSource, memory: MailboxMemory | undefined, folder: string, uidValidity: string): Promise<void> {
	const entries = memory?.handedOver?.filter((e) => e.folder === folder) ?? [];
	for (const entry of entries) {
		if (entry.uidValidity !== uidValidity) continue; // the folder was recreated: those mails are gone
		if (!(await source.unmark(parseUidSet(entry.uids)))) {
			throw new TransportError('refusedByServer', `The mail server refused to clear the keyword ${PENDING_KEYWORD} in "${folder}".`);
		}
	}
	if (memory?.handedOver) {
		memory.handedOver = memory.handedOver.filter((e) => e.folder !== folder);
		if (!memory.handedOver.length) delete memory.handedOver;
	}
}

/**
 * Clears the marks of the confirmed moves (one SELECT and one UID STORE per destination) and hands their
 * results over. A mark the server refuses to clear stays, and its mail is rolled back by the next poll.
 */
export async function handOver<T>(source: ImapSource, moves: PollMoves<T>, report: ConsumeReport<T>): Promise<void> {
	for (const action of ['commit', 'fail'] as const) {
		const mine = moves.confirmed.filter((m) => m.action === action);
		if (!mine.length) continue;
		if (moves.marked) {
			await source.select(folderOf(source.folders, action));
			// without COPYUID, every marked mail there is this poll's: earlier ones were rolled back at its start
			const uids = mine.every((m) => m.arrivedAs !== undefined) ? mine.map((m) => m.arrivedAs!) : await source.marked();
			const cleared = await source.unmark(uids);
			moves.confirmed = moves.confirmed.filter((m) => m.action !== action);
			if (!cleared) {
				moves.marksLeft = true;
				continue;
			}
		} else moves.confirmed = moves.confirmed.filter((m) => m.action !== action);
		(action === 'commit' ? report.committed : report.failed).push(...mine.map((m) => m.result));
	}
}

/**
 * After the connection broke with moves unconfirmed or marks not cleared: a new connection asks the inbox which
 * of the unconfirmed mails are gone (MOVE removes a mail from the source only after it arrived), and clears the
 * marks. When no connection can be made in time, the confirmed mails are handed over and remembered in
 * `memory`; the unconfirmed ones keep their marks and the next poll rolls them back.
 */
export async function settleAfterBreak<T>(
	credentials: ImapCredentials,
	options: ConsumeOptions<T>,
	moves: PollMoves<T>,
	report: ConsumeReport<T>,
): Promise<void> {
	// a restarted server needs a few seconds; give it until shortly before the poll's budget runs out
	const giveUpAt = Math.min(options.deadline, Date.now() + 30_000);
	for (let attempt = 0; ; attempt++) {
		try {
			await withImapClient(credentials, async (client) => {
				const source = new ImapSource(client);
				source.folders = report.folders;
				await source.selectInbox();
				if (source.uidValidity === report.uidValidity) await confirmInDoubt(source, moves);
				await handOver(source, moves, report);
			});
			return;
		} catch {
			if (Date.now() >= giveUpAt) break;
			await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 5_000, Math.max(0, giveUpAt - Date.now()))));
		}
	}
	rememberHandedOver(options.memory, moves, report);
}

/** Which unconfirmed moves happened: gone from the inbox, arrived marked in the destination. */
async function confirmInDoubt<T>(source: ImapSource, moves: PollMoves<T>): Promise<void> {
	if (!moves.inDoubt.length) return;
	const still = await source.present(moves.inDoubt.map((m) => m.uid));
	const gone = moves.inDoubt.filter((m) => !still.has(m.uid));
	const stayed = moves.inDoubt.filter((m) => still.has(m.uid)).map((m) => m.uid);
	moves.inDoubt = [];
	if (moves.marked && stayed.length) await source.unmark(stayed);
	for (const action of ['commit', 'fail'] as const) {
		const arrived = gone.filter((m) => m.action === action);
		if (!arrived.length) continue;
		if (!moves.marked) {
			moves.confirmed.push(...arrived);
			continue;
		}
		await source.select(folderOf(source.folders, action));
		const known = new Set(moves.confirmed.filter((m) => m.action === action).map((m) => m.arrivedAs));
		const unknown = (await source.marked()).filter((uid) => !known.has(uid));
		// the marked mails there that are not this poll's confirmed ones are the unconfirmed arrivals; if the
		// count does not add up, they stay marked and the next poll rolls them back: never reported twice
		if (unknown.length === arrived.length) arrived.forEach((m, i) => moves.confirmed.push({ ...m, arrivedAs: unknown[i] }));
	}
}

function rememberHandedOver<T>(memory: MailboxMemory | undefined, moves: PollMoves<T>, report: ConsumeReport<T>): void {
	for (const action of ['commit', 'fail'] as const) {
		const mine = moves.confirmed.filter((m) => m.action === action);
		const uidValidity = moves.destinationUidValidity?.[action];
		if (!mine.length) continue;
		if (moves.marked) {
			// without a memory to name them in, the marks decide: the next poll rolls the mails back
			if (!memory || !uidValidity || mine.some((m) => m.arrivedAs === undefined)) continue;
			const entry = { folder: folderOf(report.folders, action), uidValidity, uids: uidSet(mine.map((m) => m.arrivedAs!)) };
			memory.handedOver = [...(memory.handedOver ?? []), entry];
		}
		(action === 'commit' ? report.committed : report.failed).push(...mine.map((m) => m.result));
	}
	moves.confirmed = [];
}
