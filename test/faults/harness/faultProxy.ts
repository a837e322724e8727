/**
 * One TCP fault proxy for every protocol of the package: it sits between a client (a node, or a real n8n
 * server whose credential points at the proxy) and a real server, and cuts the connection at a protocol
 * position chosen in advance — never by a timer:
 *
 * - `beforeCommand`: the n-th client command is held and never reaches the server;
 * - `afterCommand`: the n-th command reaches the server, its whole reply is held (the server has carried the
 *   command out) and never reaches the client — the lost-reply case;
 * - `afterReply`: the reply to the n-th command reaches the client, then the connection is cut;
 * - `atByte`: for TLS and SSH, where commands cannot be seen, the connection is cut after the n-th byte in one
 *   direction of the first session that starts after the fault was armed.
 *
 * Commands are counted over all sessions since the fault was armed (overlapping polls share the count).
 * `whileHeld` runs while the command or reply is held (e.g. restart the server), then both sides are closed.
 * A fault counts as hit only if it really held a command or a reply (or reached its byte): `settle()` says so.
 *
 * Framing: `imap` (tagged commands, server literals), `ftp` (three-digit replies; 1xx are preliminary),
 * `smtp` (like ftp, and after DATA the whole message up to the final dot is one command: holding it means
 * the final dot never reaches the server), `bytes` (no framing). The proxy needs no test framework: the fault
 * suite drives it from jest, and the same class can stand in front of a real n8n server's mail or FTP server.
 */
import type net from 'node:net';

import { TcpProxy } from '../../helpers/tcpProxy';

export type Framing = 'imap' | 'ftp' | 'smtp' | 'bytes';
export type CutPoint = 'beforeCommand' | 'afterCommand' | 'afterReply' | 'atByte';
export type Direction = 'toServer' | 'toClient';

export interface Fault {
	point: CutPoint;
	/** command cuts: the n-th client command since arming (1-based); atByte: the n-th byte of the session in `direction` */
	at: number;
	direction?: Direction;
	/** command cuts: only commands that match count (default: every command) */
	match?: RegExp;
	/** runs while the command or reply is held; the connection is cut afterwards */
	whileHeld?: () => Promise<void>;
	/** what the suite calls this fault in its report */
	label?: string;
}

export interface FaultRecord {
	label: string;
	point: CutPoint;
	at: number;
	/** the fault really held a command or reply (or reached its byte) */
	hit: boolean;
	/** the command it hit, its verb only (no arguments, so no password) */
	command?: string;
}

interface Session {
	client: net.Socket;
	upstream: net.Socket;
	/** frozen: held at the fault, nothing more passes */
	frozen: boolean;
	toServer: Buffer;
	toClient: Buffer;
	commands: number;
	/** ftp/smtp: final replies seen (the greeting is reply 0) */
	replies: number;
	/** imap: the local command number of each tag in flight */
	tags: Map<string, number>;
	smtpMessage: boolean;
	/** the local command number whose reply is held / after whose reply the connection is cut */
	holdReplyOf?: number;
	cutAfterReplyOf?: number;
	bytes: Record<Direction, number>;
	byteFault?: Fault;
}

const CRLF = Buffer.from('\r\n');
const END_OF_DATA = Buffer.from('\r\n.\r\n');

export class FaultProxy extends TcpProxy {
	private readonly sessions = new Set<Session>();
	private fault?: Fault;
	private record?: FaultRecord;
	private action: Promise<void> = Promise.resolve();
	/** client commands since the last `arm` (or since start), over all sessions */
	commandsSinceArm = 0;
	/** commands that counted for the armed fault */
	private matching = 0;
	/** the longest session since the last `arm`, in bytes per direction (for byte positions) */
	readonly longest: Record<Direction, number> = { toServer: 0, toClient: 0 };

	constructor(
		private readonly target: { host: string; port: number },
		private readonly framing: Framing,
	) {
		super();
	}

	override async stop(): Promise<void> {
		for (const s of this.sessions) this.cut(s);
		await super.stop();
	}

	/** Places one fault; commands and bytes are counted afresh from now on. */
	arm(fault: Fault): void {
		this.fault = fault;
		this.record = { label: fault.label ?? fault.point, point: fault.point, at: fault.at, hit: false };
		this.commandsSinceArm = 0;
		this.matching = 0;
		this.longest.toServer = 0;
		this.longest.toClient = 0;
	}

	/** Ends the armed fault (waiting for its `whileHeld`) and says whether it hit. */
	async settle(): Promise<FaultRecord | undefined> {
		await this.action;
		const record = this.record;
		this.fault = undefined;
		this.record = undefined;
		return record;
	}

	protected accept(client: net.Socket): void {
		const upstream = this.upstreamFor(client, this.target);
		const s: Session = {
			client,
			upstream,
			frozen: false,
			toServer: Buffer.alloc(0),
			toClient: Buffer.alloc(0),
			commands: 0,
			replies: -1,
			tags: new Map(),
			smtpMessage: false,
			bytes: { toServer: 0, toClient: 0 },
		};
		if (this.fault?.point === 'atByte' && !this.record?.hit) s.byteFault = this.fault;
		this.sessions.add(s);
		const close = () => this.cut(s);
		client.on('error', close).on('close', close);
		upstream.on('error', close).on('close', close);
		client.on('data', (chunk: Buffer) => this.fromClient(s, chunk));
		upstream.on('data', (chunk: Buffer) => this.fromServer(s, chunk));
	}

	private cut(s: Session): void {
		s.frozen = true;
		s.client.destroy();
		s.upstream.destroy();
		for (const d of ['toServer', 'toClient'] as const) this.longest[d] = Math.max(this.longest[d], s.bytes[d]);
		this.sessions.delete(s);
	}

	/** Holds the session at the fault: `whileHeld` runs, then both sides are closed. */
	private hold(s: Session, fault: Fault): void {
		s.frozen = true;
		if (this.record) this.record.hit = true;
		this.action = (async () => {
			try {
				await fault.whileHeld?.();
			} finally {
				this.cut(s);
			}
		})();
	}

	private countBytes(s: Session, direction: Direction, chunk: Buffer): Buffer | undefined {
		const fault = s.byteFault;
		s.bytes[direction] += chunk.length;
		if (!fault || fault !== this.fault || (fault.direction ?? 'toServer') !== direction || this.record!.hit || s.bytes[direction] < fault.at) return chunk;
		// the part up to the chosen byte still passes; then the connection is cut
		const keep = chunk.subarray(0, chunk.length - (s.bytes[direction] - fault.at));
		if (keep.length) (direction === 'toServer' ? s.upstream : s.client).write(keep);
		this.hold(s, fault);
		return undefined;
	}

	private fromClient(s: Session, chunk: Buffer): void {
		if (s.frozen) return;
		if (this.framing === 'bytes') {
			const pass = this.countBytes(s, 'toServer', chunk);
			if (pass) s.upstream.write(pass);
			return;
		}
		s.bytes.toServer += chunk.length;
		s.toServer = Buffer.concat([s.toServer, chunk]);
		while (!s.frozen) {
			const unit = this.nextCommand(s);
			if (!unit) break;
			this.command(s, unit);
		}
	}

	/** The next whole client command; in an SMTP message, what surely is no end mark passes on at once. */
	private nextCommand(s: Session): Buffer | undefined {
		if (s.smtpMessage) {
			const end = s.toServer.indexOf(END_OF_DATA);
			if (end < 0) {
				const safe = Math.max(0, s.toServer.length - (END_OF_DATA.length - 1));
				if (safe) s.upstream.write(s.toServer.subarray(0, safe));
				s.toServer = s.toServer.subarray(safe);
				return undefined;
			}
			// the message's body passes; the final "\r\n.\r\n" is the command that can be held
			if (end) s.upstream.write(s.toServer.subarray(0, end));
			s.toServer = s.toServer.subarray(end);
			return this.take(s, 'toServer', END_OF_DATA.length);
		}
		const newline = s.toServer.indexOf(CRLF);
		return newline < 0 ? undefined : this.take(s, 'toServer', newline + 2);
	}

	private take(s: Session, direction: 'toServer' | 'toClient', length: number): Buffer {
		const unit = s[direction].subarray(0, length);
		s[direction] = s[direction].subarray(length);
		return unit;
	}

	private command(s: Session, unit: Buffer): void {
		const local = ++s.commands;
		const text = unit.toString('latin1');
		const wasMessage = s.smtpMessage;
		if (this.framing === 'imap') s.tags.set(text.split(' ')[0], local);
		if (this.framing === 'smtp') s.smtpMessage = !wasMessage && /^DATA\r\n$/i.test(text);
		if (wasMessage) s.smtpMessage = false;
		const fault = this.fault;
		this.commandsSinceArm++;
		const counts = fault && fault.point !== 'atByte' && !this.record!.hit && (fault.match?.test(text) ?? true);
		if (fault && counts && ++this.matching === fault.at) {
			this.record!.command = wasMessage ? 'end of DATA (final dot)' : verbOf(text, this.framing);
			if (fault.point === 'beforeCommand') {
				this.hold(s, fault);
				return;
			}
			if (fault.point === 'afterCommand') s.holdReplyOf = local;
			else s.cutAfterReplyOf = local;
		}
		s.upstream.write(unit);
	}

	private fromServer(s: Session, chunk: Buffer): void {
		if (s.frozen) return;
		if (this.framing === 'bytes') {
			const pass = this.countBytes(s, 'toClient', chunk);
			if (pass) s.client.write(pass);
			return;
		}
		s.bytes.toClient += chunk.length;
		s.toClient = Buffer.concat([s.toClient, chunk]);
		while (!s.frozen) {
			const line = this.framing === 'imap' ? imapResponse(s.toClient) : lineLength(s.toClient);
			if (line === undefined) break;
			this.reply(s, this.take(s, 'toClient', line));
		}
	}

	/** One server line (IMAP: one response with its literals): passed on, held, or followed by the cut. */
	private reply(s: Session, line: Buffer): void {
		const belongsTo = s.replies + 1;
		const answers = this.answeredCommand(s, line.toString('latin1'));
		const fault = this.fault;
		// the reply to the held command, and whatever belongs to it, never reaches the client
		const inHeldReply = fault && s.holdReplyOf !== undefined && (this.framing === 'imap' || belongsTo === s.holdReplyOf);
		if (inHeldReply) {
			if (answers === s.holdReplyOf) this.hold(s, fault);
			return;
		}
		s.client.write(line);
		if (fault && answers !== undefined && answers === s.cutAfterReplyOf) this.hold(s, fault);
	}

	/** The local number of the command this line completes the reply to, if it does. */
	private answeredCommand(s: Session, text: string): number | undefined {
		if (this.framing === 'imap') {
			const tag = /^(\S+) (OK|NO|BAD)\b/i.exec(text)?.[1];
			return tag === undefined || tag === '*' ? undefined : s.tags.get(tag);
		}
		// a final line: three digits and a space; FTP's 1xx replies are preliminary (the final one follows)
		if (!/^\d{3} /.test(text) || (this.framing === 'ftp' && text.startsWith('1'))) return undefined;
		return ++s.replies;
	}
}

function lineLength(buffer: Buffer): number | undefined {
	const newline = buffer.indexOf(CRLF);
	return newline < 0 ? undefined : newline + 2;
}

/** One IMAP response line with the literals it carries (`{n}\r\n` then n bytes), as a length. */
function imapResponse(buffer: Buffer): number | undefined {
	let from = 0;
	for (;;) {
		const newline = buffer.indexOf(CRLF, from);
		if (newline < 0) return undefined;
		const literal = /\{(\d+)\}$/.exec(buffer.subarray(Math.max(from, newline - 20), newline).toString('latin1'));
		if (!literal) return newline + 2;
		from = newline + 2 + Number(literal[1]);
		if (from > buffer.length) return undefined;
	}
}

/** The command's name, without arguments (a LOGIN or PASS argument is a password). */
function verbOf(text: string, framing: Framing): string {
	const words = text.trim().split(' ');
	if (framing !== 'imap') return words[0].toUpperCase();
	const name = words[1]?.toUpperCase() ?? '';
	return name === 'UID' ? `UID ${words[2]?.toUpperCase() ?? ''}` : name;
}
