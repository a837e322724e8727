/**
 * A TCP proxy in front of the plain-FTP control port that can cut a session at an exact command: it
 * forwards the command to vsftpd, lets the server carry it out, then closes both sides before the reply
 * reaches the client. That is the worst moment a connection can drop: the server deleted the file, the
 * client cannot know. Data connections (PASV) go to vsftpd directly; cutting the control connection ends
 * the session all the same.
 */
import net from 'node:net';

export class FtpControlProxy {
	private server?: net.Server;
	private readonly sockets = new Set<net.Socket>();
	/** commands seen, in order, over all sessions */
	readonly commands: string[] = [];
	/** how many sessions were cut */
	cuts = 0;

	constructor(
		private readonly target: { host: string; port: number },
		/** returns true for the command after which the session is cut */
		private readonly cutAfter: (command: string, seen: readonly string[]) => boolean = () => false,
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
		let cut = false;
		let buffered = '';
		const closeBoth = () => {
			client.destroy();
			upstream.destroy();
		};
		upstream.on('data', (chunk) => {
			if (!cut) client.write(chunk);
		});
		client.on('data', (chunk) => {
			if (cut) return;
			buffered += chunk.toString('latin1');
			let newline: number;
			while ((newline = buffered.indexOf('\r\n')) >= 0) {
				const line = buffered.slice(0, newline);
				buffered = buffered.slice(newline + 2);
				this.commands.push(line);
				upstream.write(`${line}\r\n`);
				if (this.cutAfter(line, this.commands)) {
					cut = true;
					this.cuts++;
					// give the server time to carry the command out, then drop the session without its reply
					setTimeout(closeBoth, 150);
					return;
				}
			}
		});
		client.on('error', closeBoth);
		upstream.on('error', closeBoth);
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
	}
}
