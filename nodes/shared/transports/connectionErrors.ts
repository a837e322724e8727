/**
 * Library errors (imapflow, nodemailer, basic-ftp, Node's net/tls/dns) turned into one small set of
 * faults a back-office user can act on, described in plain words. Passwords never appear in the text:
 * every message passes through `redact` with the credential's secrets.
 */
import { TokenRejectedError } from './oauth2Token';

export type ConnectionFaultKind =
	| 'authentication'
	/** an OAuth2 sign-in that cannot succeed without the user: token refused after a refresh, grant revoked, scope missing */
	| 'oauth2'
	| 'hostNotFound'
	| 'refused'
	| 'tlsUntrusted'
	| 'tlsHandshake'
	| 'timeout'
	| 'connectionLost'
	| 'other';

export interface Endpoint {
	protocol: 'IMAP' | 'SMTP' | 'FTP';
	host: string;
	port: number;
	user?: string;
	/** the login uses an OAuth2 access token instead of a password */
	oauth2?: boolean;
}

export class ConnectionError extends Error {
	readonly kind: ConnectionFaultKind;
	readonly endpoint: Endpoint;
	/** the library's error code (ECONNREFUSED, EAUTH, 530, …), for logs and tests */
	readonly code?: string;

	constructor(kind: ConnectionFaultKind, message: string, endpoint: Endpoint, code?: string) {
		super(message);
		this.name = 'ConnectionError';
		this.kind = kind;
		this.endpoint = endpoint;
		this.code = code;
	}
}

const TLS_UNTRUSTED_CODES = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_HAS_EXPIRED',
	'CERT_NOT_YET_VALID',
	'CERT_UNTRUSTED',
	'CERT_REVOKED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
	'HOSTNAME_MISMATCH',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ESOCKETTIMEDOUT']);
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS']);

interface LibraryError {
	code?: string | number;
	responseCode?: number;
	authenticationFailed?: boolean;
	serverResponseCode?: string;
	message?: string;
	reason?: string;
	cause?: unknown;
}

/** Removes every secret (and its URL-encoded form) from a text. */
export function redact(text: string, secrets: Array<string | undefined>): string {
	let out = text;
	for (const secret of secrets) {
		if (!secret || secret.length < 2) continue;
		for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
			out = out.split(form).join('***');
		}
	}
	return out;
}

function where(e: Endpoint): string {
	return `${e.protocol} server ${e.host}:${e.port}`;
}

/** Classifies any error thrown while connecting to or talking with a server. */
export function toConnectionError(error: unknown, endpoint: Endpoint, secrets: Array<string | undefined> = []): ConnectionError {
	if (error instanceof ConnectionError) return error;
	if (error instanceof TokenRejectedError) return new ConnectionError('oauth2', redact(error.message, secrets), endpoint, 'EOAUTH2');
	const err = (error ?? {}) as LibraryError;
	const raw = redact(String(err.message ?? error ?? 'unknown error'), secrets);
	// nodemailer wraps socket faults as ESOCKET/EDNS/ECONNECTION and keeps Node's own code only in the text
	const wrapped = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EAI_NONAME|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EPIPE)\b/.exec(raw)?.[1];
	const own = err.code !== undefined ? String(err.code) : undefined;
	const code = own === undefined || ['ESOCKET', 'EDNS', 'ECONNECTION', 'ETLS'].includes(own) ? (wrapped ?? own) : own;
	const text = `${code ?? ''} ${raw}`;
	const make = (kind: ConnectionFaultKind, message: string) =>
		new ConnectionError(kind, redact(message, secrets), endpoint, code);

	const ftpCode = typeof err.code === 'number' ? err.code : undefined;
	if (
		err.authenticationFailed ||
		err.serverResponseCode === 'AUTHENTICATIONFAILED' ||
		code === 'EAUTH' ||
		err.responseCode === 535 ||
		ftpCode === 530 ||
		/authentication failed|invalid credentials|login incorrect/i.test(raw)
	) {
		if (endpoint.oauth2) {
			return make(
				'oauth2',
				`OAuth2 token rejected: the ${where(endpoint)} refused the access token${endpoint.user ? ` for "${endpoint.user}"` : ''}, also after n8n refreshed it. ` +
					'Check that the mailbox may sign in this way (Microsoft 365: IMAP and "Authenticated SMTP" enabled for the mailbox) and that the app has the mail permissions, then reconnect the credential.',
			);
		}
		return make(
			'authentication',
			`Wrong user or password: the ${where(endpoint)} refused the login${endpoint.user ? ` for "${endpoint.user}"` : ''}.`,
		);
	}
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
		return make('hostNotFound', `Host not found: "${endpoint.host}" does not resolve to an address. Check the host name.`);
	}
	if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
		return make(
			'refused',
			`Connection refused by ${endpoint.host}:${endpoint.port}: no ${endpoint.protocol} server answers there. Check host, port and security setting.`,
		);
	}
	if ((code && TLS_UNTRUSTED_CODES.has(code)) || /self[- ]signed certificate|unable to verify|certificate has expired|altnames|not trusted/i.test(text)) {
		return make(
			'tlsUntrusted',
			`TLS certificate not trusted: the ${where(endpoint)} presented a certificate that cannot be verified (${code ?? raw}). ` +
				'If you run this server yourself and trust it, tick "Allow Self-Signed Certificates".',
		);
	}
	if (/wrong version number|unknown protocol|packet length too long|EPROTO|ssl3_get_record|tlsv1 alert/i.test(text)) {
		return make(
			'tlsHandshake',
			`TLS handshake with ${endpoint.host}:${endpoint.port} failed: the security setting probably does not match the port (SSL/TLS vs STARTTLS).`,
		);
	}
	if ((code && TIMEOUT_CODES.has(code)) || /timed? ?out|timeout/i.test(text)) {
		return make(
			'timeout',
			`Time-out: the ${where(endpoint)} did not answer in time. Check host, port, security setting and firewall.`,
		);
	}
	if ((code && LOST_CODES.has(code)) || /connection (closed|lost|reset)|socket hang up|closed unexpectedly/i.test(text)) {
		return make('connectionLost', `Connection to the ${where(endpoint)} was lost: ${raw}`);
	}
	return make('other', `${endpoint.protocol} error at ${endpoint.host}:${endpoint.port}: ${raw}`);
}
