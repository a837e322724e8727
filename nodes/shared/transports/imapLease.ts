import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import type { ImapFlow } from 'imapflow';

import { processWide } from '../processLock';
import { closeImapClient, imapEndpoint, openImapClient, type ImapCredentials } from './imap';
import { TransportError } from './transportError';

/**
 * One poll per mailbox across processes: a lease kept on the IMAP server itself, which every n8n main, worker
 * and abandoned poll sees. The lease is a folder (`n8n-poll-lock-<hash of the inbox folder>`) holding one note:
 * who holds it and until when.
 *
 * - Taking it is one atomic server operation: the note is written into a private folder, which is then renamed
 *   to the lease folder. RENAME fails when the target exists (RFC 3501 6.3.5), so of two processes exactly one
 *   succeeds, and the lease folder never exists without its note.
 * - The holder is identified by the folder's UIDVALIDITY, which the server never gives twice to a folder of the
 *   same name (RFC 3501 2.3.1.1): a holder whose folder was taken over and made again notices it.
 * - Released by deleting the folder; a holder that dies leaves it behind, and the note's expiry frees it: the
 *   next process renames the expired folder aside (again one atomic RENAME) and takes a fresh lease.
 * - The holder extends the lease while it works (`stillHeld`, before each batch); expiry times are compared
 *   with each process's own clock, so the machines' clocks must agree to within a few minutes (NTP).
 */

export const LEASE_MS = 5 * 60_000;
/** this process, in every holder name: `<host> pid <pid> <random>` */
const PROCESS = `${hostname()} pid ${process.pid}`;
/**
 * The leases held by polls running in this process, by their random part.
 */
const LIVE = processWide('pollLeases', () => new Set<string>());
const FOLDER_PREFIX = 'n8n-poll-lock-';
const HOLDER_HEADER = 'X-Backoffice-Lease-Holder';
const EXPIRES_HEADER = 'X-Backoffice-Lease-Expires';

export interface LeaseHolder {
	/** host, process id and a random part */
	holder: string;
	expires: Date;
}

export type LeaseClaim = { acquired: true } | ({ acquired: false } & LeaseHolder);

export interface LeaseOptions {
	/** how long the lease lasts without being extended */
	ttlMs?: number;
	/** epoch milliseconds; tests pass their own clock */
	now?: () => number;
}

export class ImapLease {
	private client?: ImapFlow;
	private folder = '';
	/** UIDVALIDITY of the lease folder this process made; undefined while it holds no lease */
	private held?: string;
	private expires = 0;
	private readonly token = randomBytes(6).toString('hex');
	readonly holder = `${PROCESS} ${this.token}`;
	private readonly ttlMs: number;
	private readonly now: () => number;

	constructor(
		private readonly credentials: ImapCredentials,
		private readonly inbox: string,
		options: LeaseOptions = {},
	) {
		this.ttlMs = options.ttlMs ?? LEASE_MS;
		this.now = options.now ?? Date.now;
	}

	/** Takes the lease, or says who holds it. Taking over a stale lease (`isStale`) is tried once. */
	async acquire(): Promise<LeaseClaim> {
		const client = await this.session();
		for (let attempt = 0; attempt < 2; attempt++) {
			if (await this.install(client)) return { acquired: true };
			const current = await this.readLease(client);
			if (!current) continue; // released in the meantime
			if (!this.isStale(current)) return { acquired: false, holder: current.holder, expires: current.expires };
			await this.removeExpired(client, current.uidValidity);
		}
		const current = await this.readLease(client);
		return { acquired: false, holder: current?.holder ?? 'another process', expires: current?.expires ?? new Date(this.now()) };
	}

	/**
	 * A lease whose holder cannot be working any more: expired; or held by a process on this machine that no
	 * longer runs (a restarted n8n, a killed worker), or by a poll of this process that has ended without giving
	 * it back (it could not reach the server). Any other holder's lease is waited out until it expires.
	 */
	private isStale(lease: LeaseHolder): boolean {
		if (lease.expires.getTime() <= this.now()) return true;
		const holder = /^(.*) pid (\d+) ([0-9a-f]+)$/.exec(lease.holder);
		if (!holder || holder[1] !== hostname()) return false;
		if (Number(holder[2]) === process.pid) return !LIVE.has(holder[3]);
		try {
			process.kill(Number(holder[2]), 0);
			return false;
		} catch (error) {
			// EPERM: the process exists (another user's); ESRCH: it is gone
			return (error as NodeJS.ErrnoException).code === 'ESRCH';
		}
	}

	/**
	 * Whether this process still holds the lease (its folder is still the lease folder); extends it when less
	 * than half of it is left. False after a take-over: the caller stops starting new work. Throws when the
	 * server cannot be asked (on a new connection if the first one broke).
	 */
	async stillHeld(): Promise<boolean> {
		if (this.held === undefined) return false;
		const client = await this.session();
		if ((await this.currentUidValidity(client)) !== this.held) {
			this.held = undefined;
			LIVE.delete(this.token);
			return false;
		}
		if (this.expires - this.now() < this.ttlMs / 2) {
			this.expires = this.now() + this.ttlMs;
			await client.append(this.folder, this.note(), ['\\Seen']);
		}
		return true;
	}

	/**
	 * Gives the lease back (deletes its folder if it is still this process's; on a new connection if the first
	 * one broke) and closes the connection. A lease that cannot be given back expires.
	 */
	async release(): Promise<void> {
		try {
			if (this.held === undefined) return;
			const client = await this.session();
			if ((await this.currentUidValidity(client)) === this.held) await client.mailboxDelete(this.folder);
		} finally {
			this.held = undefined;
			LIVE.delete(this.token);
			const client = this.client;
			this.client = undefined;
			if (client) await closeImapClient(client);
		}
	}

	private async session(): Promise<ImapFlow> {
		if (this.client?.usable) return this.client;
		if (this.client) await closeImapClient(this.client);
		this.client = await openImapClient(this.credentials);
		this.folder = `${this.client.namespace?.prefix ?? ''}${leaseFolderName(this.inbox)}`;
		return this.client;
	}

	/** The note in a private folder, renamed to the lease folder: true if this process now holds the lease. */
	private async install(client: ImapFlow): Promise<boolean> {
		const staging = `${this.folder}-${this.token}`;
		this.expires = this.now() + this.ttlMs;
		const made = await unlessRefused(async () => {
			await client.mailboxCreate(staging);
			// imapflow subscribes what it creates; a lock folder has no place in the user's folder list
			await client.mailboxUnsubscribe(staging);
			await client.append(staging, this.note(), ['\\Seen']);
			await client.mailboxRename(staging, this.folder);
		});
		if (made.refused) {
			await client.mailboxDelete(staging).catch(() => undefined);
			if (made.code === 'ALREADYEXISTS') return false;
			throw new TransportError('refusedByServer', `The mail server refused to create the poll lock folder "${this.folder}": ${made.text}`, {
				endpoint: imapEndpoint(this.credentials),
				code: made.code,
				step: 'taking the poll lease',
				hint: 'Allow this mail account to create folders, so that two n8n processes never poll the same inbox folder at once.',
			});
		}
		this.held = await this.currentUidValidity(client);
		if (this.held !== undefined) LIVE.add(this.token);
		return this.held !== undefined;
	}

	/** The lease as its folder states it: the first note's holder, and the latest expiry that holder wrote. */
	private async readLease(client: ImapFlow): Promise<(LeaseHolder & { uidValidity: string }) | undefined> {
		const opened = await unlessRefused(async () => await client.mailboxOpen(this.folder, { readOnly: true }));
		if (opened.refused) return undefined;
		const uidValidity = String(opened.value.uidValidity);
		let holder: string | undefined;
		let expires = 0;
		try {
			for (const message of await client.fetchAll('1:*', { headers: [HOLDER_HEADER, EXPIRES_HEADER] })) {
				const note = parseNote(message.headers?.toString('utf8') ?? '');
				holder ??= note.holder;
				if (note.holder === holder) expires = Math.max(expires, note.expires);
			}
		} finally {
			await client.mailboxClose().catch(() => undefined);
		}
		// a folder emptied by hand holds nothing: expired
		return { holder: holder ?? 'nobody', expires: new Date(expires), uidValidity };
	}

	/** Renames the expired lease folder aside (one process wins) and deletes it; a fresh one taken by mistake goes back. */
	private async removeExpired(client: ImapFlow, uidValidity: string): Promise<void> {
		const aside = `${this.folder}-expired-${this.token}`;
		// refused: another process took it over first
		if ((await unlessRefused(async () => await client.mailboxRename(this.folder, aside))).refused) return;
		const status = await client.status(aside, { uidValidity: true });
		if (status && String(status.uidValidity) !== uidValidity) {
			// between reading and renaming, another process took the lease over and made a fresh one: give it back
			await client.mailboxRename(aside, this.folder).catch(() => undefined);
			return;
		}
		await client.mailboxDelete(aside);
	}

	private async currentUidValidity(client: ImapFlow): Promise<string | undefined> {
		const status = await unlessRefused(async () => await client.status(this.folder, { uidValidity: true }));
		return !status.refused && status.value && status.value.uidValidity !== undefined ? String(status.value.uidValidity) : undefined;
	}

	private note(): Buffer {
		const expires = new Date(this.expires).toISOString();
		return Buffer.from(
			[
				'From: n8n-nodes-backoffice <poll-lock@localhost>',
				`Subject: n8n poll lock for ${this.inbox.replace(/[\r\n]/g, ' ')}`,
				`Date: ${new Date(this.now()).toUTCString()}`,
				`${HOLDER_HEADER}: ${this.holder}`,
				`${EXPIRES_HEADER}: ${expires}`,
				'Content-Type: text/plain; charset=utf-8',
				'',
				'This folder keeps two n8n processes from polling the same inbox folder at the same time.',
				`It disappears when the poll ends, and counts as free after ${expires} if its holder stopped.`,
				'',
			].join('\r\n'),
		);
	}
}

/** The lease folder of an inbox folder (below the server's personal namespace prefix, if it has one). */
export function leaseFolderName(inbox: string): string {
	return `${FOLDER_PREFIX}${createHash('sha256').update(inbox).digest('hex').slice(0, 16)}`;
}

function parseNote(headers: string): { holder?: string; expires: number } {
	const value = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(headers)?.[1]?.trim();
	const expires = Date.parse(value(EXPIRES_HEADER) ?? '');
	return { holder: value(HOLDER_HEADER), expires: Number.isFinite(expires) ? expires : 0 };
}

type Answer<T> = { refused: false; value: T } | { refused: true; code?: string; text: string };

/** The operation's result, or the server's refusal (a NO: no such folder, already exists …); a lost connection throws. */
async function unlessRefused<T>(operation: () => Promise<T>): Promise<Answer<T>> {
	try {
		return { refused: false, value: await operation() };
	} catch (error) {
		const e = error as { responseStatus?: string; serverResponseCode?: string; responseText?: string; message?: string };
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the transport layer knows no n8n; the node maps what reaches it
		if (e?.responseStatus !== 'NO') throw error;
		return { refused: true, code: e.serverResponseCode, text: e.responseText ?? e.message ?? 'refused' };
	}
}
