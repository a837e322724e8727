import { createHash } from 'node:crypto';

import { Client, type ConnectConfig, type FileEntryWithStats, type SFTPWrapper, type Stats } from 'ssh2';

import { timeouts } from './tls';
import { redact, TransportError, type Endpoint, type TransportFaultKind } from './transportError';
/**
 * SFTP (the file transfer subsystem of SSH) over ssh2, one session per run. The server's host key is checked
 * against the fingerprint the user pinned (`SHA256:…`, as `ssh-keyscan | ssh-keygen -lf -` and `ssh` print it);
 * an unknown or changed key ends the connection before any secret is sent, with a message that shows the
 * fingerprint the server presented. Accepting any host key is an explicit opt-in. Every SFTP command has a
 * deadline (the socket time-out), and keep-alives notice a dead connection, so nothing hangs.
 */

export interface SftpCredentials {
	protocol: 'sftp';
	host: string;
	/** 0 or empty: 22 */
	port?: number;
	user: string;
	password?: string;
	/** OpenSSH (`-----BEGIN OPENSSH PRIVATE KEY-----`) or PEM (`-----BEGIN RSA PRIVATE KEY-----` …) */
	privateKey?: string;
	passphrase?: string;
	/** `SHA256:` + base64, as ssh-keygen prints it; empty: only with `acceptAnyHostKey` */
	hostKeyFingerprint?: string;
	acceptAnyHostKey?: boolean;
}

export function sftpPort(c: SftpCredentials): number {
	return c.port && c.port > 0 ? c.port : 22;
}

export function sftpEndpoint(c: SftpCredentials): Endpoint {
	return { protocol: 'SFTP', host: c.host, port: sftpPort(c), user: c.user };
}

export function sftpSecrets(c: SftpCredentials): Array<string | undefined> {
	return [c.password, c.passphrase, c.privateKey];
}

/** The fingerprint of a host key (the raw key blob of the SSH protocol), in ssh-keygen's form. */
export function hostKeyFingerprint(key: Buffer): string {
	return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * A pinned fingerprint as users paste it: with or without `SHA256:`, with the `=` padding of other tools, or the
 * whole line of `ssh-keygen -lf` (`256 SHA256:… host (ED25519)`). Undefined when it holds no SHA-256 fingerprint.
 */
export function normaliseFingerprint(text: string | undefined): string | undefined {
	const t = (text ?? '').trim();
	if (t === '') return undefined;
	const m = /(?:^|\s)(?:SHA256:)?([A-Za-z0-9+/]{43})=?(?:\s|$)/.exec(t);
	return m ? `SHA256:${m[1]}` : undefined;
}

/** An SFTP status reply (no such file, permission denied, failure …): the server refused one command, the session stays. */
export function isSftpRefusal(error: unknown): error is Error & { code: number } {
	return typeof (error as { code?: unknown })?.code === 'number';
}

const HOST_KEY_HINT = 'Check the fingerprint with the server’s operator and enter it as Host Key Fingerprint in the SFTP credential.';

function fault(c: SftpCredentials, kind: TransportFaultKind, message: string, code?: string): TransportError {
	const hint = kind === 'hostKey' ? HOST_KEY_HINT : undefined;
	return new TransportError(kind, redact(message, sftpSecrets(c)), { endpoint: sftpEndpoint(c), code, hint });
}

/** What went wrong while connecting, in plain words; `presented` is the host key fingerprint the server showed. */
export function toSftpTransportError(error: unknown, c: SftpCredentials, presented?: { fingerprint: string; pinned?: string }): TransportError {
	if (error instanceof TransportError) return error;
	const err = (error ?? {}) as { code?: string | number; level?: string; message?: string };
	const raw = redact(String(err.message ?? error), sftpSecrets(c));
	const at = `${c.host}:${sftpPort(c)}`;
	if (presented) {
		return presented.pinned
			? fault(
					c,
					'hostKey',
					`Host key mismatch: the SFTP server ${at} presented the host key ${presented.fingerprint}, not the pinned ${presented.pinned}. ` +
						'If the server’s key was changed on purpose, ask its operator for the new fingerprint and pin it; otherwise someone may be intercepting the connection.',
					'HOST_KEY_MISMATCH',
				)
			: fault(
					c,
					'hostKey',
					`Unknown host key: the SFTP server ${at} presented the host key ${presented.fingerprint}, and no fingerprint is pinned. ` +
						'Check it with the server’s operator (or run "ssh-keyscan -p PORT HOST | ssh-keygen -lf -") and enter it as Host Key Fingerprint.',
					'HOST_KEY_UNKNOWN',
				);
	}
	if (err.level === 'client-authentication') {
		return fault(c, 'authentication', `Wrong user, password or key: the SFTP server ${at} refused the login for "${c.user}".`, 'EAUTH');
	}
	if (/private ?key|passphrase|bad decrypt|unsupported key format|cannot parse/i.test(raw)) {
		return fault(c, 'authentication', `The private key cannot be used: ${raw}. Paste the whole key (OpenSSH or PEM) and its passphrase, if it has one.`, 'EKEY');
	}
	const code = typeof err.code === 'string' ? err.code : undefined;
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
		return fault(c, 'hostNotFound', `Host not found: "${c.host}" does not resolve to an address. Check the host name.`, code);
	}
	if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
		return fault(c, 'refused', `Connection refused by ${at}: no SFTP server answers there. Check host and port (usually 22).`, code);
	}
	if (err.level === 'client-timeout' || code === 'ETIMEDOUT' || /timed? ?out/i.test(raw)) {
		return fault(c, 'timeout', `Time-out: the SFTP server ${at} did not answer in time. Check host, port and firewall.`, code ?? 'ETIMEDOUT');
	}
	if (code === 'ECONNRESET' || code === 'EPIPE' || /connection (closed|lost|reset)|not connected|no response/i.test(raw)) {
		return fault(c, 'connectionLost', `Connection to the SFTP server ${at} was lost: ${raw}`, code);
	}
	return fault(c, 'other', `SFTP error at ${at}: ${raw}`, code);
}

/** One SSH connection with its SFTP channel. Every command has a deadline; the session counts as closed once it broke. */
export class SftpSession {
	closed = false;
	/** the commands in flight, each told when the connection closes (one listener for all: a window's stats run at once) */
	private readonly inFlight = new Set<() => void>();

	constructor(
		private readonly ssh: Client,
		private readonly sftp: SFTPWrapper,
		private readonly stepMs: number,
	) {
		ssh.on('close', () => {
			this.closed = true;
			for (const onClose of [...this.inFlight]) onClose();
		});
	}

	/** Runs one SFTP command; a command that does not settle within the deadline closes the session. */
	private call<T>(step: string, run: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
		if (this.closed) return Promise.reject(Object.assign(new Error(`not connected (${step})`), { code: 'ECONNRESET' }));
		return new Promise<T>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.close();
				reject(Object.assign(new Error(`no answer from the server within ${Math.round(this.stepMs / 1000)} s (${step})`), { code: 'ETIMEDOUT' }));
			}, this.stepMs);
			const settle = (error: Error | null | undefined, value?: T) => {
				clearTimeout(timer);
				if (error) reject(error);
				else resolve(value as T);
			};
			const onClose = () => {
				this.inFlight.delete(onClose);
				settle(Object.assign(new Error(`connection closed (${step})`), { code: 'ECONNRESET' }));
			};
			this.inFlight.add(onClose);
			run((error, value) => {
				this.inFlight.delete(onClose);
				settle(error, value);
			});
		});
	}

	realpath(p: string): Promise<string> {
		return this.call(`resolving ${p}`, (done) => this.sftp.realpath(p, done));
	}

	readdir(dir: string): Promise<FileEntryWithStats[]> {
		return this.call(`listing ${dir}`, (done) => this.sftp.readdir(dir, done));
	}

	stat(p: string): Promise<Stats> {
		return this.call(`looking at ${p}`, (done) => this.sftp.stat(p, done));
	}

	unlink(p: string): Promise<void> {
		return this.call(`deleting ${p}`, (done) => this.sftp.unlink(p, (e) => done(e)));
	}

	/** Plain SFTP rename: refused when the target exists (OpenSSH), which is what a move into an archive wants. */
	rename(from: string, to: string): Promise<void> {
		return this.call(`renaming ${from}`, (done) => this.sftp.rename(from, to, (e) => done(e)));
	}

	/** Rename that replaces the target (OpenSSH's posix-rename); plain rename after a delete where the server lacks it. */
	async replace(from: string, to: string): Promise<void> {
		try {
			await this.call(`renaming ${from}`, (done) => this.sftp.ext_openssh_rename(from, to, (e) => done(e)));
		} catch (error) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the transport layer knows no n8n; the node maps what reaches it
			if (isSftpRefusal(error) || !/not supported/i.test((error as Error).message)) throw error;
			await this.unlink(to).catch((e: unknown) => {
				if (!isSftpRefusal(e)) throw e;
			});
			await this.rename(from, to);
		}
	}

	mkdir(p: string): Promise<void> {
		return this.call(`creating ${p}`, (done) => this.sftp.mkdir(p, (e) => done(e)));
	}

	/** Creates a directory and its missing parents (like `mkdir -p`). */
	async mkdirs(p: string): Promise<void> {
		const parts = p.split('/').filter(Boolean);
		for (let i = 1; i <= parts.length; i++) {
			const dir = `${p.startsWith('/') ? '/' : ''}${parts.slice(0, i).join('/')}`;
			const exists = await this.stat(dir).then(
				(s) => s.isDirectory(),
				(e: unknown) => {
					if (isSftpRefusal(e)) return false;
					throw e;
				},
			);
			if (!exists) await this.mkdir(dir);
		}
	}

	/** Writes a whole file (created or truncated). */
	writeFile(p: string, bytes: Buffer): Promise<void> {
		return this.call(`writing ${p}`, (done) => this.sftp.writeFile(p, bytes, (e) => done(e)));
	}

	/**
	 * Reads a file into memory, at most `limit` bytes: `overflow` when it is larger (the rest is not read). One
	 * deadline per read request, so a large file over a slow line is fine as long as data keeps coming. With the
	 * size the listing showed, a short read that reaches it ends the file without one more round trip for the
	 * end-of-file answer (a file that grew meanwhile answers the full request and is read on).
	 */
	async readFile(p: string, limit: number, listedSize?: number): Promise<{ bytes: Buffer; sha256: string; overflow: boolean }> {
		const handle = await this.call<Buffer>(`opening ${p}`, (done) => this.sftp.open(p, 'r', done));
		const chunks: Buffer[] = [];
		const hash = createHash('sha256');
		let received = 0;
		try {
			for (;;) {
				const want = Math.min(64 * 1024, limit + 1 - received);
				if (want <= 0) return { bytes: Buffer.alloc(0), sha256: '', overflow: true };
				const chunk = Buffer.allocUnsafe(want);
				const n = await this.call<number>(`reading ${p}`, (done) => this.sftp.read(handle, chunk, 0, want, received, (e, bytesRead) => done(e, bytesRead)));
				if (n === 0) break;
				chunks.push(chunk.subarray(0, n));
				hash.update(chunk.subarray(0, n));
				received += n;
				if (n < want && received === listedSize) break;
			}
		} catch (error) {
			// ssh2 reports the end of the file as an EOF status on some servers
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the transport layer knows no n8n; the node maps what reaches it
			if (!(isSftpRefusal(error) && error.code === 1)) throw error;
		} finally {
			if (!this.closed) await this.call(`closing ${p}`, (done) => this.sftp.close(handle, (e) => done(e))).catch(() => undefined);
		}
		return { bytes: Buffer.concat(chunks, received), sha256: hash.digest('hex'), overflow: received > limit };
	}

	close(): void {
		this.closed = true;
		this.ssh.end();
	}
}

function connectConfig(c: SftpCredentials, verify: (key: Buffer) => boolean): ConnectConfig {
	const t = timeouts();
	const config: ConnectConfig = {
		host: c.host,
		port: sftpPort(c),
		username: c.user,
		readyTimeout: t.connect,
		// a connection on which the server answers nothing for about the socket time-out counts as dead
		keepaliveInterval: Math.max(1000, Math.floor(t.socket / 4)),
		keepaliveCountMax: 3,
		hostVerifier: (key: Buffer) => verify(key),
	};
	if (c.password) config.password = c.password;
	if (c.privateKey && c.privateKey.trim()) {
		// n8n's editor may turn the key's line breaks into spaces or literal \n: restore them
		config.privateKey = c.privateKey.trim().replace(/\\n/g, '\n');
		if (c.passphrase) config.passphrase = c.passphrase;
	}
	return config;
}

/** Connects, authenticates and opens the SFTP channel; throws a TransportError that says what to fix. */
export async function connectSftp(c: SftpCredentials): Promise<SftpSession> {
	const pinned = normaliseFingerprint(c.hostKeyFingerprint);
	if (!c.acceptAnyHostKey && c.hostKeyFingerprint?.trim() && !pinned) {
		throw fault(c, 'hostKey', `The Host Key Fingerprint "${c.hostKeyFingerprint.trim().slice(0, 80)}" is not a SHA256 fingerprint; it looks like SHA256:Ab3… (43 characters after the colon).`, 'HOST_KEY_FORMAT');
	}
	if (!c.password && !c.privateKey?.trim()) throw fault(c, 'authentication', 'Enter a password or a private key for the SFTP login.', 'EAUTH');
	const ssh = new Client();
	// ssh2 may emit more than one error (e.g. after the time-out the socket's end): the first one counts
	ssh.on('error', () => undefined);
	let rejected: { fingerprint: string; pinned?: string } | undefined;
	const verify = (key: Buffer): boolean => {
		if (c.acceptAnyHostKey) return true;
		const fingerprint = hostKeyFingerprint(key);
		if (fingerprint === pinned) return true;
		rejected = { fingerprint, pinned };
		return false;
	};
	try {
		await new Promise<void>((resolve, reject) => {
			ssh.once('ready', resolve);
			ssh.once('error', reject);
			ssh.once('close', () => reject(Object.assign(new Error('connection closed during login'), { code: 'ECONNRESET' })));
			ssh.connect(connectConfig(c, verify));
		});
		const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
			const timer = setTimeout(() => reject(Object.assign(new Error('the SFTP subsystem did not start'), { code: 'ETIMEDOUT' })), timeouts().connect);
			ssh.sftp((error, channel) => {
				clearTimeout(timer);
				if (error) reject(error);
				else resolve(channel);
			});
		});
		// SFTP is request and answer: without this, Nagle's algorithm holds small requests back for an ACK
		ssh.setNoDelay(true);
		return new SftpSession(ssh, sftp, timeouts().socket);
	} catch (error) {
		ssh.end();
		throw toSftpTransportError(error, c, rejected);
	}
}

/** Opens one SFTP session, runs `work`, and always closes the session, also on error. */
export async function withSftpSession<T>(c: SftpCredentials, work: (session: SftpSession) => Promise<T>): Promise<T> {
	const session = await connectSftp(c);
	try {
		return await work(session);
	} finally {
		session.close();
	}
}

export async function testSftpConnection(c: SftpCredentials): Promise<string> {
	return await withSftpSession(c, async (session) => {
		const home = await session.realpath('.');
		const trust = c.acceptAnyHostKey ? 'host key NOT checked (any key accepted)' : `host key ${normaliseFingerprint(c.hostKeyFingerprint)} verified`;
		return `Connected to ${c.host}:${sftpPort(c)} as ${c.user} (SFTP, ${trust}); working directory ${home}.`;
	});
}
