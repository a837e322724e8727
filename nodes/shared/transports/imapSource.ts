import type { FetchMessageObject, FetchQueryObject, ImapFlow, ListResponse } from 'imapflow';

import { decodeTransferEncoding, summarise, type MailPart, type MailSummary } from './mailStructure';
import { TransportError } from './transportError';

export type { MailAddress, MailPart, MailSummary } from './mailStructure';

/**
 * An IMAP folder as a source of documents, with the consumer contract of Apache Camel's mail component:
 * `list` what waits in the inbox, `fetchEnvelopes` and `downloadParts` to read it, then `commit` (move to
 * the archive folder) or `fail` (move to the error folder). Mail is never deleted: the inbox itself is the
 * cursor. Whatever is still in the inbox has not been handed to the workflow; whatever left it by our MOVE
 * has, unless it still carries the keyword `PENDING_KEYWORD` (set before the MOVE, cleared once the poll
 * hands the mail over; see imapConsumer.ts). A mail a user moves back into the inbox is processed again.
 *
 * Each step of a poll is one command for a whole batch of mails (UID sets). Per poll come a few fixed
 * commands on top (looking for unfinished moves in the archive and error folders, clearing the keyword);
 * per mail only when the server refuses a MOVE of a whole set, to find out which mails it concerned.
 */

/**
 * Marks a mail that a poll moved but has not handed over yet. IMAP keywords travel with a moved mail, so the
 * mark is in the archive or error folder exactly when the mail is, for every process that looks.
 */
export const PENDING_KEYWORD = '$BackofficePending';

export interface ImapSourceFolders {
	inbox: string;
	archive: string;
	error: string;
}

export type FolderRole = keyof ImapSourceFolders;

/** A folder of the configuration that the mailbox does not have (or that cannot hold mail). */
function folderNotFound(role: FolderRole, folder: string, reason: 'missing' | 'notSelectable', known: string[]): TransportError {
	const what = `The ${role} folder "${folder}"`;
	const listed = known.slice(0, 30).join(', ');
	return new TransportError(
		'notFound',
		reason === 'missing'
			? `${what} does not exist on the mail server.`
			: `${what} cannot hold mail on this server (it is only a container of other folders).`,
		{
			hint:
				(listed ? `Folders on the server: ${listed}${known.length > 30 ? ', …' : ''}. ` : '') +
				'Check the path (as your mail program shows it, starting at INBOX), or switch on the option "Create Missing Folders".',
		},
	);
}

export interface MoveReport {
	/** left the inbox and arrived in the destination (per the server's COPYUID answer) */
	moved: number[];
	/** still in the inbox: the server refused the move or no longer had the mail */
	notMoved: number[];
	/** the connection broke while the MOVE was on its way: the server may or may not have done it */
	inDoubt: number[];
	/** why the server refused, in words, when it did */
	refusal?: string;
	/** source UID → UID in the destination, from the server's COPYUID answer (UIDPLUS) */
	arrivedAs?: Map<number, number>;
	/** the destination's UIDVALIDITY from the same answer */
	destinationUidValidity?: string;
}

export const EMPTY_MOVE: MoveReport = { moved: [], notMoved: [], inDoubt: [] };

/** Compresses sorted UIDs into an IMAP sequence set: 1,2,3,7 → "1:3,7". */
export function uidSet(uids: number[]): string {
	const sorted = [...uids].sort((a, b) => a - b);
	const ranges: string[] = [];
	for (let i = 0; i < sorted.length; i++) {
		const start = sorted[i];
		while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) i++;
		ranges.push(start === sorted[i] ? String(start) : `${start}:${sorted[i]}`);
	}
	return ranges.join(',');
}

/** Parses an IMAP sequence set of UIDs ("1:3,7") back into UIDs. */
export function parseUidSet(set: string): number[] {
	const uids: number[] = [];
	for (const range of set.split(',')) {
		if (!range) continue;
		const [from, to] = range.split(':').map(Number);
		for (let uid = from; uid <= (to ?? from); uid++) uids.push(uid);
	}
	return uids;
}

/** How much attachment data one FETCH may bring at most, so that a batch of big attachments stays bounded. */
export const DOWNLOAD_CHUNK_BYTES = 16 * 1024 * 1024;
/** How much of a guessed part the structure's FETCH brings at most (see `fetchEnvelopes`). */
const EARLY_PART_BYTES = 256 * 1024;

export class ImapSource {
	/** the folders as the server names them (after resolving the configured paths) */
	folders: ImapSourceFolders = { inbox: '', archive: '', error: '' };
	/** the inbox's UIDVALIDITY: UIDs are only comparable between sessions while it stays the same */
	uidValidity = '';
	/** whether the server keeps keywords of our own (PERMANENTFLAGS \\* or the keyword itself) */
	canMark = false;
	private hasBinary = false;
	/** the part numbers the last `downloadParts` asked for, lower case: the guess for the next batch */
	private likelyParts: string[] = ['2'];
	/** UIDVALIDITY:UIDNEXT of folders as the last SELECT or STATUS of this session saw them (`arrivals`) */
	readonly lastSeen = new Map<string, string>();
	/** parts that came whole with the structure, by UID and part number, until downloaded or released */
	private readonly early = new Map<number, Map<string, { raw: Buffer; binary: boolean }>>();

	constructor(readonly client: ImapFlow) {}

	/**
	 * Resolves the three folders (a path typed with "/" also finds a server that separates with "."), creates
	 * missing ones when asked to (parents first, so that they are real folders). Selects nothing.
	 */
	async openFolders(wanted: ImapSourceFolders, options: { createMissing: boolean }): Promise<ImapSourceFolders> {
		let listing = await this.client.list({ listOnly: true });
		const resolved = { ...wanted };
		for (const role of ['inbox', 'archive', 'error'] as FolderRole[]) {
			let found = findFolder(listing, wanted[role]);
			let created: string | undefined;
			const selectable = found && !hasFlag(found, '\\Noselect') && !hasFlag(found, '\\NonExistent');
			if (!selectable) {
				if (!options.createMissing) {
					throw folderNotFound(
						role,
						wanted[role],
						found ? 'notSelectable' : 'missing',
						listing.filter((f) => !hasFlag(f, '\\Noselect')).map((f) => f.path),
					);
				}
				created = await this.createFolder(wanted[role], listing);
				listing = await this.client.list({ listOnly: true });
				found = findFolder(listing, wanted[role]);
				if (found && hasFlag(found, '\\Noselect')) throw folderNotFound(role, wanted[role], 'notSelectable', []);
			}
			// the server said OK to the CREATE of this path, so it is there even when the LIST right after it does
			// not show it yet (seen once on a loaded box: Dovecot listed the parent created a moment before, not it)
			resolved[role] = found?.path ?? created!;
		}
		this.folders = resolved;
		// IMAP4rev2 includes BINARY, but a server that offers rev1 too stays rev1 unless asked to ENABLE rev2 (imap.ts does not)
		const caps = this.client.capabilities;
		this.hasBinary = caps.has('BINARY') || (caps.has('IMAP4rev2') && !caps.has('IMAP4rev1'));
		return resolved;
	}

	/** Selects the inbox (read-write): what follows works on it. */
	async selectInbox(): Promise<void> {
		const mailbox = await this.client.mailboxOpen(this.folders.inbox);
		this.uidValidity = String(mailbox.uidValidity);
		const permanent = mailbox.permanentFlags ?? new Set<string>();
		this.canMark = permanent.has('\\*') || permanent.has(PENDING_KEYWORD);
	}

	/** whether the inbox is the selected folder */
	get inboxSelected(): boolean {
		return this.client.mailbox ? this.client.mailbox.path === this.folders.inbox : false;
	}

	/** Selects another folder (read-write) and returns its UIDVALIDITY. */
	async select(folder: string): Promise<string> {
		const mailbox = await this.client.mailboxOpen(folder);
		this.noteSeen(folder, mailbox.uidValidity, mailbox.uidNext);
		return String(mailbox.uidValidity);
	}

	/**
	 * UIDVALIDITY and UIDNEXT of a folder ("5:120"), by STATUS: it changes with every mail that arrives there.
	 * Undefined when the server does not say.
	 */
	async arrivals(folder: string): Promise<string | undefined> {
		const status = await this.client.status(folder, { uidValidity: true, uidNext: true });
		return this.noteSeen(folder, status ? status.uidValidity : undefined, status ? status.uidNext : undefined);
	}

	/** Notes a folder's "UIDVALIDITY:UIDNEXT" in `lastSeen`; a server that leaves one out: nothing (a full look next time). */
	private noteSeen(folder: string, uidValidity: bigint | undefined, uidNext: number | undefined): string | undefined {
		if (uidValidity === undefined || !uidNext) {
			this.lastSeen.delete(folder);
			return undefined;
		}
		const state = `${uidValidity}:${uidNext}`;
		this.lastSeen.set(folder, state);
		return state;
	}

	/** Sets the pending keyword on mails of the selected folder: one UID STORE. */
	async mark(uids: number[]): Promise<void> {
		if (!uids.length) return;
		if (!(await this.client.messageFlagsAdd(uidSet(uids), [PENDING_KEYWORD], { uid: true, silent: true }))) {
			throw this.failure('marking mails');
		}
	}

	/** Clears the pending keyword on mails of the selected folder: one UID STORE; false if the server refused. */
	async unmark(uids: number[]): Promise<boolean> {
		if (!uids.length) return true;
		const done = await this.client.messageFlagsRemove(uidSet(uids), [PENDING_KEYWORD], { uid: true, silent: true });
		if (!done && !this.client.usable) throw this.failure('clearing a mark');
		return done;
	}

	/**
	 * The mails of the selected folder that carry the pending keyword. Asked first as a plain SEARCH (the
	 * usual answer is "none"); only when there are some, a UID SEARCH names them.
	 */
	async marked(): Promise<number[]> {
		const any = await this.client.search({ keyword: PENDING_KEYWORD }, { uid: false });
		if (any === false || any === undefined) throw this.failure('searching for unfinished moves');
		if (!any.length) return [];
		const uids = await this.client.search({ keyword: PENDING_KEYWORD }, { uid: true });
		if (uids === false || uids === undefined) throw this.failure('searching for unfinished moves');
		return uids.sort((a, b) => a - b);
	}

	/** Creates the folder `path` and its missing ancestors; returns its path as the server names it. */
	private async createFolder(path: string, listing: ListResponse[]): Promise<string> {
		const delimiter = listing.find((f) => f.delimiter)?.delimiter ?? '/';
		const steps = path.split(/[/]/).flatMap((s) => (delimiter === '/' ? [s] : s.split(delimiter)));
		// each ancestor explicitly: servers that create "a/b/c" in one go leave "a" and "a/b" unable to hold mail
		for (let depth = 1; depth <= steps.length; depth++) {
			const prefix = steps.slice(0, depth);
			if (depth === 1 && prefix[0].toUpperCase() === 'INBOX') continue;
			const existing = findFolder(listing, prefix.join(delimiter));
			if (existing && !hasFlag(existing, '\\Noselect')) continue;
			await this.client.mailboxCreate(prefix);
		}
		return steps.join(delimiter);
	}

	/**
	 * The UIDs waiting in the inbox, oldest first, at most `maxMessages`: one UID SEARCH. Every mail counts,
	 * read or unread (a user may have opened it in a mail program), except those marked deleted, which a
	 * user has thrown away. `skip` leaves out mails that the caller decided to leave where they are.
	 */
	async list(
		maxMessages: number,
		skip?: Set<number>,
	): Promise<{ uids: number[]; waiting: number; skipped: number[] }> {
		const found = await this.client.search({ deleted: false }, { uid: true });
		if (found === false || found === undefined) throw this.failure('searching the inbox');
		const candidates = (skip ? found.filter((uid) => !skip.has(uid)) : found).sort((a, b) => a - b);
		return {
			uids: candidates.slice(0, Math.max(0, maxMessages)),
			waiting: candidates.length,
			// only the skipped mails still there: the set must not grow with mails users have moved away
			skipped: skip ? found.filter((uid) => skip.has(uid)) : [],
		};
	}

	/**
	 * Envelope, structure, size and dates of a group of mails: one FETCH for all of them. The same FETCH
	 * brings, on a guess, the parts the last download asked for (the mails of one supplier look alike), each
	 * cut off at a size that keeps the batch within `DOWNLOAD_CHUNK_BYTES`: `downloadParts` then takes the ones
	 * that arrived whole from here instead of asking again. `release` drops what was not asked for.
	 */
	async fetchEnvelopes(uids: number[]): Promise<MailSummary[]> {
		if (!uids.length) return [];
		const guess = this.likelyParts;
		const cap = guess.length ? Math.min(EARLY_PART_BYTES, Math.floor(DOWNLOAD_CHUNK_BYTES / uids.length / guess.length)) : 0;
		const query = { uid: true, envelope: true, bodyStructure: true, size: true, internalDate: true } as const;
		let messages;
		try {
			messages = await this.fetchAsked(
				uids,
				guess.length ? { ...query, bodyParts: guess.map((key) => ({ key, start: 0, maxLength: cap })) } : query,
				(m) => m.envelope !== undefined,
			);
		} catch (error) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the transport layer knows no n8n; nodes/shared/nodeErrors.ts maps it
			if (!guess.length || !this.client.usable) throw error;
			// a server may refuse the guessed part of some mail (BINARY of an unknown encoding): no more guesses
			this.likelyParts = [];
			return await this.fetchEnvelopes(uids);
		}
		for (const message of messages) {
			const early = new Map<string, { raw: Buffer; binary: boolean }>();
			for (const [key, raw] of message.bodyParts ?? []) {
				// a partial answer is named "2]<0>" by imapflow; shorter than asked for means the whole part
				const part = key.replace(/\]<0>$/, '');
				if (raw.length < cap) early.set(part, { raw, binary: message.binaryParts?.has(key) ?? false });
			}
			if (early.size) this.early.set(message.uid, early);
		}
		return messages.map(summarise).sort((a, b) => a.uid - b.uid);
	}

	/** Drops the parts that came early for these mails and were not downloaded (a mail left or failed). */
	release(uids: number[]): void {
		for (const uid of uids) this.early.delete(uid);
	}

	/**
	 * Downloads only the named body parts, decoded. Mails that need the same part numbers (the usual case:
	 * one supplier's mails all look alike) share one FETCH; big attachments are split over several FETCHes
	 * so that one batch never holds more than a few megabytes of raw data at a time.
	 */
	async downloadParts(
		requests: Array<{ uid: number; parts: MailPart[] }>,
	): Promise<Map<number, Map<string, Buffer>>> {
		const result = new Map<number, Map<string, Buffer>>();
		const groups = new Map<string, Array<{ uid: number; parts: MailPart[] }>>();
		for (const request of requests) {
			if (!request.parts.length) continue;
			const early = this.takeEarly(request);
			if (early) {
				result.set(request.uid, early);
				continue;
			}
			const key = request.parts.map((p) => p.part).join(' ');
			groups.set(key, [...(groups.get(key) ?? []), request]);
		}
		const wanted = requests.find((r) => r.parts.length)?.parts.map((p) => p.part.toLowerCase());
		if (wanted) this.likelyParts = wanted.slice(0, 3);
		for (const [key, members] of groups) {
			const partIds = key.split(' ');
			let chunk: typeof members = [];
			let chunkBytes = 0;
			const flush = async () => {
				if (!chunk.length) return;
				await this.fetchParts(chunk, partIds, result);
				chunk = [];
				chunkBytes = 0;
			};
			for (const member of members) {
				const bytes = member.parts.reduce((sum, p) => sum + p.encodedSize, 0);
				if (chunk.length && chunkBytes + bytes > DOWNLOAD_CHUNK_BYTES) await flush();
				chunk.push(member);
				chunkBytes += bytes;
			}
			await flush();
		}
		return result;
	}

	/** The request's parts decoded, when all of them came whole with the structure; taken out of the store. */
	private takeEarly(request: { uid: number; parts: MailPart[] }): Map<string, Buffer> | undefined {
		const early = this.early.get(request.uid);
		if (!early) return undefined;
		this.early.delete(request.uid);
		const decoded = new Map<string, Buffer>();
		for (const part of request.parts) {
			const got = early.get(part.part.toLowerCase());
			if (!got) return undefined;
			decoded.set(part.part, got.binary ? got.raw : decodeTransferEncoding(got.raw, part.encoding));
		}
		return decoded;
	}

	private async fetchParts(
		members: Array<{ uid: number; parts: MailPart[] }>,
		partIds: string[],
		into: Map<number, Map<string, Buffer>>,
	): Promise<void> {
		const byUid = new Map(members.map((m) => [m.uid, m.parts]));
		const messages = await this.fetchAsked([...byUid.keys()], { uid: true, bodyParts: partIds }, (m) => m.bodyParts !== undefined);
		for (const message of messages) {
			const parts = byUid.get(message.uid)!;
			const decoded = new Map<string, Buffer>();
			for (const part of parts) {
				const key = part.part.toLowerCase();
				const raw = message.bodyParts?.get(key);
				if (!raw) continue;
				decoded.set(part.part, message.binaryParts?.has(key) ? raw : decodeTransferEncoding(raw, part.encoding));
			}
			into.set(message.uid, decoded);
		}
	}

	/**
	 * One UID FETCH of these mails (BINARY where the server has it, RFC 3516: it undoes base64 / quoted-printable;
	 * without it we decode ourselves), answered by the mails asked for that carry what was asked (`carries`). The
	 * answer also brings the flag changes other sessions made meanwhile (a mail program marking a mail read:
	 * "* 7 FETCH (FLAGS (\\Seen))", without the UID or with it), which imapflow lists as messages too.
	 */
	private async fetchAsked(uids: number[], query: FetchQueryObject, carries: (message: FetchMessageObject) => boolean): Promise<FetchMessageObject[]> {
		const asked = new Set(uids);
		const messages = await this.client.fetchAll(uidSet(uids), query, { uid: true, binary: this.hasBinary });
		return messages.filter((m) => asked.has(m.uid) && carries(m));
	}

	/** Moves the mails to the archive folder: the mail has been handed over. */
	async commit(uids: number[]): Promise<MoveReport> {
		return await this.move(uids, this.folders.archive);
	}

	/** Moves the mails to the error folder. */
	async fail(uids: number[]): Promise<MoveReport> {
		return await this.move(uids, this.folders.error);
	}

	/** Which of these UIDs are still in the selected folder: one UID SEARCH. */
	async present(uids: number[]): Promise<Set<number>> {
		if (!uids.length) return new Set();
		const found = await this.client.search({ uid: uidSet(uids) }, { uid: true });
		if (found === false || found === undefined) throw this.failure('searching the folder');
		return new Set(found);
	}

	/**
	 * One UID MOVE for the whole set. The server's COPYUID answer (UIDPLUS) says exactly which mails it moved.
	 * Only when the server refuses the set (a folder gone, or a mail of the set expunged by another client:
	 * Dovecot then refuses the whole MOVE with NO [EXPUNGEISSUED]) are the mails moved one by one, to find
	 * out which of them can still be moved.
	 */
	async move(uids: number[], destination: string): Promise<MoveReport> {
		if (!uids.length) return EMPTY_MOVE;
		const whole = await this.moveOnce(uidSet(uids), uids, destination);
		if (whole !== 'refused') return whole;

		const report: MoveReport = { moved: [], notMoved: [], inDoubt: [], arrivedAs: new Map() };
		for (let i = 0; i < uids.length; i++) {
			const one = await this.moveOnce(String(uids[i]), [uids[i]], destination);
			if (one === 'refused') {
				report.notMoved.push(uids[i]);
				continue;
			}
			report.moved.push(...one.moved);
			report.notMoved.push(...one.notMoved);
			for (const [from, to] of one.arrivedAs ?? []) report.arrivedAs!.set(from, to);
			report.destinationUidValidity = one.destinationUidValidity ?? report.destinationUidValidity;
			if (one.inDoubt.length) {
				report.inDoubt.push(...uids.slice(i));
				break;
			}
		}
		if (report.notMoved.length) report.refusal = await this.whyRefused(report.notMoved, destination);
		return report;
	}

	private async moveOnce(set: string, uids: number[], destination: string): Promise<MoveReport | 'refused'> {
		const answer = await this.client.messageMove(set, destination, { uid: true });
		// imapflow answers a broken connection like a refusal (false): only `usable` tells them apart
		if (!answer) return this.client.usable ? 'refused' : { moved: [], notMoved: [], inDoubt: [...uids] };
		const uidMap = answer.uidMap;
		if (uidMap) {
			return {
				moved: uids.filter((u) => uidMap.has(u)),
				notMoved: uids.filter((u) => !uidMap.has(u)),
				inDoubt: [],
				arrivedAs: uidMap,
				destinationUidValidity: answer.uidValidity === undefined ? undefined : String(answer.uidValidity),
			};
		}
		// imapflow also returns an answer without COPYUID for some NO responses (EXPUNGEISSUED): from a
		// server with UIDPLUS, no COPYUID means nothing was moved
		if (this.client.capabilities.has('UIDPLUS')) return 'refused';
		// a server without UIDPLUS does not say which mails it moved: the ones gone from the inbox are (a
		// mail another client takes away at the same moment would count as moved: such servers are rare)
		const left = await this.present(uids);
		return { moved: uids.filter((u) => !left.has(u)), notMoved: uids.filter((u) => left.has(u)), inDoubt: [] };
	}

	/** imapflow swallows the server's NO text of a MOVE; find out the likely cause instead. */
	private async whyRefused(uids: number[], destination: string): Promise<string> {
		try {
			const left = await this.present(uids);
			if (left.size === 0) return 'another client moved or deleted the mail meanwhile';
			const status = await this.client.status(destination, { messages: true });
			if (status) return `the server refused to move the mail into "${destination}"`;
		} catch {
			// STATUS of a missing folder fails: that is the answer
		}
		return `the folder "${destination}" no longer exists on the server`;
	}

	private failure(what: string): Error {
		if (!this.client.usable) {
			return new TransportError('connectionLost', `connection closed while ${what}`, { code: 'EConnectionClosed' });
		}
		return new TransportError('refusedByServer', `The mail server refused ${what} in "${this.client.mailbox ? this.client.mailbox.path : this.folders.inbox}".`);
	}
}

function hasFlag(folder: ListResponse, flag: string): boolean {
	return [...folder.flags].some((f) => f.toLowerCase() === flag.toLowerCase());
}

/** Finds a configured path among the server's folders: exactly, with INBOX in any case, or with the server's delimiter. */
export function findFolder(listing: ListResponse[], wanted: string): ListResponse | undefined {
	const normal = (path: string) => path.replace(/^inbox(?=$|[/.])/i, 'INBOX');
	const trimmed = wanted.trim().replace(/^\/+|\/+$/g, '');
	const forms = new Set([trimmed]);
	for (const f of listing) if (f.delimiter && f.delimiter !== '/') forms.add(trimmed.split('/').join(f.delimiter));
	for (const form of forms) {
		const hit = listing.find((f) => f.path === form) ?? listing.find((f) => normal(f.path) === normal(form));
		if (hit) return hit;
	}
	return undefined;
}

