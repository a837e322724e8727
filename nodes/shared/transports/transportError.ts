/**
 * The one error every transport (IMAP, SMTP, FTP, SFTP, a local folder) throws: a `TransportError` with a
 * `kind` a back-office user can act on, described in plain words. Library errors (imapflow, nodemailer,
 * basic-ftp, Node's net/tls/dns/fs) are classified here by `toTransportError`; a transport that finds a fault
 * itself (a missing directory, a refused command, a session that broke mid-run) throws one directly. The node
 * layer maps it to n8n's errors in one place (nodes/shared/nodeErrors.ts). Passwords never appear in the text:
 * every classified message passes through `redact` with the credential's secrets.
 */
import { TokenRejectedError } from './oauth2Token';
import { plainTextPortError } from './securityMismatch';

export type TransportFaultKind =
	/** the server refused the login */
	| 'authentication'
	/** an OAuth2 sign-in that cannot succeed without the user: token refused after a refresh, grant revoked, scope missing */
	| 'oauth2'
	/** the host name does not resolve */
	| 'hostNotFound'
	/** nothing answers at host:port */
	| 'refused'
	| 'tlsUntrusted'
	| 'tlsHandshake'
	/** an SSH host key that is not the pinned one, no key pinned, or a pinned fingerprint that is not one: the user pins it */
	| 'hostKey'
	/** no answer in time (connecting, or a command that never settled) */
	| 'timeout'
	/** the session broke after it was open: what was not committed stays for the next run */
	| 'connectionLost'
	/** a directory or folder of the configuration does not exist at the source or sink */
	| 'notFound'
	/** the server answered a command with an error (no right, no such file): the session stays usable */
	| 'refusedByServer'
	| 'other';

export interface Endpoint {
	protocol: 'IMAP' | 'SMTP' | 'FTP' | 'SFTP' | 'folder';
	host: string;
	port: number;
	user?: string;
	/** the login uses an OAuth2 access token instead of a password */
	oauth2?: boolean;
	/** the client speaks TLS from the first byte (SSL/TLS, implicit FTPS) rather than plain text or STARTTLS */
	tlsFromStart?: boolean;
}

export interface TransportErrorDetails {
	endpoint?: Endpoint;
	/** the library's or server's code (ECONNREFUSED, EAUTH, 530, 550 …), for logs and tests */
	code?: string;
	/** what the transport was doing, e.g. "listing /in" */
	step?: string;
	/** what the user can do about it, in plain words (becomes the n8n error's description) */
	hint?: string;
	cause?: unknown;
}

export class TransportError extends Error {
	readonly kind: TransportFaultKind;
	readonly endpoint?: Endpoint;
	readonly code?: string;
	readonly step?: string;
	readonly hint?: string;

	constructor(kind: TransportFaultKind, message: string, details: TransportErrorDetails = {}) {
		super(message, details.cause === undefined ? undefined : { cause: details.cause });
		this.name = 'TransportError';
		this.kind = kind;
		this.endpoint = details.endpoint;
		this.code = details.code;
		this.step = details.step;
		this.hint = details.hint;
	}

	/** Whether the session is gone (broke or timed out): nothing more can be done on it. */
	get sessionLost(): boolean {
		return this.kind === 'connectionLost' || this.kind === 'timeout';
	}

	/** Whether it is a fault of the server or the network (as opposed to the configuration the user can fix). */
	get isServerFault(): boolean {
		return !['notFound', 'refusedByServer', 'oauth2', 'hostKey'].includes(this.kind);
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

/**
 * Classifies any error thrown while connecting to or talking with a server. A TransportError passes unchanged,
 * except a lost session or time-out raised below the layer that knows the server (an IMAP source, an FTP
 * step deadline): that one is described again with the server's name.
 */
export function toTransportError(error: unknown, endpoint: Endpoint, secrets: Array<string | undefined> = []): TransportError {
	if (error instanceof TransportError && (error.endpoint !== undefined || !error.sessionLost)) return error;
	if (error instanceof TokenRejectedError) return new TransportError('oauth2', redact(error.message, secrets), { endpoint, code: 'EOAUTH2' });
	const err = (error ?? {}) as LibraryError;
	const raw = redact(String(err.message ?? error ?? 'unknown error'), secrets);
	// nodemailer wraps socket faults as ESOCKET/EDNS/ECONNECTION and keeps Node's own code only in the text
	const wrapped = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EAI_NONAME|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EPIPE)\b/.exec(raw)?.[1];
	const own = err.code !== undefined ? String(err.code) : undefined;
	const code = own === undefined || ['ESOCKET', 'EDNS', 'ECONNECTION', 'ETLS'].includes(own) ? (wrapped ?? own) : own;
	const text = `${code ?? ''} ${raw}`;
	const make = (kind: TransportFaultKind, message: string) =>
		new TransportError(kind, redact(message, secrets), { endpoint, code });

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
	if (endpoint.tlsFromStart && /wrong version number|unknown protocol|packet length too long|ssl3_get_record/i.test(text)) {
		// the server's plain-text greeting arrived where the TLS handshake expected a TLS record
		return plainTextPortError(endpoint, code);
	}
	if (/wrong version number|unknown protocol|packet length too long|EPROTO|ssl3_get_record|tlsv1 alert/i.test(text)) {
		return make(
			'tlsHandshake',
			`TLS handshake with ${endpoint.host}:${endpoint.port} failed: the security setting probably does not match the port ` +
				(endpoint.protocol === 'FTP' ? '(explicit vs implicit FTPS).' : '(SSL/TLS vs STARTTLS).'),
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
