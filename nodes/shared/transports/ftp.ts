import { Readable } from 'node:stream';

import { Client, FTPError } from 'basic-ftp';

import { toTransportError, TransportError, type Endpoint } from './transportError';
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
	return { protocol: 'FTP', host: c.host, port: ftpPort(c), user: c.user };
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
		await client.access({
			host: c.host,
			port: ftpPort(c),
			user: c.user,
			password: c.password,
			secure: c.protocol === 'ftpsImplicit' ? 'implicit' : c.protocol === 'ftpsExplicit',
			secureOptions: tlsOptions(c.host, c.allowSelfSigned === true),
		});
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
