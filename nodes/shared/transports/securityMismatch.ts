/**
 * A security setting that does not match the port, found fast and named plainly (issue 15):
 *
 * - **Plain text or STARTTLS against a port that speaks TLS from the first byte** (IMAP 993, SMTP 465, implicit
 *   FTPS 990): the client waits for a greeting the server never sends — it waits for a TLS ClientHello. Without
 *   help that is a bare time-out after the connect limit (15 s). So when no greeting has come after
 *   `PROBE_AFTER_MS`, a second connection sends a TLS ClientHello to the same port (nothing else: no user, no
 *   password, and it is closed right after the server's answer); a TLS answer proves the port speaks TLS first,
 *   and the first connection is ended with the hint. Only a real TLS answer counts, so a slow server is never
 *   taken for a TLS one: the probe just finds nothing and the connection goes on.
 * - **SSL/TLS against a port that starts in plain text** (143, 587, 21): the server's greeting ("* OK", "220")
 *   arrives where the TLS handshake expects a record, and OpenSSL fails at once ("wrong version number"); that
 *   error is described by `toTransportError` with `plainTextPortError`'s words (the endpoint says TLS was
 *   expected from the start).
 */
import type { Socket } from 'node:net';
import tls from 'node:tls';

import { TransportError, type Endpoint } from './transportError';

/** No greeting after this long on a plain connection: probe the port for TLS. */
export const PROBE_AFTER_MS = 1_500;
/** The probe gives up (finding nothing) after this long. */
const PROBE_LIMIT_MS = 5_000;

/** What a user picks instead, by protocol: the setting's label and the choices' labels in the credential. */
const CHOICES: Record<'IMAP' | 'SMTP' | 'FTP', { field: string; tlsFirst: string; plainFirst: string; tlsPort: number }> = {
	IMAP: { field: 'Security', tlsFirst: 'SSL/TLS', plainFirst: 'STARTTLS', tlsPort: 993 },
	SMTP: { field: 'Security', tlsFirst: 'SSL/TLS', plainFirst: 'STARTTLS', tlsPort: 465 },
	FTP: { field: 'Protocol', tlsFirst: 'FTPS (Implicit)', plainFirst: 'FTPS (Explicit)', tlsPort: 990 },
};

function choicesOf(endpoint: Endpoint) {
	return CHOICES[endpoint.protocol as keyof typeof CHOICES] ?? CHOICES.IMAP;
}

/** The port speaks TLS from the first byte, the credential chose plain text or STARTTLS / explicit FTPS. */
export function tlsFirstPortError(endpoint: Endpoint): TransportError {
	const c = choicesOf(endpoint);
	const kind = endpoint.protocol === 'FTP' ? ' (implicit FTPS)' : '';
	return new TransportError(
		'tlsHandshake',
		`The ${endpoint.protocol} server on port ${endpoint.port} of ${endpoint.host} expects TLS from the first byte${kind}: ` +
			`set ${c.field} to ${c.tlsFirst}.`,
		{ endpoint, code: 'TLS_FIRST_PORT' },
	);
}

/** The port starts in plain text, the credential chose SSL/TLS / implicit FTPS. */
export function plainTextPortError(endpoint: Endpoint, code?: string): TransportError {
	const c = choicesOf(endpoint);
	const choice = endpoint.protocol === 'FTP' ? `${c.plainFirst} (explicit FTPS, AUTH TLS)` : c.plainFirst;
	const other = endpoint.protocol === 'FTP' ? 'implicit FTPS' : c.tlsFirst;
	return new TransportError(
		'tlsHandshake',
		`TLS handshake with ${endpoint.host}:${endpoint.port} failed: the ${endpoint.protocol} server on this port starts in plain text: ` +
			`set ${c.field} to ${choice}, or use the port for ${other} (usually ${c.tlsPort}).`,
		{ endpoint, code },
	);
}

/**
 * Whether the server at host:port answers a TLS ClientHello with TLS (a handshake, or a TLS alert): the port
 * speaks TLS from the first byte. False for a plain-text answer, silence until the limit, or a closed
 * connection. `cancel` ends the probe early (answer: false).
 */
export function probeTlsFirst(host: string, port: number): { answer: Promise<boolean>; cancel(): void } {
	let finish: (answer: boolean) => void = () => undefined;
	const answer = new Promise<boolean>((resolve) => {
		// only a hello is sent and the connection closed after the answer: the certificate is not what is asked
		const socket = tls.connect({ host, port, rejectUnauthorized: false, ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }) });
		const timer = setTimeout(() => finish(false), PROBE_LIMIT_MS);
		finish = (result) => {
			clearTimeout(timer);
			socket.destroy();
			resolve(result);
		};
		socket.once('secureConnect', () => finish(true));
		// an alert is TLS too (e.g. no common protocol version); "wrong version number" is a plain-text answer
		socket.once('error', (error: Error) => finish(/\balert\b/i.test(error.message)));
		socket.once('close', () => finish(false));
	});
	return { answer, cancel: () => finish(false) };
}

/**
 * Runs a plain (or STARTTLS / explicit FTPS) connect, `connecting`, and if it has not settled after
 * `PROBE_AFTER_MS` and nothing has arrived on its socket (`socketOf`), probes the port: a port that speaks TLS first ends the connect (`abort`) with
 * `tlsFirstPortError`. Otherwise the connect's own outcome counts.
 */
export async function connectUnlessTlsFirst<T>(
	endpoint: Endpoint,
	connecting: Promise<T>,
	abort: () => void,
	socketOf: () => Socket | undefined,
): Promise<T> {
	let probe: ReturnType<typeof probeTlsFirst> | undefined;
	let timer: NodeJS.Timeout | undefined;
	const mismatch = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => {
			// a greeting (any byte) came: the port does not speak TLS first, however slow the login
			if ((socketOf()?.bytesRead ?? 0) > 0) return;
			probe = probeTlsFirst(endpoint.host, endpoint.port);
			void probe.answer.then((tlsFirst) => {
				if (!tlsFirst) return;
				// the aborted connect fails too (handled by the race below); its fault is the one described here
				reject(tlsFirstPortError(endpoint));
				abort();
			});
		}, PROBE_AFTER_MS);
	});
	try {
		return await Promise.race([connecting, mismatch]);
	} finally {
		clearTimeout(timer);
		probe?.cancel();
	}
}

/**
 * The same check on a socket a library reads from (nodemailer's `getSocket`): if nothing has arrived on it
 * after `PROBE_AFTER_MS`, the port is probed, and a port that speaks TLS first ends the socket with
 * `tlsFirstPortError` — the library reports that error as the connection's.
 */
export function watchForTlsFirstPort(socket: Socket, endpoint: Endpoint): void {
	let probe: ReturnType<typeof probeTlsFirst> | undefined;
	const timer = setTimeout(() => {
		if (socket.bytesRead > 0 || socket.destroyed) return;
		probe = probeTlsFirst(endpoint.host, endpoint.port);
		void probe.answer.then((tlsFirst) => {
			if (tlsFirst && socket.bytesRead === 0 && !socket.destroyed) socket.destroy(tlsFirstPortError(endpoint));
		});
	}, PROBE_AFTER_MS);
	socket.once('close', () => {
		clearTimeout(timer);
		probe?.cancel();
	});
}
