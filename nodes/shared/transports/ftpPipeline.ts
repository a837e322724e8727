import { createHash, type Hash } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';

import { enterPassiveModeIPv6, type Client, type FTPContext } from 'basic-ftp';
import { isLoopback } from 'basic-ftp/dist/netUtils';
import { enterPassiveModeIPv4_forceControlHostIP, parseEpsvResponse, parsePasvResponse } from 'basic-ftp/dist/transfer';

/**
 * FTP commands sent together: several commands in one write, their replies read in order (RFC 959 servers read
 * the control connection one command after the other), on the session of a basic-ftp `Client`. One round trip
 * for all of them instead of one per command. Used for the DELEs and SIZEs of a file import (`sendTogether`) and
 * for its downloads (`downloadTogether`).
 *
 * Both settle once every command has its reply, or reject when the session broke; the caller's `into` then
 * holds the replies or downloads that were complete. No command may hold CR, LF or NUL: they are checked before
 * anything is written, so a write is never cut in the middle.
 */

/** A reply of the FTP server to one command. */
export interface FtpReply {
	code: number;
	message: string;
}

/** What a file's download gave: its bytes (up to `limit`, see `Download`), or the server's refusal of it. */
export type Downloaded =
	| { kind: 'content'; bytes: Buffer; sha256: string; received: number; overflow: boolean }
	| { kind: 'refused'; message: string };

export interface Download {
	path: string;
	/** bytes kept at most; beyond them they are counted, not kept (`overflow`), and the session goes on */
	limit: number;
}

/** What basic-ftp hands a task's handler: a reply, an `FTPError` (a reply ≥ 400, with the same fields), or an error. */
function replyOf(response: unknown): FtpReply | undefined {
	// only a reply counts as one (a socket's error may come from another realm: see `ftpStep`)
	const { code, message } = (response ?? {}) as { code?: unknown; message?: unknown };
	return typeof code === 'number' && typeof message === 'string' ? { code, message } : undefined;
}

/** Throws for a command that would not be one line; before the task is registered, so the session stays usable. */
function checked(commands: readonly string[]): readonly string[] {
	const unsafe = commands.find((c) => /[\r\n\0]/.test(c));
	if (unsafe !== undefined) throw new Error(`a command holds a line break or NUL and cannot be sent: ${JSON.stringify(unsafe)}`);
	return commands;
}

function writeTogether(ftp: FTPContext, commands: readonly string[]): void {
	ftp.socket.cork();
	for (const command of commands) ftp.send(command);
	ftp.socket.uncork();
}

/** basic-ftp's task of a command exchange: settled once, by the handler. */
interface Task {
	resolve(value: unknown): void;
	reject(error: Error): void;
}

/**
 * The one exchange of both: `commands` in one write, each reply handed to `onReply` (which settles the task once
 * it has them all); anything else than a reply (the session broke) rejects.
 */
async function exchange(ftp: FTPContext, commands: readonly string[], onReply: (reply: FtpReply, task: Task) => void): Promise<void> {
	if (!checked(commands).length) return;
	const answered = ftp.handle(undefined, (response, task) => {
		const reply = replyOf(response);
		if (reply) onReply(reply, task);
		else task.reject(response instanceof Error ? response : new Error(String(response)));
	});
	writeTogether(ftp, commands);
	await answered;
}

/** `commands` in one write; each reply is added to `into` as it arrives. */
export async function sendTogether(ftp: FTPContext, commands: readonly string[], into: FtpReply[]): Promise<void> {
	await exchange(ftp, commands, (reply, task) => {
		into.push(reply);
		if (into.length === commands.length) task.resolve(undefined);
	});
}

/** How this session opens a data connection: as basic-ftp settled it on the session's first transfer (EPSV, else PASV). */
export type PassiveCommand = 'EPSV' | 'PASV';

/** The passive-mode command basic-ftp found working on this session (a listing is a transfer); undefined before the first. */
export function passiveCommandOf(client: Client): PassiveCommand | undefined {
	if (client.prepareTransfer === enterPassiveModeIPv6) return 'EPSV';
	if (client.prepareTransfer === enterPassiveModeIPv4_forceControlHostIP) return 'PASV';
	return undefined;
}

/** One file of `downloadTogether` on its way. */
interface Transfer {
	download: Download;
	/** the passive command's reply came (and opened the data connection, unless it was a refusal) */
	passiveAnswered: boolean;
	/** the server refused the passive command or the RETR: the file is not downloaded, the session goes on */
	refused?: string;
	/** the RETR's final reply came */
	final: boolean;
	socket?: Socket;
	/** the data connection failed: a break of the session, unless the RETR turns out refused */
	dataError?: Error;
	dataEnded: boolean;
	chunks: Buffer[];
	received: number;
	hash: Hash;
}

/**
 * Downloads files over the session with their commands sent together: per file the passive command (EPSV or
 * PASV, `passive`) and RETR, all of them in one write. The replies come in order, and so do the data connections:
 * the next file's is opened once the current one's data has ended (over TLS it presents the ticket the one before
 * it received; the server serves one transfer at a time anyway). One
 * round trip for the whole group instead of two per file, and no stream pipeline per file. Each file's download
 * is added to `into` as it completes, in order. `progress` is called on every reply and every chunk of data.
 *
 * A refused command (an error reply to the passive command or the RETR, e.g. 550 for a file gone since the
 * listing) is that file's outcome; the other files go on. A break (the control or a data connection failed, a
 * reply that makes no sense) closes the session and rejects.
 */
export function downloadTogether(ftp: FTPContext, passive: PassiveCommand, downloads: readonly Download[], into: Downloaded[], progress: () => void = () => undefined): Promise<void> {
	return new PipelinedDownloads(ftp, passive, downloads, into, progress).run();
}

class PipelinedDownloads {
	private readonly transfers: Transfer[];
	/** the file the next reply belongs to */
	private replying = 0;
	/** the next file whose download is added to `into` */
	private completing = 0;
	/** the previous file's data connection has ended (or never opened) */
	private previousData: Promise<void> = Promise.resolve();
	private task: Task | undefined;
	/** the group resolved or rejected: what happens to its sockets afterwards changes nothing */
	private over = false;

	constructor(
		private readonly ftp: FTPContext,
		private readonly passive: PassiveCommand,
		downloads: readonly Download[],
		private readonly into: Downloaded[],
		private readonly progress: () => void,
	) {
		this.transfers = downloads.map((download) => ({ download, passiveAnswered: false, final: false, dataEnded: false, chunks: [], received: 0, hash: createHash('sha256') }));
	}

	async run(): Promise<void> {
		const commands = this.transfers.flatMap(({ download }) => [this.passive, `RETR ${download.path}`]);
		try {
			await exchange(this.ftp, commands, (reply, task) => {
				this.task = task;
				this.progress();
				this.onReply(reply);
			});
		} finally {
			// a break rejected the exchange: the data connections closed now add nothing to `into`
			this.over = true;
			for (const transfer of this.transfers) transfer.socket?.destroy();
		}
	}

	private onReply(reply: FtpReply): void {
		const transfer = this.transfers[this.replying];
		if (!transfer) return this.fail(new Error(`an FTP reply that no command asked for: ${reply.message}`));
		if (!transfer.passiveAnswered) {
			transfer.passiveAnswered = true;
			if (reply.code >= 400) transfer.refused = reply.message;
			else this.openData(transfer, reply);
			return;
		}
		// 1xx: the transfer starts (the data connection was opened on the passive reply)
		if (reply.code < 200) return;
		if (reply.code >= 300 && reply.code < 400) return this.fail(new Error(`an FTP reply that asks for more than RETR can give: ${reply.message}`));
		transfer.final = true;
		if (reply.code >= 400) {
			transfer.refused ??= reply.message;
			transfer.socket?.destroy();
		}
		this.replying++;
		this.complete();
	}

	/** Opens the file's data connection to the address of the passive reply, once the previous one has ended. */
	private openData(transfer: Transfer, reply: FtpReply): void {
		let target: { host: string; port: number };
		try {
			target = this.dataTarget(reply.message);
		} catch (error) {
			return this.fail(error as Error);
		}
		const previous = this.previousData;
		this.previousData = new Promise<void>((resolve) => {
			void previous.then(() => {
				// a RETR refused meanwhile (the file is gone) has no data to fetch
				if (transfer.refused !== undefined || this.over) resolve();
				else transfer.socket = this.connect(target, transfer, resolve);
			});
		});
	}

	/** EPSV: the control connection's host, the given port; PASV: the same, and its host must be that one (basic-ftp's check). */
	private dataTarget(message: string): { host: string; port: number } {
		const control = this.ftp.socket.remoteAddress?.replace(/^::ffff:/i, '');
		if (control === undefined) throw new Error('the control connection is closed');
		if (this.passive === 'EPSV') return { host: control, port: parseEpsvResponse(message) };
		const { host, port } = parsePasvResponse(message);
		if (host !== control && !(isLoopback(control) && isLoopback(host))) {
			throw new Error(`the server named another host (${host}) than the one connected to (${control}) for the data connection`);
		}
		return { host: control, port };
	}

	/** The data connection of one file: TLS when the control connection is, with its session reused, as basic-ftp does. */
	private connect(target: { host: string; port: number }, transfer: Transfer, ended: () => void): Socket {
		const raw = this.ftp._newSocket();
		let socket: Socket = raw;
		const end = (error?: Error) => {
			if (transfer.dataEnded) return;
			transfer.dataEnded = true;
			if (error) transfer.dataError = error;
			// the control connection waits for the RETR's reply again
			this.ftp.socket.setTimeout(this.ftp.timeout);
			ended();
			this.complete();
		};
		raw.connect({ port: target.port, host: target.host, family: this.ftp.ipFamily });
		if (this.ftp.socket instanceof TLSSocket) {
			const secure = tlsConnect({ ...this.ftp.tlsOptions, socket: raw, session: this.ftp.tlsSessionStore ?? this.ftp.socket.getSession() });
			// TLS 1.3 tickets are for one use: the next data connection presents the newest
			secure.on('session', (session: Buffer) => (this.ftp.tlsSessionStore = session));
			socket = secure;
		}
		// while data flows, the data connection is watched for silence instead of the idle control connection
		this.ftp.socket.setTimeout(0);
		socket.setTimeout(this.ftp.timeout);
		socket.on('timeout', () => end(new Error('Timeout (data socket)')));
		socket.on('error', (error: Error) => end(error));
		if (socket !== raw) raw.on('error', (error: Error) => end(error));
		socket.on('close', (hadError: boolean) => end(hadError ? new Error('the data connection closed after an error') : undefined));
		socket.on('end', () => end());
		socket.on('data', (chunk: Buffer) => this.receive(transfer, chunk));
		return socket;
	}

	private receive(transfer: Transfer, chunk: Buffer): void {
		this.progress();
		transfer.received += chunk.length;
		if (transfer.received > transfer.download.limit) {
			transfer.chunks = [];
			return;
		}
		transfer.chunks.push(chunk);
		transfer.hash.update(chunk);
	}

	/** Adds every file whose download is complete to `into`, in order; resolves once all are. */
	private complete(): void {
		if (this.over) return;
		for (let t = this.transfers[this.completing]; t && t.final && (t.refused !== undefined || t.dataEnded); t = this.transfers[this.completing]) {
			if (t.refused === undefined && t.dataError) return this.fail(t.dataError);
			t.socket?.destroy();
			this.into.push(t.refused !== undefined ? { kind: 'refused', message: t.refused } : this.content(t));
			this.completing++;
		}
		if (this.completing === this.transfers.length) {
			this.over = true;
			this.task?.resolve(undefined);
		}
	}

	private content(t: Transfer): Downloaded {
		const overflow = t.received > t.download.limit;
		return { kind: 'content', bytes: overflow ? Buffer.alloc(0) : Buffer.concat(t.chunks, t.received), sha256: t.hash.digest('hex'), received: t.received, overflow };
	}

	/** The session broke: it is closed (replies still on their way would belong to nothing) and the group rejects. */
	private fail(error: Error): void {
		if (this.over) return;
		this.over = true;
		this.ftp.closeWithError(error);
		this.task?.reject(error);
	}
}
