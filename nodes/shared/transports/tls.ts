import type { ConnectionOptions } from 'node:tls';

/**
 * TLS options shared by every transport: certificates are verified unless the user explicitly allows
 * self-signed ones. A private CA can be trusted without switching verification off by starting n8n with
 * NODE_EXTRA_CA_CERTS=/path/to/ca.pem (Node reads it at start).
 */
export function tlsOptions(host: string, allowSelfSigned: boolean): ConnectionOptions {
	const isIp = /^[\d.]+$|:/.test(host);
	return {
		rejectUnauthorized: !allowSelfSigned,
		// SNI must be a host name, never an IP address
		...(isIp ? {} : { servername: host }),
		minVersion: 'TLSv1.2',
	};
}

/** Time-outs (ms) used by every transport unless a node asks for others. */
export const TIMEOUTS = {
	connect: 15_000,
	greeting: 15_000,
	socket: 120_000,
} as const;
