/**
 * What every test proxy shares (imapProxy, smtpProxy, ftpControlProxy, pgProxy, the fault suite's faultProxy):
 * a server on 127.0.0.1 at a free port, a connection to the real server per client, and every connection
 * closed on `stop`. Each proxy only says what it does with a client's session (`accept`).
 */
import net from 'node:net';

export abstract class TcpProxy {
	private server?: net.Server;
	/** the connections of every session (client and server side), destroyed on `stop` */
	protected readonly sockets = new Set<net.Socket>();
	/** the port it listens on (kept after stop, for reports that name it) */
	port = 0;
	/** the clients' connections accepted so far (an FTP proxy: the sessions, its data connections bypass it) */
	accepted = 0;

	async start(): Promise<this> {
		this.server = net.createServer((client) => {
			this.accepted++;
			this.accept(client);
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		this.port = (this.server.address() as net.AddressInfo).port;
		return this;
	}

	async stop(): Promise<void> {
		for (const s of this.sockets) s.destroy();
		await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
	}

	/** A client's new connection. */
	protected abstract accept(client: net.Socket): void;

	/** The server side of a client's session; both sockets are closed on `stop`. */
	protected upstreamFor(client: net.Socket, target: { host: string; port: number }): net.Socket {
		const upstream = net.connect(target.port, target.host);
		for (const s of [client, upstream]) {
			this.sockets.add(s);
			s.once('close', () => this.sockets.delete(s));
		}
		return upstream;
	}
}
