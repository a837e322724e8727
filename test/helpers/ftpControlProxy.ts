/**
 * A TCP proxy in front of the plain-FTP control port that can cut a session at an exact command: it
 * forwards the command to vsftpd, holds the server's reply until it has arrived whole (so the server has
 * carried the command out), then closes both sides instead of passing the reply on. That is the worst moment
 * a connection can drop: the server deleted the file, the client cannot know. With `whileHeld` the test acts
 * at that moment (e.g. kills the server's session processes); the client side is then closed when the server's
 * side closes, as the kernel reports it. Data connections (PASV) go to vsftpd directly; cutting the control
 * connection ends the session all the same. No timers: the fault lands at the same protocol position every run.
 */
import type net from 'node:net';

import { TcpProxy } from './tcpProxy';

export interface FtpProxyOptions {
	/** runs while the reply to the cut command is held; the client side closes once the server's side has closed */
	whileHeld?: () => Promise<void>;
	/**
	 * after `whileHeld`: `cut` (default) closes the session once the server's side has closed; `release` passes
	 * the held reply on and lets the session go on (a reply that was only late, e.g. while a database restarted)
	 */
	afterHold?: 'cut' | 'release';
}

export class FtpControlProxy extends TcpProxy {
	/** commands seen, in order, over all sessions */
	readonly commands: string[] = [];
	/** how many sessions were cut */
	cuts = 0;
	/** the replies that were held back and never reached the client */
	readonly heldReplies: string[] = [];

	constructor(
		private readonly target: { host: string; port: number },
		/** returns true for the command after which the session is cut */
		private readonly cutAfter: (command: string, seen: readonly string[]) => boolean = () => false,
		private readonly options: FtpProxyOptions = {},
	) {
		super();
	}

	protected accept(client: net.Socket): void {
		const upstream = this.upstreamFor(client, this.target);
		let holding = false;
		let held = '';
		let buffered = '';
		let fromServer = '';
		// final replies from the server so far (the greeting is the first; the reply to command k is number k + 1)
		let finals = 0;
		let forwarded = 0;
		// the reply held: the one to the command the session is cut after, and everything after it
		let heldReply = 0;
		let triggered = false;
		const closeBoth = () => {
			client.destroy();
			upstream.destroy();
		};
		upstream.on('data', (chunk) => {
			fromServer += chunk.toString('latin1');
			let newline: number;
			while ((newline = fromServer.indexOf('\r\n')) >= 0) {
				const line = fromServer.slice(0, newline + 2);
				fromServer = fromServer.slice(newline + 2);
				// replies to commands before the cut one pass (a client may send several commands at once)
				if (holding && finals + 1 >= heldReply) {
					held += line;
					if (!triggered && /^\d{3} /.test(line)) {
						triggered = true;
						this.heldReplies.push(held);
						const release = () => {
							client.write(Buffer.from(held, 'latin1'));
							held = '';
							holding = false;
							// commands the client sent behind the held one go on now
							forward();
						};
						void this.actWhileHeld(upstream, closeBoth, release);
					}
				} else {
					client.write(Buffer.from(line, 'latin1'));
				}
				// FTP's 1xx replies are preliminary: the final one follows
				if (/^[2-5]\d{2} /.test(line)) finals++;
			}
		});
		const forward = () => {
			let newline: number;
			while ((newline = buffered.indexOf('\r\n')) >= 0) {
				const line = buffered.slice(0, newline);
				buffered = buffered.slice(newline + 2);
				this.commands.push(line);
				upstream.write(`${line}\r\n`);
				forwarded++;
				if (this.cutAfter(line, this.commands)) {
					holding = true;
					triggered = false;
					heldReply = forwarded + 1;
					this.cuts++;
					return;
				}
			}
		};
		client.on('data', (chunk) => {
			// kept while a reply is held: a released session carries on with them
			buffered += chunk.toString('latin1');
			if (!holding) forward();
		});
		client.on('error', closeBoth);
		upstream.on('error', closeBoth);
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
	}

	private async actWhileHeld(upstream: net.Socket, closeBoth: () => void, release: () => void): Promise<void> {
		if (!this.options.whileHeld) {
			closeBoth();
			return;
		}
		await this.options.whileHeld();
		if (this.options.afterHold === 'release') {
			release();
			return;
		}
		// the server's side closes by itself (e.g. its process was killed); the 'close' handler then closes the client
		if (upstream.destroyed || upstream.readyState === 'closed') closeBoth();
	}
}
