/**
 * A TCP proxy in front of the plain-FTP control port that can cut a session at an exact command: it
 * forwards the command to vsftpd, holds the server's reply until it has arrived whole (so the server has
 * carried the command out), then closes both sides instead of passing the reply on. That is the worst moment
 * a connection can drop: the server deleted the file, the client cannot know. With `whileHeld` the test acts
 * at that moment (e.g. kills the server's session processes); the client side is then closed when the server's
 * side closes, as the kernel reports it. Data connections (PASV) go to vsftpd directly; cutting the control
 * connection ends the session all the same. No timers: the fault lands at the same protocol position every run.
 */
import net from 'node:net';

export interface FtpProxyOptions {
	/** runs while the reply to the cut command is held; the client side closes once the server's side has closed */
	whileHeld?: () => Promise<void>;
	/**
	 * after `whileHeld`: `cut` (default) closes the session once the server's side has closed; `release` passes
	 * the held reply on and lets the session go on (a reply that was only late, e.g. while a database restarted)
	 */
	afterHold?: 'cut' | 'release';
}

/** A complete final FTP reply: a line that starts with three digits and a space. */
const FINAL_REPLY = /(^|\r\n)\d{3} [^\r\n]*\r\n/;

export class FtpControlProxy {
	private server?: net.Server;
	private readonly sockets = new Set<net.Socket>();
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
	) {}

	get port(): number {
		const address = this.server?.address();
		if (!address || typeof address === 'string') throw new Error('proxy not started');
		return address.port;
	}

	async start(): Promise<this> {
		this.server = net.createServer((client) => this.session(client));
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		return this;
	}

	async stop(): Promise<void> {
		for (const s of this.sockets) s.destroy();
		await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
	}

	private session(client: net.Socket): void {
		const upstream = net.connect(this.target.port, this.target.host);
		this.sockets.add(client);
		this.sockets.add(upstream);
		let holding = false;
		let held = '';
		let buffered = '';
		const closeBoth = () => {
			client.destroy();
			upstream.destroy();
		};
		upstream.on('data', (chunk) => {
			if (!holding) {
				client.write(chunk);
				return;
			}
			held += chunk.toString('latin1');
			if (FINAL_REPLY.test(held) && !this.heldReplies.includes(held)) {
				this.heldReplies.push(held);
				const release = () => {
					client.write(Buffer.from(held, 'latin1'));
					held = '';
					holding = false;
				};
				void this.actWhileHeld(upstream, closeBoth, release);
			}
		});
		client.on('data', (chunk) => {
			if (holding) return;
			buffered += chunk.toString('latin1');
			let newline: number;
			while ((newline = buffered.indexOf('\r\n')) >= 0) {
				const line = buffered.slice(0, newline);
				buffered = buffered.slice(newline + 2);
				this.commands.push(line);
				upstream.write(`${line}\r\n`);
				if (this.cutAfter(line, this.commands)) {
					holding = true;
					this.cuts++;
					return;
				}
			}
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
