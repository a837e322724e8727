import path from 'node:path';
import { Readable } from 'node:stream';

import { Client, FTPError } from 'basic-ftp';

import { connectUnlessTlsFirst } from './securityMismatch';
import { toTransportError, TransportError, type Endpoint } from './transportError';
import type { WithFileSink } from './fileSink';
import { remoteDirectory } from './ftpPaths';
import { timeouts, tlsOptions } from './tls';

export type FtpProtocol = 'ftp' | 'ftpsExplicit' | 'ftpsImplicit';

export interface FtpCredentials {
	protocol: FtpProtocol;
	host: string;
	/** 0 or empty: the protocol's default port */
	port?: number;
	user: string;
	password: string;
	allowSelfSigned?: boolean;
}

export function ftpPort(c: FtpCredentials): number {
	if (c.port && c.port > 0) return c.port;
	return c.protocol === 'ftpsImplicit' ? 990 : 21;
}

export function ftpEndpoint(c: FtpCredentials): Endpoint {
	return { protocol: 'FTP', host: c.host, port: ftpPort(c), user: c.user, tlsFromStart: c.protocol === 'ftpsImplicit' };
}

/** Opens one FTP session, runs `work`, and always closes the session, also on error. */
export async function withFtpClient<T>(
	c: FtpCredentials,
	work: (client: Client) => Promise<T>,
	options: { timeoutMs?: number } = {},
): Promise<T> {
	const client = new Client(options.timeoutMs ?? timeouts().socket);
	try {
		try {
			await connectFtp(client, c);
		} catch (error) {
			throw toTransportError(error, ftpEndpoint(c), [c.password]);
		}
		return await work(client);
	} finally {
		client.close();
	}
}

async function connectFtp(client: Client, c: FtpCredentials): Promise<void> {
	// basic-ftp's own time-out covers each command; the connect phase gets the shorter connect limit
	const timer = setTimeout(() => client.close(), timeouts().connect);
	try {
		const access = client.access({
			host: c.host,
			port: ftpPort(c),
			user: c.user,
			password: c.password,
			secure: c.protocol === 'ftpsImplicit' ? 'implicit' : c.protocol === 'ftpsExplicit',
			secureOptions: tlsOptions(c.host, c.allowSelfSigned === true),
		});
		// plain FTP or explicit FTPS to a port that speaks TLS first (990) fails within seconds, with the hint
		await (c.protocol === 'ftpsImplicit' ? access : connectUnlessTlsFirst(ftpEndpoint(c), access, () => client.close(), () => client.ftp.socket));
	} catch (error) {
		const timedOut = client.closed && !(error as { code?: unknown }).code;
		throw toTransportError(timedOut ? new TransportError('timeout', 'connect timed out', { code: 'ETIMEDOUT' }) : error, ftpEndpoint(c), [
			c.password,
		]);
	} finally {
		clearTimeout(timer);
	}
}

export async function testFtpConnection(c: FtpCredentials): Promise<string> {
	return await withFtpClient(c, async (client) => {
		const pwd = await client.pwd();
		return `Connected to ${c.host}:${ftpPort(c)} as ${c.user} (${c.protocol === 'ftp' ? 'unencrypted' : 'TLS'}); working directory ${pwd}.`;
	});
}

/**
 * Runs one FTP command (or a few) so that it always ends: when it settles, when the session is closed, or at
 * the latest after three socket time-outs.
 *
 * Why: basic-ftp ends a pending command as soon as the server closes the session (the kernel reports FIN or
 * RST, or TLS breaks on a plain-text "500 OOPS" of a dying vsftpd), by passing the socket's error to the
 * command's handler — but the handler recognises it with `instanceof Error`. An error that Node's core made
 * in another JavaScript realm than basic-ftp's code (as under jest's module sandbox, or any vm) fails that
 * test, is taken for a reply and ignored, and basic-ftp then drops the command without settling it: it would
 * wait for good. So the session's state is checked as well (every 200 ms: a closed session is noticed within
 * that of basic-ftp closing it), and a command that outlives every socket time-out closes the session. A step
 * of many commands calls `progressed` on each reply or chunk of data: the limit then counts from the last one.
 */
export async function ftpStep<T>(client: Client, command: (progressed: () => void) => Promise<T>): Promise<T> {
	const limit = 3 * timeouts().socket;
	// a step of many commands (downloads sent together) counts from its last reply or data, not from its start
	let started = Date.now();
	let timer: NodeJS.Timeout | undefined;
	const ended = new Promise<never>((_resolve, reject) => {
		timer = setInterval(() => {
			if (client.closed) {
				reject(new TransportError('connectionLost', 'the server closed the connection', { code: 'EConnectionClosed' }));
			} else if (Date.now() - started > limit) {
				client.close();
				reject(new TransportError('timeout', `no answer from the server within ${Math.round(limit / 1000)} s`, { code: 'ETIMEDOUT' }));
			}
		}, 200);
	});
	try {
		return await Promise.race([command(() => (started = Date.now())), ended]);
	} finally {
		clearInterval(timer);
	}
}

/** Whether an error is the server's refusal of one command (an error reply: the session stays usable). */
export function isRefusal(error: unknown, client: Client): error is FTPError {
	return error instanceof FTPError && !client.closed;
}

/**
 * Runs FTP commands; returns the error when the server refused one (the session stays usable), throws
 * anything else (the session broke).
 */
export async function refusalOf(client: Client, commands: () => Promise<unknown>): Promise<FTPError | undefined> {
	const failure = await commands().then(
		() => undefined,
		(error: unknown) => ({ error }),
	);
	if (!failure) return undefined;
	if (isRefusal(failure.error, client)) return failure.error;
	throw failure.error;
}

/**
 * The FTP sink: uploads under a temporary name and renames when complete, so that a reader on the other side
 * never sees a half-written file (the counterpart of folder.ts's writeFileAtomically).
 */
export async function uploadFileAtomically(client: Client, target: string, bytes: Buffer): Promise<void> {
	const temporary = `${target}.part`;
	await client.uploadFrom(Readable.from([bytes]), temporary);
	const refused = await refusalOf(client, async () => await client.rename(temporary, target));
	if (refused) {
		// some servers (IIS) refuse to rename onto an existing file: the older version goes first
		await client.remove(target);
		await client.rename(temporary, target);
	}
}

/**
 * An FTP directory as a `FileSink`: one session; the directory (relative to the login directory, or absolute)
 * must exist — it is not created, so that a typing error does not send documents where nobody reads them.
 */
export function ftpFileSink(c: FtpCredentials, typedDirectory: string): WithFileSink {
	return async (work) =>
		await withFtpClient(c, async (client) => {
			let directory = '';
			let missing: FTPError | undefined;
			try {
				directory = path.posix.resolve(await client.pwd(), remoteDirectory(typedDirectory) || '.');
				missing = await refusalOf(client, async () => await client.cd(directory));
			} catch (error) {
				throw toTransportError(error, ftpEndpoint(c), [c.password]);
			}
			if (missing) {
				throw new TransportError('notFound', `The directory "${directory}" does not exist on the FTP server or cannot be opened (${missing.message})`, {
					hint: 'Create it, or correct the Directory. It is not created automatically, so that a typing error does not send documents where nobody reads them.',
				});
			}
			return await work({
				directory,
				where: `${c.host}:${ftpPort(c)}`,
				async deliver(name: string, bytes: Buffer): Promise<string> {
					const target = path.posix.join(directory, name);
					let refused: FTPError | undefined;
					try {
						refused = await refusalOf(client, async () => await ftpStep(client, async () => await uploadFileAtomically(client, target, bytes)));
					} catch (error) {
						throw toTransportError(error, ftpEndpoint(c), [c.password]);
					}
					// a refused command leaves the session usable: this file fails, the next may go
					if (refused) throw new TransportError('refusedByServer', refused.message, { code: String(refused.code) });
					return target;
				},
			});
		});
}
