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

/**
 * Time-outs (ms) used by every transport. They can be changed for a whole n8n instance:
 * BACKOFFICE_CONNECT_TIMEOUT_MS for connecting and the greeting (e.g. servers behind slow VPNs), and
 * BACKOFFICE_SOCKET_TIMEOUT_MS for a connection on which nothing arrives any more (the tests use short ones).
 */
export function timeouts(): { connect: number; greeting: number; socket: number } {
	const connect = positive(process.env.BACKOFFICE_CONNECT_TIMEOUT_MS) ?? 15_000;
	const socket = positive(process.env.BACKOFFICE_SOCKET_TIMEOUT_MS) ?? 120_000;
	return { connect, greeting: connect, socket };
}

function positive(value: string | undefined): number | undefined {
	const n = Number(value);
	return Number.isFinite(n) && n > 0 ? n : undefined;
}
