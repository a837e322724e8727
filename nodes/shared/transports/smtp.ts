import { createTransport, type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';

import { toConnectionError, type Endpoint } from './connectionErrors';
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
}

export interface SmtpTransportOptions {
	/** keep connections open and reuse them (nodemailer's pool): for sending many mails */
	pool?: boolean;
	maxConnections?: number;
	/** messages per second over all pooled connections */
	messagesPerSecond?: number;
}

export function smtpEndpoint(c: SmtpCredentials): Endpoint {
	return { protocol: 'SMTP', host: c.host, port: c.port, user: c.user };
}

/** The From header of the account, `"Name" <address>`. */
export function senderOf(c: Pick<SmtpCredentials, 'senderAddress' | 'senderName'>): { name: string; address: string } {
	return { name: c.senderName ?? '', address: c.senderAddress };
}

export function createSmtpTransport(c: SmtpCredentials, options: SmtpTransportOptions = {}): Transporter {
	const common = {
		host: c.host,
		port: c.port,
		secure: c.security === 'tls',
		requireTLS: c.security === 'starttls',
		ignoreTLS: c.security === 'none',
		auth: c.user ? { user: c.user, pass: c.password ?? '' } : undefined,
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
			...(options.messagesPerSecond ? { rateDelta: 1000, rateLimit: options.messagesPerSecond } : {}),
		};
		return createTransport(pooled);
	}
	const single: SMTPTransport.Options = common;
	return createTransport(single);
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
			throw toConnectionError(error, smtpEndpoint(c), [c.password]);
		}
		return `Connected to ${c.host}:${c.port}${c.user ? ` as ${c.user}` : ''}; the server accepts mail from this account.`;
	});
}
