import { randomUUID } from 'node:crypto';

import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';

import { toTransportError, type Endpoint } from './transportError';
import type { MailOAuth2 } from './oauth2Token';
import { timeouts, tlsOptions } from './tls';

export type SmtpSecurity = 'starttls' | 'tls' | 'none';

export interface SmtpCredentials {
	host: string;
	port: number;
	security: SmtpSecurity;
	user?: string;
	password?: string;
	senderAddress: string;
	senderName?: string;
	allowSelfSigned?: boolean;
	/** sign in with this OAuth2 token (XOAUTH2) instead of the password */
	oauth2?: MailOAuth2;
}

export interface SmtpTransportOptions {
	/** keep connections open and reuse them (nodemailer's pool): for sending many mails */
	pool?: boolean;
	maxConnections?: number;
	/** messages per second over all pooled connections */
	messagesPerSecond?: number;
	/** close a pooled connection that has been idle this long (nodemailer's default: 4 minutes) */
	idleTimeoutMs?: number;
}

export function smtpEndpoint(c: SmtpCredentials): Endpoint {
	return { protocol: 'SMTP', host: c.host, port: c.port, user: c.user, oauth2: c.oauth2 !== undefined };
}

/** The login of a credential: none (a relay), the password, or the OAuth2 access token (XOAUTH2). */
export function smtpAuth(c: SmtpCredentials): SMTPTransport.Options['auth'] {
	if (!c.user) return undefined;
	return c.oauth2 ? { type: 'OAuth2', user: c.user, accessToken: c.oauth2.accessToken } : { user: c.user, pass: c.password ?? '' };
}

/**
 * nodemailer asks for a new token (`renew`) once when the server refuses one, and logs in again with it: the
 * token is refreshed through `oauth2.refresh`, at most once per transport (a second refusal is final).
 */
function provideTokens(transport: Transporter, oauth2: MailOAuth2): void {
	let refreshed: Promise<string> | undefined;
	transport.set('oauth2_provision_cb', (_user: string, renew: boolean, callback: (error: Error | null, token?: string) => void) => {
		const explained = renew ? oauth2.explainRejection?.() : undefined;
		if (explained) return callback(explained);
		if (!renew) return callback(null, oauth2.accessToken);
		refreshed ??= oauth2.refresh();
		refreshed.then(
			(token) => callback(null, token),
			(error: Error) => callback(error),
		);
	});
}

/** The From header of the account, `"Name" <address>`. */
export function senderOf(c: Pick<SmtpCredentials, 'senderAddress' | 'senderName'>): { name: string; address: string } {
	return { name: c.senderName ?? '', address: c.senderAddress };
}

/**
 * nodemailer counts whole messages per window (`rateLimit` per `rateDelta` ms): 0.5 or 2.5 per second become a
 * whole number of messages over a longer or shorter window (1 per 2 s, 2 per 800 ms).
 */
export function rateOf(messagesPerSecond: number): { rateLimit: number; rateDelta: number } {
	const rateLimit = Math.max(1, Math.floor(messagesPerSecond));
	return { rateLimit, rateDelta: Math.round((1000 * rateLimit) / messagesPerSecond) };
}

export function createSmtpTransport(c: SmtpCredentials, options: SmtpTransportOptions = {}): Transporter {
	const common = {
		host: c.host,
		port: c.port,
		secure: c.security === 'tls',
		requireTLS: c.security === 'starttls',
		ignoreTLS: c.security === 'none',
		auth: smtpAuth(c),
		tls: tlsOptions(c.host, c.allowSelfSigned === true),
		connectionTimeout: timeouts().connect,
		greetingTimeout: timeouts().greeting,
		socketTimeout: timeouts().socket,
		logger: false,
		debug: false,
	};
	if (options.pool) {
		const pooled: SMTPPool.Options = {
			...common,
			pool: true,
			maxConnections: options.maxConnections ?? 3,
			maxMessages: 100,
			...(options.messagesPerSecond ? rateOf(options.messagesPerSecond) : {}),
			...(options.idleTimeoutMs ? { idleTimeout: options.idleTimeoutMs } : {}),
		};
		return withTokens(createTransport(pooled), c);
	}
	const single: SMTPTransport.Options = common;
	return withTokens(createTransport(single), c);
}

function withTokens(transport: Transporter, c: SmtpCredentials): Transporter {
	if (c.oauth2) provideTokens(transport, c.oauth2);
	return transport;
}

/** Creates a transport, runs `work`, and always closes the transport's connections. */
export async function withSmtpTransport<T>(
	c: SmtpCredentials,
	work: (transport: Transporter) => Promise<T>,
	options: SmtpTransportOptions = {},
): Promise<T> {
	const transport = createSmtpTransport(c, options);
	try {
		return await work(transport);
	} finally {
		transport.close();
	}
}

/** Connects, upgrades to TLS as configured and logs in, without sending anything. */
export async function testSmtpConnection(c: SmtpCredentials): Promise<string> {
	return await withSmtpTransport(c, async (transport) => {
		try {
			await transport.verify();
		} catch (error) {
			throw toTransportError(error, smtpEndpoint(c), [c.password, c.oauth2?.accessToken]);
		}
		return `Connected to ${c.host}:${c.port}${c.user ? ` as ${c.user}` : ''}${c.oauth2 ? ' (OAuth2)' : ''}; the server accepts mail from this account.`;
	});
}

// ----------------------------------------------------------------------------------------------- bulk sending

/** Why the server did not take a mail (or a recipient), as a workflow item reports it. */
export interface SmtpFailure {
	/** the server's reply code (450, 550 …), or the library's code when no reply came (ECONNECTION, ETIMEDOUT …) */
	code: number | string;
	/** the server's reply, e.g. "450 4.2.1 <x@example.com>: Recipient address rejected: Mailbox busy" */
	response?: string;
	/** a 4xx reply or a broken connection: the same mail may well be taken later */
	temporary: boolean;
	/** the SMTP command that was refused (MAIL FROM, RCPT TO, DATA), when known */
	command?: string;
	message: string;
}

export interface RecipientRejection extends SmtpFailure {
	recipient: string;
}

interface NodemailerError {
	code?: string;
	responseCode?: number;
	response?: string;
	command?: string;
	message?: string;
	rejectedErrors?: Array<NodemailerError & { recipient?: string }>;
}

// faults of the connection rather than answers about the mail: a new connection may well succeed
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'EPROTOCOL', 'ETLS']);

/** Classifies an error of `sendMail`: the server's reply code when there is one, else the connection fault. */
export function smtpFailureOf(error: unknown, endpoint: Endpoint, secrets: Array<string | undefined> = []): SmtpFailure {
	const e = (error ?? {}) as NodemailerError;
	if (typeof e.responseCode === 'number') {
		const response = (e.response ?? e.message ?? '').trim();
		return {
			code: e.responseCode,
			response,
			// RFC 5321 4.2.1: 4yz is a transient negative completion reply
			temporary: e.responseCode >= 400 && e.responseCode < 500,
			command: e.command,
			message: response || String(e.message ?? e.responseCode),
		};
	}
	const described = toTransportError(error, endpoint, secrets);
	const code = e.code ?? described.code ?? 'EUNKNOWN';
	return {
		code,
		temporary: TRANSIENT_CODES.has(code) || ['timeout', 'connectionLost'].includes(described.kind),
		command: e.command,
		message: described.message,
	};
}

function rejectionsOf(errors: NodemailerError['rejectedErrors'], endpoint: Endpoint): RecipientRejection[] {
	return (errors ?? []).map((r) => ({ ...smtpFailureOf(r, endpoint), recipient: String(r.recipient ?? '') }));
}

export interface RetryPolicy {
	/** how often a temporarily refused mail is tried again (0: never) */
	retries: number;
	/** the wait before the first retry; each further wait doubles, up to `maxDelayMs` */
	delayMs: number;
	maxDelayMs?: number;
	/** how to wait; a bulk sender gives up its sending slot meanwhile */
	wait?: (ms: number) => Promise<void>;
}

export interface MailEnvelope {
	from: string;
	/** the customer's addresses: the mail counts as delivered when at least one of them took it */
	to: string[];
	/** copies (an archive address): sent along, but they alone do not make a mail delivered */
	copies?: string[];
}

export type DeliveryOutcome =
	| {
			delivered: true;
			messageId: string;
			/** the server's reply to the message data, e.g. "250 2.0.0 Ok: queued as 4Xq…" */
			response: string;
			accepted: string[];
			/** recipients refused for good, or still refused after the retries */
			rejected: RecipientRejection[];
			attempts: number;
	  }
	| { delivered: false; messageId: string; failure: SmtpFailure; rejected: RecipientRejection[]; attempts: number };

/** The wait before retry `n` (1-based): delay, 2 × delay, 4 × delay … capped. */
export function retryDelay(policy: RetryPolicy, retry: number): number {
	return Math.min(policy.delayMs * 2 ** (retry - 1), policy.maxDelayMs ?? 15 * 60_000);
}

/**
 * Sends one message, trying again after temporary refusals (4xx replies, broken connections) with doubling
 * waits. A retry goes only to the recipients that are still open, with the same Message-ID, so that a
 * recipient who took the mail once does not get it twice. The mail is delivered when at least one of
 * `envelope.to` took it; refusals of the others are reported next to it.
 */
export async function sendWithRetries(
	transport: Transporter,
	message: SendMailOptions,
	envelope: MailEnvelope,
	policy: RetryPolicy,
	endpoint: Endpoint,
	secrets: Array<string | undefined> = [],
): Promise<DeliveryOutcome> {
	const domain = envelope.from.slice(envelope.from.lastIndexOf('@') + 1) || 'localhost';
	const messageId = typeof message.messageId === 'string' && message.messageId ? message.messageId : `<${randomUUID()}@${domain}>`;
	const customers = new Set(envelope.to.map((a) => a.toLowerCase()));
	let open = [...envelope.to, ...(envelope.copies ?? [])];
	const accepted: string[] = [];
	const refused = new Map<string, RecipientRejection>();
	let response = '';
	let lastFailure: SmtpFailure | undefined;
	const wait = policy.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
	let attempts = 0;
	for (;;) {
		attempts++;
		let temporary: RecipientRejection[] = [];
		try {
			const info = await transport.sendMail({ ...message, messageId, envelope: { from: envelope.from, to: open } });
			accepted.push(...(info.accepted ?? []).map(String));
			response = String(info.response ?? '');
			for (const rejection of rejectionsOf((info as { rejectedErrors?: NodemailerError[] }).rejectedErrors, endpoint)) {
				if (rejection.temporary) temporary.push(rejection);
				else refused.set(rejection.recipient.toLowerCase(), rejection);
			}
		} catch (error) {
			const failure = smtpFailureOf(error, endpoint, secrets);
			lastFailure = failure;
			const perRecipient = rejectionsOf((error as NodemailerError).rejectedErrors, endpoint);
			if (perRecipient.length) {
				for (const rejection of perRecipient) {
					if (rejection.temporary) temporary.push(rejection);
					else refused.set(rejection.recipient.toLowerCase(), rejection);
				}
			} else if (failure.temporary) {
				temporary = open.map((recipient) => ({ ...failure, recipient }));
			} else {
				for (const recipient of open) refused.set(recipient.toLowerCase(), { ...failure, recipient });
			}
		}
		// a retry is worth it only while a customer address is still open; a copy alone is not retried
		const retryFor = temporary.filter((r) => customers.has(r.recipient.toLowerCase()));
		if (temporary.length) lastFailure = temporary[0];
		if (!retryFor.length || attempts > policy.retries) {
			for (const rejection of temporary) refused.set(rejection.recipient.toLowerCase(), rejection);
			break;
		}
		open = temporary.map((r) => r.recipient);
		await wait(retryDelay(policy, attempts));
	}
	const rejected = [...refused.values()];
	if (accepted.some((a) => customers.has(a.toLowerCase()))) {
		return { delivered: true, messageId, response, accepted, rejected, attempts };
	}
	const customerRefusal = rejected.find((r) => customers.has(r.recipient.toLowerCase()));
	const failure = customerRefusal ?? lastFailure ?? { code: 'EUNKNOWN', temporary: false, message: 'the server took the mail for none of the recipients' };
	return { delivered: false, messageId, failure: stripRecipient(failure), rejected, attempts };
}

function stripRecipient(failure: SmtpFailure | RecipientRejection): SmtpFailure {
	const copy: SmtpFailure & { recipient?: string } = { ...failure };
	delete copy.recipient;
	return copy;
}
