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
 * Time-outs (ms) used by every transport. The connect and greeting limits can be changed for a whole n8n
 * instance with BACKOFFICE_CONNECT_TIMEOUT_MS (e.g. for servers behind slow VPNs; the tests use a short one).
 */
export function timeouts(): { connect: number; greeting: number; socket: number } {
	const configured = Number(process.env.BACKOFFICE_CONNECT_TIMEOUT_MS);
	const connect = Number.isFinite(configured) && configured > 0 ? configured : 15_000;
	return { connect, greeting: connect, socket: 120_000 };
}
