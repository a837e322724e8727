/**
 * A TCP proxy in front of Postfix's plain SMTP port that cuts a session at an exact point of the DATA phase,
 * without timers: the proxy holds the server's reply to that point and drops both connections instead of
 * forwarding it.
 * - `finalDot`: the client's whole message including the final "." went to Postfix, and Postfix's reply (its
 *   "250 queued") is held: the server has the mail, the client cannot know — the lost-reply case.
 * - `dataCommand`: the DATA command went to Postfix, its "354" is held: no byte of the message was sent, so
 *   the mail cannot have been delivered.
 * Only the first `cutsLeft` sessions that reach the point are cut; later ones pass through untouched.
 * Options: `after` lets that many messages pass untouched first (the cut lands on message `after + 1`, counted
 * over all sessions); `whileHeld` runs while the reply is held (e.g. kill the client's process), and the
 * connections are closed only when it has finished — the fault's position is the protocol's, not a timer's.
 */
import type net from 'node:net';

import { TcpProxy } from './tcpProxy';

export type SmtpCutPoint = 'finalDot' | 'dataCommand';

const END_OF_DATA = '\r\n.\r\n';

export class SmtpProxy extends TcpProxy {
	/** how many sessions were cut */
	cuts = 0;
	/** how many messages (DATA … final dot) passed to the server, cut or not */
	messages = 0;
	/** the RCPT TO addresses of the message whose reply was held (of the last cut) */
	heldRecipients: string[] = [];
	/** settles when the last cut's `whileHeld` has run and both connections are closed */
	held: Promise<void> = Promise.resolve();

	constructor(
		private readonly target: { host: string; port: number },
		private readonly cutAt: SmtpCutPoint,
		private cutsLeft = 1,
		private readonly options: { after?: number; whileHeld?: () => Promise<void> } = {},
	) {
		super();
	}

	protected accept(client: net.Socket): void {
		const upstream = this.upstreamFor(client, this.target);
		let inData = false;
		let pending = '';
		/** armed: the next complete server reply is held, and the session cut instead */
		let holdNextReply = false;
		let held = '';
		/** the RCPT TO addresses of this session's current message */
		let recipients: string[] = [];
		const closeBoth = () => {
			client.destroy();
			upstream.destroy();
		};
		const arm = () => {
			// `messages` counts final dots; at the DATA command, the message in hand is number messages + 1
			const number = this.cutAt === 'finalDot' ? this.messages : this.messages + 1;
			if (this.cutsLeft <= 0 || number <= (this.options.after ?? 0)) return;
			this.cutsLeft--;
			holdNextReply = true;
		};
		/** held at the cut: nothing more passes in either direction */
		let frozen = false;
		const cut = () => {
			frozen = true;
			this.cuts++;
			this.heldRecipients = recipients;
			const action = this.options.whileHeld;
			this.held = (async () => {
				try {
					await action?.();
				} finally {
					closeBoth();
				}
			})();
		};
		upstream.on('data', (chunk) => {
			if (frozen) return;
			if (!holdNextReply) {
				client.write(chunk);
				return;
			}
			held += chunk.toString('latin1');
			// the reply is complete with its last line: "250 2.0.0 Ok: queued as …\r\n" (not "250-…")
			if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(held)) cut();
		});
		client.on('data', (chunk) => {
			if (frozen) return;
			pending += chunk.toString('latin1');
			let forward = '';
			for (;;) {
				if (inData) {
					const end = pending.indexOf(END_OF_DATA);
					if (end < 0) {
						// keep what could be the start of the end mark for the next chunk
						const keep = Math.min(pending.length, END_OF_DATA.length - 1);
						forward += pending.slice(0, pending.length - keep);
						pending = pending.slice(pending.length - keep);
						break;
					}
					forward += pending.slice(0, end + END_OF_DATA.length);
					pending = pending.slice(end + END_OF_DATA.length);
					inData = false;
					this.messages++;
					if (this.cutAt === 'finalDot') arm();
					continue;
				}
				const newline = pending.indexOf('\r\n');
				if (newline < 0) break;
				const line = pending.slice(0, newline);
				forward += `${line}\r\n`;
				pending = pending.slice(newline + 2);
				const recipient = /^RCPT TO:\s*<([^>]*)>/i.exec(line)?.[1];
				if (/^MAIL FROM:/i.test(line)) recipients = [];
				if (recipient !== undefined) recipients.push(recipient);
				if (/^DATA$/i.test(line)) {
					// the client sends the message only after the 354, so what follows is the message
					inData = true;
					if (this.cutAt === 'dataCommand') arm();
				}
			}
			if (forward) upstream.write(Buffer.from(forward, 'latin1'));
		});
		client.on('error', closeBoth);
		upstream.on('error', closeBoth);
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
	}
}
