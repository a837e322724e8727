/**
 * A TCP proxy in front of PostgreSQL that places a fault at an exact point of a client's conversation, without
 * timers: it reads the client's messages (PostgreSQL's frontend protocol: a startup message, then a type byte
 * and a length each) and, once a message carrying `armWith` has passed (on any connection), holds the first
 * message whose bytes contain `holdAt` instead of forwarding it. `whileHeld` runs while it is held (e.g. kill
 * PostgreSQL); then that connection is closed on both sides, so the held message never reaches the server.
 * Holds once; everything else passes through untouched.
 */
import type net from 'node:net';

import { TcpProxy } from './tcpProxy';

/** startup-phase requests that are answered by one byte and followed by another startup message */
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export class PgProxy extends TcpProxy {
	private armed = false;
	/** how many messages were held (0 or 1) */
	holds = 0;
	/** settles when the hold's `whileHeld` has run and its connection is closed */
	held: Promise<void> = Promise.resolve();

	constructor(
		private readonly target: { host: string; port: number },
		private readonly options: { armWith: string; holdAt: string; whileHeld: () => Promise<void> },
	) {
		super();
	}

	protected accept(client: net.Socket): void {
		const upstream = this.upstreamFor(client, this.target);
		for (const s of [client, upstream]) {
			s.on('error', () => undefined);
			s.on('close', () => {
				client.destroy();
				upstream.destroy();
			});
		}
		upstream.on('data', (chunk: Buffer) => client.write(chunk));
		let pending = Buffer.alloc(0);
		let startup = true;
		let holding = false;
		client.on('data', (chunk: Buffer) => {
			if (holding) return;
			pending = Buffer.concat([pending, chunk]);
			for (;;) {
				const header = startup ? 0 : 1;
				if (pending.length < header + 4) return;
				const size = header + pending.readInt32BE(header);
				if (pending.length < size) return;
				const message = pending.subarray(0, size);
				pending = pending.subarray(size);
				if (startup) {
					const code = message.length >= 8 ? message.readInt32BE(4) : 0;
					startup = code === SSL_REQUEST || code === GSSENC_REQUEST;
				} else if (this.shouldHold(message)) {
					holding = true;
					this.holds++;
					this.held = this.options.whileHeld().finally(() => {
						client.destroy();
						upstream.destroy();
					});
					return;
				}
				upstream.write(message);
			}
		});
	}

	private shouldHold(message: Buffer): boolean {
		if (this.holds > 0) return false;
		if (this.armed) return message.includes(this.options.holdAt);
		if (message.includes(this.options.armWith)) this.armed = true;
		return false;
	}
}
