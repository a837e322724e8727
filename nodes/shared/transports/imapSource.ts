import type { FetchMessageObject, ImapFlow, ListResponse, MessageAddressObject, MessageStructureObject } from 'imapflow';

import { TransportError, toTransportError } from './transportError';
import { imapEndpoint, withImapClient, type ImapCredentials } from './imap';

/**
 * An IMAP folder as a source of documents, with the consumer contract of Apache Camel's mail component:
 * `list` what waits in the inbox, `fetchEnvelopes` and `downloadParts` to read it, then `commit` (move to
 * the archive folder) or `fail` (move to the error folder). Mail is never deleted and never flagged: the
 * inbox itself is the cursor. Whatever is still in the inbox has not been handed to the workflow; whatever
 * left it by our MOVE has. So no state between polls is needed, and a mail a user moves back into the inbox
 * is simply processed again.
 *
 * Every step is one command for a whole group of mails (UID sets), never a round trip per mail, except for
 * finding out which mails a refused MOVE concerned.
 */

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

export interface MailAddress {
	name?: string;
	address: string;
}

/** A body part of a mail that may carry a document: anything but the mail's own text. */
export interface MailPart {
	/** IMAP body part number, e.g. "2" or "1.2" */
	part: string;
	/** lower-case MIME type, e.g. "application/xml" */
	contentType: string;
	fileName?: string;
	/** the MIME part's charset parameter, if any */
	charset?: string;
	/** the content transfer encoding as the server reports it (base64, quoted-printable, 7bit …) */
	encoding?: string;
	/** the size of the part as stored, i.e. still transfer-encoded */
	encodedSize: number;
	/** the size after decoding (exact for base64 up to padding, else the stored size) */
	size: number;
}

export interface MailSummary {
	uid: number;
	messageId?: string;
	from: MailAddress[];
	/** the Sender: header, when a list or a system sends on someone's behalf */
	sender: MailAddress[];
	to: MailAddress[];
	subject?: string;
	/** the Date: header, ISO 8601 */
	date?: string;
	/** when the server received the mail, ISO 8601 */
	receivedAt?: string;
	size?: number;
	parts: MailPart[];
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
}

const EMPTY_MOVE: MoveReport = { moved: [], notMoved: [], inDoubt: [] };

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

const BODY_TEXT_TYPES = new Set(['text/plain', 'text/html', 'text/enriched', 'text/calendar']);

/** How much attachment data one FETCH may bring at most, so that a batch of big attachments stays bounded. */
const DOWNLOAD_CHUNK_BYTES = 16 * 1024 * 1024;

export class ImapSource {
	/** the folders as the server names them (after resolving the configured paths) */
	folders: ImapSourceFolders = { inbox: '', archive: '', error: '' };
	/** the inbox's UIDVALIDITY: UIDs are only comparable between sessions while it stays the same */
	uidValidity = '';
	private hasBinary = false;

	constructor(readonly client: ImapFlow) {}

	/**
	 * Resolves the three folders (a path typed with "/" also finds a server that separates with "."), creates
	 * missing ones when asked to (parents first, so that they are real folders), and selects the inbox.
	 */
	async openFolders(wanted: ImapSourceFolders, options: { createMissing: boolean }): Promise<ImapSourceFolders> {
		let listing = await this.client.list({ listOnly: true });
		const resolved = { ...wanted };
		for (const role of ['inbox', 'archive', 'error'] as FolderRole[]) {
			let found = findFolder(listing, wanted[role]);
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
				await this.createFolder(wanted[role], listing);
				listing = await this.client.list({ listOnly: true });
				found = findFolder(listing, wanted[role]);
				if (!found || hasFlag(found, '\\Noselect')) {
					throw folderNotFound(role, wanted[role], found ? 'notSelectable' : 'missing', []);
				}
			}
			resolved[role] = found!.path;
		}
		this.folders = resolved;
		const mailbox = await this.client.mailboxOpen(resolved.inbox);
		this.uidValidity = String(mailbox.uidValidity);
		this.hasBinary = this.client.capabilities.has('BINARY') || this.client.capabilities.has('IMAP4rev2');
		return resolved;
	}

	private async createFolder(path: string, listing: ListResponse[]): Promise<void> {
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

	/** Envelope, structure, size and dates of a group of mails: one FETCH for all of them. */
	async fetchEnvelopes(uids: number[]): Promise<MailSummary[]> {
		if (!uids.length) return [];
		const messages = await this.client.fetchAll(
			uidSet(uids),
			{ uid: true, envelope: true, bodyStructure: true, size: true, internalDate: true },
			{ uid: true },
		);
		return messages.map(summarise).sort((a, b) => a.uid - b.uid);
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
			const key = request.parts.map((p) => p.part).join(' ');
			groups.set(key, [...(groups.get(key) ?? []), request]);
		}
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

	private async fetchParts(
		members: Array<{ uid: number; parts: MailPart[] }>,
		partIds: string[],
		into: Map<number, Map<string, Buffer>>,
	): Promise<void> {
		const byUid = new Map(members.map((m) => [m.uid, m.parts]));
		// FETCH BINARY (RFC 3516) lets the server undo base64 / quoted-printable; without it we decode ourselves
		const messages = await this.client.fetchAll(
			uidSet(members.map((m) => m.uid)),
			{ uid: true, bodyParts: partIds },
			{ uid: true, binary: this.hasBinary },
		);
		for (const message of messages) {
			const parts = byUid.get(message.uid);
			if (!parts || !message.bodyParts) continue;
			const decoded = new Map<string, Buffer>();
			for (const part of parts) {
				const key = part.part.toLowerCase();
				const raw = message.bodyParts.get(key);
				if (!raw) continue;
				decoded.set(part.part, message.binaryParts?.has(key) ? raw : decodeTransferEncoding(raw, part.encoding));
			}
			into.set(message.uid, decoded);
		}
	}

	/** Moves the mails to the archive folder: the mail has been handed over. */
	async commit(uids: number[]): Promise<MoveReport> {
		return await this.moveTo(uids, this.folders.archive);
	}

	/** Moves the mails to the error folder. */
	async fail(uids: number[]): Promise<MoveReport> {
		return await this.moveTo(uids, this.folders.error);
	}

	/** Which of these UIDs are still in the inbox: one UID SEARCH. */
	async stillInInbox(uids: number[]): Promise<Set<number>> {
		if (!uids.length) return new Set();
		const found = await this.client.search({ uid: uidSet(uids) }, { uid: true });
		if (found === false || found === undefined) throw this.failure('searching the inbox');
		return new Set(found);
	}

	/**
	 * One UID MOVE for the whole set. The server's COPYUID answer (UIDPLUS) says exactly which mails it moved.
	 * Only when the server refuses the set (a folder gone, or a mail of the set expunged by another client:
	 * Dovecot then refuses the whole MOVE with NO [EXPUNGEISSUED]) are the mails moved one by one, to find
	 * out which of them can still be moved.
	 */
	private async moveTo(uids: number[], destination: string): Promise<MoveReport> {
		if (!uids.length) return EMPTY_MOVE;
		const whole = await this.moveOnce(uidSet(uids), uids, destination);
		if (whole !== 'refused') return whole;

		const report: MoveReport = { moved: [], notMoved: [], inDoubt: [] };
		for (let i = 0; i < uids.length; i++) {
			const one = await this.moveOnce(String(uids[i]), [uids[i]], destination);
			if (one === 'refused') {
				report.notMoved.push(uids[i]);
				continue;
			}
			report.moved.push(...one.moved);
			report.notMoved.push(...one.notMoved);
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
		if (uidMap) return { moved: uids.filter((u) => uidMap.has(u)), notMoved: uids.filter((u) => !uidMap.has(u)), inDoubt: [] };
		// imapflow also returns an answer without COPYUID for some NO responses (EXPUNGEISSUED): from a
		// server with UIDPLUS, no COPYUID means nothing was moved
		if (this.client.capabilities.has('UIDPLUS')) return 'refused';
		// a server without UIDPLUS does not say which mails it moved: the ones gone from the inbox are (a
		// mail another client takes away at the same moment would count as moved: such servers are rare)
		const left = await this.stillInInbox(uids);
		return { moved: uids.filter((u) => !left.has(u)), notMoved: uids.filter((u) => left.has(u)), inDoubt: [] };
	}

	/** imapflow swallows the server's NO text of a MOVE; find out the likely cause instead. */
	private async whyRefused(uids: number[], destination: string): Promise<string> {
		try {
			const left = await this.stillInInbox(uids);
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
		return new TransportError('refusedByServer', `The mail server refused ${what} in "${this.folders.inbox}".`);
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

function addresses(list: MessageAddressObject[] | undefined): MailAddress[] {
	return (list ?? [])
		.filter((a) => a.address)
		.map((a) => (a.name ? { name: a.name, address: a.address! } : { address: a.address! }));
}

function iso(date: Date | string | undefined): string | undefined {
	if (!date) return undefined;
	const d = date instanceof Date ? date : new Date(date);
	return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function summarise(message: FetchMessageObject): MailSummary {
	const envelope = message.envelope ?? {};
	const summary: MailSummary = {
		uid: message.uid,
		from: addresses(envelope.from),
		sender: addresses(envelope.sender),
		to: addresses(envelope.to),
		parts: message.bodyStructure ? documentParts(message.bodyStructure) : [],
	};
	if (envelope.messageId) summary.messageId = envelope.messageId;
	if (envelope.subject) summary.subject = envelope.subject;
	const date = iso(envelope.date);
	if (date) summary.date = date;
	const receivedAt = iso(message.internalDate);
	if (receivedAt) summary.receivedAt = receivedAt;
	if (message.size !== undefined) summary.size = message.size;
	return summary;
}

/**
 * The parts of a mail that may be documents: every leaf except the mail's own text (a text/plain or
 * text/html part without a file name that is not marked as attachment). A mail that is nothing but an
 * attachment (EDI gateways send those) has part "1".
 */
export function documentParts(structure: MessageStructureObject): MailPart[] {
	const parts: MailPart[] = [];
	const walk = (node: MessageStructureObject) => {
		const type = (node.type ?? '').toLowerCase();
		if (node.childNodes?.length && type.startsWith('multipart/')) {
			for (const child of node.childNodes) walk(child);
			return;
		}
		// a forwarded mail (message/rfc822) is a mail, not a document of the sender's
		if (type.startsWith('multipart/') || type === 'message/rfc822') return;
		const fileName = node.dispositionParameters?.filename ?? node.parameters?.name;
		const disposition = node.disposition?.toLowerCase();
		if (!fileName && disposition !== 'attachment' && BODY_TEXT_TYPES.has(type)) return;
		const encoding = node.encoding?.toLowerCase();
		const encodedSize = node.size ?? 0;
		const part: MailPart = {
			part: node.part ?? '1',
			contentType: type,
			encodedSize,
			size: encoding === 'base64' ? Math.floor((encodedSize * 3) / 4) : encodedSize,
		};
		if (fileName) part.fileName = fileName;
		if (node.parameters?.charset) part.charset = node.parameters.charset;
		if (encoding) part.encoding = encoding;
		parts.push(part);
	};
	walk(structure);
	return parts;
}

/** Undoes a content transfer encoding, for servers without FETCH BINARY. */
export function decodeTransferEncoding(raw: Buffer, encoding: string | undefined): Buffer {
	switch (encoding) {
		case 'base64':
			return Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
		case 'quoted-printable': {
			const text = raw.toString('latin1').replace(/=\r?\n/g, '');
			const out = Buffer.alloc(text.length);
			let n = 0;
			for (let i = 0; i < text.length; i++) {
				if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
					out[n++] = parseInt(text.slice(i + 1, i + 3), 16);
					i += 2;
				} else out[n++] = text.charCodeAt(i);
			}
			return out.subarray(0, n);
		}
		default:
			return raw;
	}
}

// ---------------------------------------------------------------------------------------------------------
// The consumer: begin / commit / rollback over batches, with the guarantees the nodes rely on
// ---------------------------------------------------------------------------------------------------------

export type MailAction = 'commit' | 'fail' | 'leave';

/** What the caller decided for one mail; `result` is handed back only if the decision took effect. */
export interface MailDecision<T> {
	uid: number;
	action: MailAction;
	result: T;
}

export interface ConsumeOptions<T> {
	folders: ImapSourceFolders;
	createMissingFolders: boolean;
	maxMessages: number;
	/** mails per FETCH / MOVE; bounds memory */
	batchSize?: number;
	/** Date.now() after which no new batch is started (the poll budget) */
	deadline: number;
	/** mails the caller left in the inbox before, by UID, valid for `skipUidValidity` */
	skip?: Set<number>;
	skipUidValidity?: string;
	/** reads a batch and decides for each mail; may download parts through the source */
	decide(batch: MailSummary[], source: ImapSource): Promise<Array<MailDecision<T>>>;
}

export interface ConsumeReport<T> {
	/** results of mails now in the archive folder */
	committed: T[];
	/** results of mails now in the error folder */
	failed: T[];
	/** the folders as the server names them */
	folders: ImapSourceFolders;
	/** UIDs left in the inbox on purpose (decision 'leave', in this poll or an earlier one) */
	left: number[];
	/** mails whose move the server refused; they stay in the inbox for the next poll */
	notMoved: Array<{ uid: number; action: MailAction; refusal?: string }>;
	/** mails moved back into the inbox because an earlier poll could not confirm their move */
	rolledBack: number;
	uidValidity: string;
	/** more mails wait than this poll took (max mails per poll, or the time budget) */
	more: boolean;
	/**
	 * The poll stopped early: the connection broke (a TransportError), or a later batch failed after earlier
	 * ones were moved. Everything in committed/failed is moved and must be handed on; the rest waits.
	 */
	interruption?: Error;
}

export interface PendingMove {
	uid: number;
	messageId?: string;
	destination: string;
}

/**
 * Moves whose outcome a poll could not learn (the connection broke during MOVE and did not come back within
 * the poll), per mailbox. The next poll of the same process resolves them first: a mail still in the inbox
 * is processed normally; a mail that did arrive in the destination is moved back into the inbox, so that it
 * is processed (and emitted) again instead of lying in the archive unseen.
 */
const pendingMoves = new Map<string, { uidValidity: string; moves: PendingMove[] }>();

/** Mailboxes with a poll in progress in this process. */
const busyMailboxes = new Set<string>();

/** One mailbox folder, whichever port or TLS mode reaches it. */
export function mailboxKey(c: ImapCredentials, inbox: string): string {
	return `${c.host.toLowerCase()}|${c.user.toLowerCase()}|${inbox}`;
}

/**
 * Runs `work` unless another poll of the same mailbox folder runs in this process; then returns
 * `{ busy: true }` at once. Two polls working on the same inbox would fetch the same mails; the MOVE would
 * still hand each mail to only one of them (COPYUID), but the second would do the work for nothing.
 */
export async function withMailboxLock<R>(key: string, work: () => Promise<R>): Promise<{ busy: true } | { busy: false; value: R }> {
	if (busyMailboxes.has(key)) return { busy: true };
	busyMailboxes.add(key);
	try {
		return { busy: false, value: await work() };
	} finally {
		busyMailboxes.delete(key);
	}
}

function toConnectionErrorIfProtocol(error: unknown, credentials: ImapCredentials): unknown {
	return isConnectionLoss(error) ? toTransportError(error, imapEndpoint(credentials), [credentials.password]) : error;
}

function isConnectionLoss(error: unknown): boolean {
	if (error instanceof TransportError) return ['connectionLost', 'timeout'].includes(error.kind);
	const code = (error as { code?: unknown })?.code;
	return typeof code === 'string' && ['EConnectionClosed', 'NoConnection', 'ECONNRESET', 'EPIPE', 'ETIMEOUT'].includes(code);
}

/**
 * One poll of an inbox: list once, then per batch of mails fetch envelopes, let `decide` read and judge
 * them, and move them (one MOVE to the archive, one to the error folder). A result is reported only once
 * its mail's move is confirmed. When the connection breaks, what was moved is reported and the rest waits
 * for the next poll; a MOVE cut off mid-way is checked on a new connection before anything is reported.
 */
export async function consumeImapFolder<T>(credentials: ImapCredentials, options: ConsumeOptions<T>): Promise<ConsumeReport<T>> {
	const key = mailboxKey(credentials, options.folders.inbox);
	const batchSize = Math.max(1, options.batchSize ?? 50);
	const report: ConsumeReport<T> = {
		committed: [],
		failed: [],
		folders: options.folders,
		left: [],
		notMoved: [],
		rolledBack: 0,
		uidValidity: '',
		more: false,
	};
	const inDoubt: Array<MailDecision<T> & { messageId?: string }> = [];
	let folders: ImapSourceFolders | undefined;
	// whether the socket was gone when the error happened (withImapClient closes it before we see the error)
	let connectionBroke = false;

	try {
		await withImapClient(credentials, async (client) => {
			try {
				await consumeBatches(new ImapSource(client));
			} finally {
				connectionBroke = !client.usable;
			}
		});
	} catch (error) {
		const lost = folders !== undefined && (connectionBroke || isConnectionLoss(error));
		// mails already moved must reach the workflow whatever went wrong after them: never throw them away
		const moved = report.committed.length + report.failed.length > 0;
		if (!lost && !moved) throw toConnectionErrorIfProtocol(error, credentials);
		report.interruption = lost
			? toTransportError(error, imapEndpoint(credentials), [credentials.password])
			: error instanceof Error
				? error
				: new Error(String(error));
		report.more = true;
	}

	if (inDoubt.length && folders) {
		await settleInDoubtMoves(credentials, folders, report, inDoubt, key, options.deadline);
	}
	return report;

	async function consumeBatches(source: ImapSource): Promise<void> {
		folders = await source.openFolders(options.folders, { createMissing: options.createMissingFolders });
		report.folders = folders;
		report.uidValidity = source.uidValidity;
		report.rolledBack = await rollBackPendingMoves(source, key);

		const skip = options.skipUidValidity === source.uidValidity ? options.skip : undefined;
		const { uids, waiting, skipped } = await source.list(options.maxMessages, skip);
		report.left.push(...skipped);
		report.more = waiting > uids.length;
		let slowestBatchMs = 0;
		for (let start = 0; start < uids.length; start += batchSize) {
			// a batch started late could outlive the poll: n8n would drop its result after the mails were moved
			if (start > 0 && Date.now() + 2 * slowestBatchMs > options.deadline) {
				report.more = true;
				break;
			}
			const began = Date.now();
			const batch = await source.fetchEnvelopes(uids.slice(start, start + batchSize));
			const decisions = await options.decide(batch, source);
			const messageIds = new Map(batch.map((m) => [m.uid, m.messageId]));
			const byUid = new Map(decisions.map((d) => [d.uid, d]));
			report.left.push(...decisions.filter((d) => d.action === 'leave').map((d) => d.uid));

			for (const action of ['commit', 'fail'] as const) {
				const chosen = decisions.filter((d) => d.action === action).map((d) => d.uid);
				const moved = action === 'commit' ? await source.commit(chosen) : await source.fail(chosen);
				for (const uid of moved.moved) (action === 'commit' ? report.committed : report.failed).push(byUid.get(uid)!.result);
				for (const uid of moved.notMoved) report.notMoved.push({ uid, action, refusal: moved.refusal });
				if (moved.inDoubt.length) {
					inDoubt.push(...moved.inDoubt.map((uid) => ({ ...byUid.get(uid)!, messageId: messageIds.get(uid) })));
					// the other decisions of this batch were never sent: they simply stay in the inbox
					throw new TransportError('connectionLost', 'connection closed during MOVE', { code: 'EConnectionClosed' });
				}
			}
			slowestBatchMs = Math.max(slowestBatchMs, Date.now() - began);
		}
	}
}

/**
 * After a connection broke during MOVE: a new connection asks the inbox which of those mails are gone. Gone
 * means moved (MOVE removes a mail from the source only after it arrived in the destination), so their
 * results are reported; the ones still there wait for the next poll. When no connection can be made in
 * time, the moves are remembered and settled by the next poll (see `pendingMoves`).
 */
async function settleInDoubtMoves<T>(
	credentials: ImapCredentials,
	folders: ImapSourceFolders,
	report: ConsumeReport<T>,
	inDoubt: Array<MailDecision<T> & { messageId?: string }>,
	key: string,
	deadline: number,
): Promise<void> {
	const uids = inDoubt.map((d) => d.uid);
	// a restarted server needs a few seconds; give it until shortly before the poll's budget runs out
	const giveUpAt = Math.min(deadline, Date.now() + 30_000);
	for (let attempt = 0; Date.now() < giveUpAt; attempt++) {
		try {
			const left = await withImapClient(credentials, async (client) => {
				const mailbox = await client.mailboxOpen(folders.inbox, { readOnly: true });
				if (String(mailbox.uidValidity) !== report.uidValidity) return undefined;
				return await new ImapSource(client).stillInInbox(uids);
			});
			if (!left) break;
			for (const decision of inDoubt) {
				if (left.has(decision.uid)) continue;
				(decision.action === 'commit' ? report.committed : report.failed).push(decision.result);
			}
			return;
		} catch {
			await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 5_000)));
		}
	}
	pendingMoves.set(key, {
		uidValidity: report.uidValidity,
		moves: inDoubt.map((d) => ({
			uid: d.uid,
			messageId: d.messageId,
			destination: d.action === 'commit' ? folders.archive : folders.error,
		})),
	});
}

/** Settles the moves an earlier poll could not confirm; returns how many mails went back into the inbox. */
async function rollBackPendingMoves(source: ImapSource, key: string): Promise<number> {
	const pending = pendingMoves.get(key);
	if (!pending) return 0;
	pendingMoves.delete(key);
	if (pending.uidValidity !== source.uidValidity) return 0;
	const left = await source.stillInInbox(pending.moves.map((m) => m.uid));
	const arrived = pending.moves.filter((m) => !left.has(m.uid) && m.messageId);
	const client = source.client;
	let rolledBack = 0;
	for (const destination of new Set(arrived.map((m) => m.destination))) {
		await client.mailboxOpen(destination);
		for (const move of arrived.filter((m) => m.destination === destination)) {
			const found = await client.search({ header: { 'message-id': move.messageId! } }, { uid: true });
			// the newest copy: an older one with the same Message-ID was handed over in an earlier poll
			if (!found || !found.length) continue;
			const newest = Math.max(...found);
			const answer = await client.messageMove(String(newest), source.folders.inbox, { uid: true });
			if (answer && (answer.uidMap?.has(newest) ?? true)) rolledBack++;
		}
	}
	if (arrived.length) await client.mailboxOpen(source.folders.inbox);
	return rolledBack;
}
