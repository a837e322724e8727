import { ImapFlow } from 'imapflow';

import { TransportError, toTransportError, type Endpoint } from './transportError';
import { timeouts, tlsOptions } from './tls';

export type ImapSecurity = 'tls' | 'starttls' | 'none';

export interface ImapCredentials {
	host: string;
	port: number;
	security: ImapSecurity;
	user: string;
	password: string;
	allowSelfSigned?: boolean;
}

export interface ImapClientOptions {
	socketTimeoutMs?: number;
}

export function imapEndpoint(c: ImapCredentials): Endpoint {
	return { protocol: 'IMAP', host: c.host, port: c.port, user: c.user };
}

/** Builds an imapflow client from a credential: TLS mode, certificate check, time-outs, no logging. */
export function createImapClient(c: ImapCredentials, options: ImapClientOptions = {}): ImapFlow {
	const client = new ImapFlow({
		host: c.host,
		port: c.port,
		secure: c.security === 'tls',
		// true: STARTTLS required (fail if the server does not offer it); false: never upgrade
		doSTARTTLS: c.security === 'starttls' ? true : c.security === 'none' ? false : undefined,
		auth: { user: c.user, pass: c.password },
		tls: tlsOptions(c.host, c.allowSelfSigned === true),
		logger: false,
		connectionTimeout: timeouts().connect,
		greetingTimeout: timeouts().greeting,
		socketTimeout: options.socketTimeoutMs ?? timeouts().socket,
		disableAutoIdle: true,
		emitLogs: false,
	});
	// imapflow emits 'error' for socket faults after connect; an unhandled 'error' event would crash n8n.
	client.on('error', () => undefined);
	return client;
}

/** Connects, runs `work`, and always closes the connection (logout when possible), also on error. */
export async function withImapClient<T>(
	c: ImapCredentials,
	work: (client: ImapFlow) => Promise<T>,
	options: ImapClientOptions = {},
): Promise<T> {
	const client = createImapClient(c, options);
	try {
		await client.connect();
	} catch (error) {
		client.close();
		throw toTransportError(error, imapEndpoint(c), [c.password]);
	}
	try {
		return await work(client);
	} catch (error) {
		throw isProtocolFault(error) ? toTransportError(error, imapEndpoint(c), [c.password]) : error;
	} finally {
		await closeImapClient(client);
	}
}

async function closeImapClient(client: ImapFlow): Promise<void> {
	if (client.usable) {
		let timer: NodeJS.Timeout | undefined;
		try {
			await Promise.race([client.logout(), new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
		} catch {
			// the connection is closed below in any case
		} finally {
			clearTimeout(timer);
		}
	}
	client.close();
}

/** Errors raised by imapflow or the socket, as opposed to errors of the caller's own logic. */
function isProtocolFault(error: unknown): boolean {
	// a lost session found below this layer (an IMAP source) is described again with the server's name
	if (error instanceof TransportError) return error.endpoint === undefined && error.sessionLost;
	const e = error as { code?: unknown; responseStatus?: unknown; executedCommand?: unknown };
	return (
		typeof e?.code === 'string' &&
		(/^E[A-Z]+$/.test(e.code) || ['NoConnection', 'EConnectionClosed', 'ETIMEOUT', 'CONNECT_TIMEOUT'].includes(e.code))
	);
}

export async function testImapConnection(c: ImapCredentials): Promise<string> {
	return await withImapClient(c, async (client) => {
		const folders = await client.list();
		return `Connected to ${c.host}:${c.port} as ${c.user}; ${folders.length} folder(s) visible.`;
	});
}
