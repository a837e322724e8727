/**
 * The FTP transport notices a dead session at once: a vsftpd session whose command process dies mid-download
 * (its privileged parent then writes a plain-text "500 OOPS" onto the TLS connection and exits).
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';

import { ftpStep, withFtpClient } from '../../nodes/shared/transports/ftp';
import { TransportError } from '../../nodes/shared/transports/transportError';
import { ftpCredentialsFor, loadServers } from '../helpers/servers';

const servers = loadServers();

/** The server-side processes holding the TCP connection whose client port is `clientPort` (by socket inode). */
function sessionProcesses(clientPort: number): number[] {
	const port = `:${clientPort.toString(16).toUpperCase().padStart(4, '0')}`;
	const inodes = new Set<string>();
	for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
		const fields = line.trim().split(/\s+/);
		// the server's end of the connection: its remote address is the client's port
		if (fields.length > 9 && fields[2].endsWith(port)) inodes.add(fields[9]);
	}
	const holders: number[] = [];
	for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)) {
		if (pid === process.pid) continue;
		try {
			const sockets = readdirSync(`/proc/${pid}/fd`).map((fd) => /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]);
			if (sockets.some((inode) => inode !== undefined && inodes.has(inode))) holders.push(pid);
		} catch {
			// not ours to read, or gone
		}
	}
	return holders;
}

describe('FTP transport: a dead session', () => {
	it('ends a download within a second when the session process that serves it dies, instead of waiting for good', async () => {
		const dir = path.join(servers.ftp.home, `transport-${Date.now()}`);
		mkdirSync(dir, { recursive: true });
		writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(50 * 1024 * 1024));
		let killedAt = 0;
		let killed: number | undefined;
		const failure = await withFtpClient(ftpCredentialsFor({ protocol: 'ftpsExplicit' }), async (client) => {
			const holders = sessionProcesses((client.ftp.socket as { localPort?: number }).localPort ?? 0);
			// the newest holder runs the commands as the FTP user; its parents stay until they notice
			killed = Math.max(...holders);
			// a slow destination keeps the transfer running until the process is gone; the kill comes once the
			// first bytes of the file have arrived (a defined position: the transfer runs), not after a guessed time
			let flowing: () => void = () => {};
			const transferRuns = new Promise<void>((resolve) => (flowing = resolve));
			const slow = new Writable({
				write: (_chunk, _encoding, done) => {
					flowing();
					setTimeout(done, 1);
				},
			});
			const download = ftpStep(client, async () => await client.downloadTo(slow, `/${path.basename(dir)}/big.bin`));
			await Promise.race([transferRuns, download]);
			killedAt = Date.now();
			process.kill(killed, 'SIGKILL');
			return await download.then(
				() => undefined,
				(error: unknown) => error,
			);
		}).catch((error: unknown) => error);
		expect(killed).toBeGreaterThan(1);
		expect(failure).toBeInstanceOf(Error);
		const noticedMs = Date.now() - killedAt;
		// a socket time-out would be 20 s here; basic-ftp alone (under jest) never settles this download
		expect(noticedMs).toBeLessThan(5_000);
		if (failure instanceof TransportError) expect(failure.kind).toBe('connectionLost');
	}, 60_000);
});
