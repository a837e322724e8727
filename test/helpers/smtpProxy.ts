/**
 * A TCP proxy in front of Postfix's plain SMTP port that cuts a session at an exact point of the DATA phase,
 * without timers: the proxy holds the server's reply to that point and drops both connections instead of
 * forwarding it.
 * - `finalDot`: the client's whole message including the final "." went to Postfix, and Postfix's reply (its
 *   "250 queued") is held: the server has the mail, the client cannot know — the lost-reply case.
 * - `dataCommand`: the DATA command went to Postfix, its "354" is held: no byte of the message was sent, so
 *   the mail cannot have been delivered.
 * Only the first `cutsLeft` sessions that reach the point are cut; later ones pass through untouched.
 */
import net from 'node:net';

export type SmtpCutPoint = 'finalDot' | 'dataCommand';

const END_OF_DATA = '\r\n.\r\n';

export class SmtpProxy {
	private server?: net.Server;
	private readonly sockets = new Set<net.Socket>();
	/** how many sessions were cut */
	cuts = 0;
	/** how many messages (DATA … final dot) passed to the server, cut or not */
	messages = 0;

	constructor(
		private readonly target: { host: string; port: number },
		private readonly cutAt: SmtpCutPoint,
		private cutsLeft = 1,
	) {}

	/** the port it listens on (kept after stop, for reports that name it) */
	port = 0;

	async start(): Promise<this> {
		this.server = net.createServer((client) => this.session(client));
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		const address = this.server.address();
		if (!address || typeof address === 'string') throw new Error('the proxy has no TCP port');
		this.port = address.port;
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
		let inData = false;
		let pending = '';
		/** armed: the next complete server reply is held, and the session cut instead */
		let holdNextReply = false;
		let held = '';
		const closeBoth = () => {
			client.destroy();
			upstream.destroy();
		};
		const arm = () => {
			if (this.cutsLeft <= 0) return;
			this.cutsLeft--;
			holdNextReply = true;
		};
		upstream.on('data', (chunk) => {
			if (!holdNextReply) {
				client.write(chunk);
				return;
			}
			held += chunk.toString('latin1');
			// the reply is complete with its last line: "250 2.0.0 Ok: queued as …\r\n" (not "250-…")
			if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(held)) {
				this.cuts++;
				closeBoth();
			}
		});
		client.on('data', (chunk) => {
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
