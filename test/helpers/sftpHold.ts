/**
 * The test's side of the SFTP hold (scripts/sftp-hold.c, docs/sftp.md): SSH is encrypted, so the hold sits
 * inside the test sshd, between sshd and sftp-server, where the SFTP packets are plain. Each SFTP session asks
 * this control socket at its start what to do; while armed, a session holds the server's reply to the nth
 * request of a type (optionally only requests whose path starts with a prefix), reports "held", and waits for
 * release() or drop(). The test kills or restarts sshd while the reply is held: a defined protocol position.
 */
import { existsSync, unlinkSync, chmodSync } from 'node:fs';
import net from 'node:net';

import { loadServers } from './servers';

/** SFTP request types (draft-ietf-secsh-filexfer-02), for arm(). */
export const SFTP_REQUEST = { OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, OPENDIR: 11, READDIR: 12, REMOVE: 13, MKDIR: 14, STAT: 17, RENAME: 18 } as const;

export interface HoldSpec {
	/** the request type whose reply is held (SFTP_REQUEST; 0: a request of any type) */
	type: number;
	/** the nth request of that type in one SFTP session (1 = the first) */
	nth: number;
	/** count only requests whose path (first field) starts with this, e.g. the test's own directory */
	pathPrefix?: string;
}

export interface HeldReply {
	type: number;
	/** the request id whose reply is held */
	id: number;
}

export class SftpHold {
	private spec: HoldSpec | undefined;
	private heldSocket: net.Socket | undefined;
	private readonly sockets = new Set<net.Socket>();
	private resolveHeld!: (held: HeldReply) => void;
	private heldPromise = this.newHeldPromise();

	private constructor(
		private readonly server: net.Server,
		private readonly socketPath: string,
	) {}

	/** Listens on the test sshd's control socket (one hold per state folder at a time). */
	static async start(socketPath = loadServers().sftp.holdSocket): Promise<SftpHold> {
		if (existsSync(socketPath)) {
			const busy = await new Promise<boolean>((resolve) => {
				const probe = net.connect(socketPath, () => (probe.destroy(), resolve(true))).on('error', () => resolve(false));
			});
			if (busy) throw new Error(`another SFTP hold listens on ${socketPath}`);
			unlinkSync(socketPath);
		}
		const server = net.createServer();
		const hold = new SftpHold(server, socketPath);
		server.on('connection', (socket) => hold.session(socket));
		await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
		chmodSync(socketPath, 0o666); // sftp-hold runs as the SFTP user
		return hold;
	}

	/** Sessions that start from now on hold the reply to `spec`'s request; the first hold wins. */
	arm(spec: HoldSpec): void {
		const prefix = spec.pathPrefix ?? '';
		if (!Number.isInteger(spec.nth) || spec.nth < 1 || /\s/.test(prefix) || (spec.type === 0 && prefix)) throw new Error(`bad hold ${JSON.stringify(spec)}`);
		this.spec = spec;
		this.heldSocket = undefined;
		this.heldPromise = this.newHeldPromise();
	}

	/** Sessions that start from now on run unheld (a hold already reported stays until release() / drop()). */
	disarm(): void {
		this.spec = undefined;
	}

	/** Resolves when a session holds the armed reply. */
	held(): Promise<HeldReply> {
		return this.heldPromise;
	}

	/** The held reply goes to the client (a no-op when its session is gone). */
	release(): void {
		this.answer('release');
	}

	/** The held reply never leaves: that session's SFTP server ends. */
	drop(): void {
		this.answer('drop');
	}

	async stop(): Promise<void> {
		this.spec = undefined;
		this.release();
		for (const s of this.sockets) s.destroy();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
		if (existsSync(this.socketPath)) unlinkSync(this.socketPath);
	}

	private newHeldPromise(): Promise<HeldReply> {
		return new Promise<HeldReply>((resolve) => (this.resolveHeld = resolve));
	}

	private answer(word: 'release' | 'drop'): void {
		const socket = this.heldSocket;
		this.heldSocket = undefined;
		if (socket && !socket.destroyed) socket.end(`${word}\n`);
	}

	/** One SFTP session: "hello <pid>" → "arm …" or "none"; later perhaps "held <type> <id>". */
	private session(socket: net.Socket): void {
		this.sockets.add(socket);
		socket.on('close', () => this.sockets.delete(socket)).on('error', () => undefined);
		let buffered = '';
		let greeted = false;
		socket.on('data', (chunk) => {
			buffered += chunk.toString('utf8');
			for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
				const line = buffered.slice(0, nl);
				buffered = buffered.slice(nl + 1);
				if (!greeted) {
					greeted = true;
					const spec = this.heldSocket ? undefined : this.spec;
					socket.write(spec ? `arm ${spec.type} ${spec.nth} ${spec.pathPrefix ?? ''}\n` : 'none\n');
				} else if (line.startsWith('held ')) this.onHeld(socket, line);
			}
		});
	}

	private onHeld(socket: net.Socket, line: string): void {
		const [, type, id] = line.split(' ').map(Number);
		if (!this.spec || this.heldSocket) {
			socket.end('release\n'); // a second session reached the request: only the first hold counts
			return;
		}
		this.spec = undefined;
		this.heldSocket = socket;
		this.resolveHeld({ type, id });
	}
}

const RUN_ENDED = Symbol('run ended');

/**
 * Runs `run`; when the armed reply is held, does `fault` (a kill, a restart) and then releases the hold.
 * Fails with a message saying so when the run ended without reaching the armed request: a fault that could
 * not be placed is not an assertion about the node.
 */
export async function faultWhileHeld<T>(hold: SftpHold, what: string, run: Promise<T>, fault: (held: HeldReply) => void | Promise<void>): Promise<T> {
	const first = await Promise.race([hold.held(), run.then((): typeof RUN_ENDED => RUN_ENDED, (): typeof RUN_ENDED => RUN_ENDED)]);
	if (first === RUN_ENDED) throw new Error(`the fault could not be placed: the run ended before the SFTP server's reply to ${what} was held`);
	try {
		await fault(first);
	} finally {
		hold.release();
	}
	return run;
}
