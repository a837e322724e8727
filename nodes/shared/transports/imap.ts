import type { Socket } from 'node:net';

import { ImapFlow } from 'imapflow';

import { connectUnlessTlsFirst } from './securityMismatch';
import { TransportError, toTransportError, type Endpoint } from './transportError';
import type { MailOAuth2 } from './oauth2Token';
import { timeouts, tlsOptions } from './tls';

export type ImapSecurity = 'tls' | 'starttls' | 'none';

export interface ImapCredentials {
	host: string;
	port: number;
	security: ImapSecurity;
	user: string;
	password: string;
	allowSelfSigned?: boolean;
	/** sign in with this OAuth2 token (XOAUTH2 / OAUTHBEARER) instead of the password */
	oauth2?: MailOAuth2;
}

export interface ImapClientOptions {
	socketTimeoutMs?: number;
}

export function imapEndpoint(c: ImapCredentials): Endpoint {
	return { protocol: 'IMAP', host: c.host, port: c.port, user: c.user, oauth2: c.oauth2 !== undefined, tlsFromStart: c.security === 'tls' };
}

/** The login of a credential: the password, or the OAuth2 access token (imapflow picks XOAUTH2 or OAUTHBEARER). */
export function imapAuth(c: ImapCredentials): { user: string; pass: string } | { user: string; accessToken: string } {
	return c.oauth2 ? { user: c.user, accessToken: c.oauth2.accessToken } : { user: c.user, pass: c.password };
}

/** What must never appear in an error text. */
function secretsOf(c: ImapCredentials): string[] {
	return [c.password, c.oauth2?.accessToken ?? ''];
}

/** Builds an imapflow client from a credential: TLS mode, certificate check, time-outs, no logging. */
export function createImapClient(c: ImapCredentials, options: ImapClientOptions = {}): ImapFlow {
	const client = new ImapFlow({
		host: c.host,
		port: c.port,
		secure: c.security === 'tls',
		// true: STARTTLS required (fail if the server does not offer it); false: never upgrade
		doSTARTTLS: c.security === 'starttls' ? true : c.security === 'none' ? false : undefined,
		auth: imapAuth(c),
		tls: tlsOptions(c.host, c.allowSelfSigned === true),
		logger: false,
		connectionTimeout: timeouts().connect,
		greetingTimeout: timeouts().greeting,
		socketTimeout: options.socketTimeoutMs ?? timeouts().socket,
		disableAutoIdle: true,
		// no ENABLE (CONDSTORE, UTF8=ACCEPT, IMAP4rev2): nothing here uses them, and in a CONDSTORE session the server
		// reports every mail's new MODSEQ after a STORE, .SILENT or not (seen on Dovecot 2.3) — a FETCH response per
		// mail for each mark and each clearing of a poll (500 mails: 1,000), about 8 % of a poll's time. Folder names
		// go as modified UTF-7, which every server reads.
		disableAutoEnable: true,
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
	const client = await connectImapClient(c, options);
	try {
		return await work(client);
	} catch (error) {
		throw isProtocolFault(error) ? toTransportError(error, imapEndpoint(c), secretsOf(c)) : error;
	} finally {
		await closeImapClient(client);
	}
}

/** Connects and logs in, for a connection that outlives one call (the poll lease); close it with closeImapClient. */
export async function openImapClient(c: ImapCredentials, options: ImapClientOptions = {}): Promise<ImapFlow> {
	return await connectImapClient(c, options);
}

/**
 * Connects and logs in. An OAuth2 token the server refuses is refreshed once (`oauth2.refresh`) and the login
 * tried once more with the new token; a second refusal is final.
 */
async function connectImapClient(c: ImapCredentials, options: ImapClientOptions, retried = false): Promise<ImapFlow> {
	const client = createImapClient(c, options);
	try {
		// a plain or STARTTLS connect to a port that speaks TLS first (993) fails within seconds, with the hint
		await (c.security === 'tls'
			? client.connect()
			: connectUnlessTlsFirst(imapEndpoint(c), client.connect(), () => client.close(), () => socketOf(client)));
		return client;
	} catch (error) {
		client.close();
		const fault = toTransportError(error, imapEndpoint(c), secretsOf(c));
		if (!c.oauth2 || fault.kind !== 'oauth2') throw fault;
		const explained = c.oauth2.explainRejection?.();
		if (explained) throw explained;
		if (retried) throw fault;
		const accessToken = await c.oauth2.refresh();
		return await connectImapClient({ ...c, oauth2: { ...c.oauth2, accessToken } }, options, true);
	}
}

/** imapflow's socket (a property its types do not declare), once it connects. */
function socketOf(client: ImapFlow): Socket | undefined {
	return (client as unknown as { socket?: Socket | false }).socket || undefined;
}

export async function closeImapClient(client: ImapFlow): Promise<void> {
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
		return `Connected to ${c.host}:${c.port} as ${c.user}${c.oauth2 ? ' (OAuth2)' : ''}; ${folders.length} folder(s) visible.`;
	});
}
