/**
 * The SFTP hold itself (scripts/sftp-hold.c behind the test sshd, test/helpers/sftpHold.ts), with ssh2's SFTP
 * client against the real sshd: it holds exactly the armed reply (the request has been carried out, nothing
 * after it has reached the server), releases or drops it, says so when a fault could not be placed, and is
 * not there for sessions that start unarmed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { Client, type SFTPWrapper } from 'ssh2';

import { ls, put, remoteDirectory, removeRemoteDirectories } from '../helpers/remoteFiles';
import { loadServers } from '../helpers/servers';
import { faultWhileHeld, SFTP_REQUEST, SftpHold } from '../helpers/sftpHold';

const servers = loadServers();
afterAll(removeRemoteDirectories);

async function session(): Promise<{ sftp: SFTPWrapper; end: () => void }> {
	const client = new Client();
	const { user, password } = servers.sftp.passwordUser;
	await new Promise<void>((resolve, reject) =>
		client.once('ready', resolve).once('error', reject).connect({ host: servers.host, port: servers.sftp.port, username: user, password }),
	);
	const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((error, s) => (error ? reject(error) : resolve(s))));
	return { sftp, end: () => client.end() };
}

/** The command names of this state folder's sshd sessions' processes. */
function sshdDescendants(): string[] {
	const ours = new Set([Number(readFileSync(path.join(servers.dir, 'run/sshd.pid'), 'utf8').trim())]);
	const parents = new Map<number, { parent: number; name: string }>();
	for (const d of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
		try {
			const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
			const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
			parents.set(Number(d), { parent: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), name });
		} catch {
			// gone meanwhile
		}
	}
	const names: string[] = [];
	for (let grew = true; grew; ) {
		grew = false;
		for (const [pid, { parent, name }] of parents) {
			if (!ours.has(pid) && ours.has(parent)) {
				ours.add(pid);
				names.push(name);
				grew = true;
			}
		}
	}
	return names;
}

const unlink = (sftp: SFTPWrapper, file: string) => new Promise<void>((resolve, reject) => sftp.unlink(file, (error) => (error ? reject(error) : resolve())));

/** Four files, removed one after the other over one session. */
function fourFiles(label: string) {
	const dir = remoteDirectory('sftp', label);
	for (const f of ['a', 'b', 'c', 'd']) put(dir.local, `${f}.txt`, Buffer.from(f));
	const removeAll = async (sftp: SFTPWrapper) => {
		for (const f of ['a', 'b', 'c', 'd']) await unlink(sftp, `${dir.remote}${f}.txt`);
	};
	return { dir, removeAll };
}

describe('SFTP hold in the test sshd', () => {
	let hold: SftpHold;
	beforeEach(async () => (hold = await SftpHold.start()));
	afterEach(() => hold.stop());

	it('holds the reply to the armed REMOVE: that file is gone, nothing later has reached the server; release lets the session go on', async () => {
		const { dir, removeAll } = fourFiles('hold');
		hold.arm({ type: SFTP_REQUEST.REMOVE, nth: 2, pathPrefix: dir.remote });
		const { sftp, end } = await session();
		try {
			let seen: string[] = [];
			await faultWhileHeld(hold, 'the second REMOVE', removeAll(sftp), (held) => {
				expect(held.type).toBe(SFTP_REQUEST.REMOVE);
				seen = ls(dir.local);
			});
			expect(seen).toEqual(['c.txt', 'd.txt']);
			expect(ls(dir.local)).toEqual([]);
		} finally {
			end();
		}
	});

	it('drop: the held reply never arrives, the client sees its SFTP session end', async () => {
		const { dir, removeAll } = fourFiles('drop');
		hold.arm({ type: SFTP_REQUEST.REMOVE, nth: 3, pathPrefix: dir.remote });
		const { sftp, end } = await session();
		try {
			const run = removeAll(sftp);
			await hold.held();
			hold.drop();
			await expect(run).rejects.toThrow();
			expect(ls(dir.local)).toEqual(['d.txt']);
		} finally {
			end();
		}
	});

	it('counts only requests under the armed path, and says so when the fault could not be placed', async () => {
		const { dir, removeAll } = fourFiles('missed');
		hold.arm({ type: SFTP_REQUEST.REMOVE, nth: 1, pathPrefix: `${dir.remote}elsewhere/` });
		const { sftp, end } = await session();
		try {
			await expect(faultWhileHeld(hold, 'the first REMOVE elsewhere', removeAll(sftp), () => undefined)).rejects.toThrow(
				/the fault could not be placed: the run ended before the SFTP server's reply to the first REMOVE elsewhere was held/,
			);
			expect(ls(dir.local)).toEqual([]);
		} finally {
			end();
		}
	});

	it('is not in the way of a session that starts unarmed (sftp-server runs as it is)', async () => {
		const { dir, removeAll } = fourFiles('plain');
		const { sftp, end } = await session();
		try {
			// the session's SFTP server is sftp-server itself: the hold exec'd it, no relay stands between
			expect(sshdDescendants().filter((name) => name === 'nologin' || name === 'sftp-server')).toEqual(['sftp-server']);
			await removeAll(sftp);
			expect(ls(dir.local)).toEqual([]);
		} finally {
			end();
		}
	});
});
