/**
 * The SFTP transport against the real OpenSSH sshd of the test servers (scripts/test-servers.sh): logins with
 * password and keys, the host key check, faults in plain words without secrets, Check Access, the sink.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import type { ICredentialsDecrypted, ICredentialTestFunctions } from 'n8n-workflow';

import { credentialTest } from '../../nodes/shared/credentials';
import { hostKeyFingerprint, normaliseFingerprint, testSftpConnection, withSftpSession, type SftpCredentials } from '../../nodes/shared/transports/sftp';
import { checkSftpAccess } from '../../nodes/shared/transports/sftpAccess';
import { sftpFileSink } from '../../nodes/shared/transports/sftpSink';
import { TransportError } from '../../nodes/shared/transports/transportError';
import { withConnectTimeout } from '../helpers/connectTimeout';
import { loadServers, n8nCredentialData, sftpCredentialsFor } from '../helpers/servers';

const servers = loadServers();
const WRONG_FINGERPRINT = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

const created: string[] = [];
afterAll(() => {
	for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory in the SFTP users' login directory; its path as the users see it. */
function sftpDirectory(label: string, mode = 0o777): { local: string; remote: string } {
	const name = `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
	const local = path.join(servers.sftp.home, name);
	created.push(local);
	mkdirSync(local, { recursive: true });
	chmodSync(local, mode);
	return { local, remote: `${servers.sftp.loginDirectory}/${name}` };
}

async function connectError(c: SftpCredentials): Promise<TransportError> {
	const error = await testSftpConnection(c).then(
		() => undefined,
		(e: unknown) => e,
	);
	if (!(error instanceof TransportError)) throw new Error(`expected a TransportError, got ${String(error)}`);
	return error;
}

function expectNoSecret(text: string, c: SftpCredentials): void {
	for (const secret of [c.password, c.passphrase]) if (secret) expect(text).not.toContain(secret);
	expect(text).not.toContain('PRIVATE KEY');
}

describe('SFTP: logging in', () => {
	it('logs in with a password and lands in the chrooted login directory, host key verified', async () => {
		const message = await testSftpConnection(sftpCredentialsFor('password'));
		expect(message).toContain(`as ${servers.sftp.passwordUser.user}`);
		expect(message).toContain(`host key ${servers.sftp.hostKeyFingerprint} verified`);
		expect(message).toContain('working directory /files');
	});

	it('logs in with an OpenSSH ed25519 key and its passphrase, and with an RSA key in PEM form', async () => {
		expect(await testSftpConnection(sftpCredentialsFor('openSshKey'))).toContain(servers.sftp.keyUser.user);
		expect(await testSftpConnection(sftpCredentialsFor('pemKey'))).toContain(servers.sftp.keyUser.user);
	});

	it('says plainly that user, password or key are wrong, and never shows the password, key or passphrase', async () => {
		const wrongPassword = sftpCredentialsFor('password', { password: 'not-the-Secret-42' });
		const e1 = await connectError(wrongPassword);
		expect(e1.kind).toBe('authentication');
		expect(e1.message).toMatch(/Wrong user, password or key/);
		expectNoSecret(e1.message, wrongPassword);

		// the key user may not log in with a password, the password user not with a key
		const keyForPasswordUser = sftpCredentialsFor('openSshKey', { user: servers.sftp.passwordUser.user });
		expect((await connectError(keyForPasswordUser)).kind).toBe('authentication');

		const wrongPassphrase = sftpCredentialsFor('openSshKey', { passphrase: 'wrong-passphrase-77' });
		const e3 = await connectError(wrongPassphrase);
		expect(e3.kind).toBe('authentication');
		expect(e3.message).toMatch(/private key cannot be used/);
		expectNoSecret(e3.message, wrongPassphrase);
	});
});

describe('SFTP: the host key', () => {
	it('prints the fingerprint as ssh-keygen does, and takes it as users paste it', () => {
		const blob = Buffer.from(readFileSync(path.join(servers.dir, 'sftp/host_ed25519.pub'), 'utf8').split(' ')[1], 'base64');
		expect(hostKeyFingerprint(blob)).toBe(servers.sftp.hostKeyFingerprint);
		const bare = servers.sftp.hostKeyFingerprint.slice('SHA256:'.length);
		expect(normaliseFingerprint(bare)).toBe(servers.sftp.hostKeyFingerprint);
		expect(normaliseFingerprint(`${bare}=`)).toBe(servers.sftp.hostKeyFingerprint);
		expect(normaliseFingerprint(`256 ${servers.sftp.hostKeyFingerprint} [127.0.0.1]:22 (ED25519)`)).toBe(servers.sftp.hostKeyFingerprint);
		expect(normaliseFingerprint('MD5:12:34')).toBeUndefined();
	});

	it('refuses a server whose key differs from the pinned one, showing the key it presented, before sending the password', async () => {
		const before = readFileSync(servers.sftp.log, 'utf8').length;
		const error = await connectError(sftpCredentialsFor('password', { hostKeyFingerprint: WRONG_FINGERPRINT }));
		expect(error.code).toBe('HOST_KEY_MISMATCH');
		expect(error.kind).toBe('hostKey');
		expect(error.message).toContain(`presented the host key ${servers.sftp.hostKeyFingerprint}`);
		expect(error.message).toContain(`not the pinned ${WRONG_FINGERPRINT}`);
		// sshd saw no login attempt at all: the password never left n8n
		expect(readFileSync(servers.sftp.log, 'utf8').slice(before)).not.toMatch(/password for/);
	});

	it('refuses an unknown host key when nothing is pinned, showing the fingerprint to pin', async () => {
		const error = await connectError(sftpCredentialsFor('password', { hostKeyFingerprint: undefined }));
		expect(error.code).toBe('HOST_KEY_UNKNOWN');
		expect(error.message).toContain(servers.sftp.hostKeyFingerprint);
		expect(error.message).toMatch(/ssh-keyscan/);
	});

	it('connects to any host key only when that is switched on explicitly, and says so', async () => {
		const message = await testSftpConnection(sftpCredentialsFor('password', { hostKeyFingerprint: WRONG_FINGERPRINT, acceptAnyHostKey: true }));
		expect(message).toMatch(/host key NOT checked/);
	});

	it('refuses a fingerprint field that holds no SHA256 fingerprint, instead of ignoring it', async () => {
		const error = await connectError(sftpCredentialsFor('password', { hostKeyFingerprint: 'MD5:aa:bb:cc' }));
		expect(error.code).toBe('HOST_KEY_FORMAT');
	});
});

describe('SFTP: network faults in plain words', () => {
	it('host not found, refused, time-out', async () => {
		expect((await connectError(sftpCredentialsFor('password', { host: 'no-such-host.invalid' }))).kind).toBe('hostNotFound');

		const closed = net.createServer();
		await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
		const freePort = (closed.address() as net.AddressInfo).port;
		await new Promise((r) => closed.close(r));
		const refused = await connectError(sftpCredentialsFor('password', { port: freePort }));
		expect(refused.kind).toBe('refused');
		expect(refused.message).toMatch(/no SFTP server answers/);

		// a server that accepts the connection and then says nothing
		const silent = net.createServer(() => undefined);
		await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
		try {
			const started = Date.now();
			const port = (silent.address() as net.AddressInfo).port;
			const timeout = await withConnectTimeout(2000, () => connectError(sftpCredentialsFor('password', { port })));
			expect(timeout.kind).toBe('timeout');
			// bounded by the connect time-out, not by the socket's (20 s here, 120 s in production)
			expect(Date.now() - started).toBeLessThan(12_000);
		} finally {
			silent.close();
		}
	});

	it('the credential test of the node answers OK or the fault, never with a secret', async () => {
		const run = (c: SftpCredentials) =>
			credentialTest.backofficeFtpApiTest.call({} as ICredentialTestFunctions, {
				id: 'x',
				name: 'SFTP',
				type: 'backofficeFtpApi',
				data: n8nCredentialData(c),
			} as ICredentialsDecrypted);
		expect(await run(sftpCredentialsFor('openSshKey'))).toMatchObject({ status: 'OK' });
		const wrong = sftpCredentialsFor('password', { password: 'Secret-in-a-test-99' });
		const result = await run(wrong);
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/Wrong user, password or key/);
		expectNoSecret(result.message, wrong);
	});
});

describe('SFTP: Check Access and the sink', () => {
	it('confirms read, write and delete rights and leaves no probe file behind', async () => {
		const dir = sftpDirectory('access');
		writeFileSync(path.join(dir.local, 'a.sta'), 'x');
		const report = await checkSftpAccess(sftpCredentialsFor('password'), dir.remote);
		expect(report).toMatchObject({ ok: true, canList: true, canWrite: true, canDelete: true, files: 1, missingRights: [] });
		expect(require('node:fs').readdirSync(dir.local)).toEqual(['a.sta']);
	});

	it('names the missing write right of a read-only directory', async () => {
		const dir = sftpDirectory('readonly', 0o755);
		const report = await checkSftpAccess(sftpCredentialsFor('openSshKey'), dir.remote);
		expect(report.ok).toBe(false);
		expect(report.canList).toBe(true);
		expect(report.missingRights).toEqual(['write']);
		expect(report.message).toMatch(/Missing right\(s\): write/);
	});

	it('delivers under a temporary name and renames, replacing an older version; a missing directory is not created', async () => {
		const dir = sftpDirectory('sink');
		writeFileSync(path.join(dir.local, 'order.xml'), 'old version');
		chmodSync(path.join(dir.local, 'order.xml'), 0o666);
		const written = await sftpFileSink(sftpCredentialsFor('pemKey'), dir.remote)(async (sink) => await sink.deliver('order.xml', Buffer.from('<new/>')));
		expect(written).toBe(`${dir.remote}/order.xml`);
		expect(readFileSync(path.join(dir.local, 'order.xml'), 'utf8')).toBe('<new/>');
		expect(existsSync(path.join(dir.local, 'order.xml.part'))).toBe(false);

		const missing = await sftpFileSink(sftpCredentialsFor('password'), `${dir.remote}/nope`)(async () => 'ran').catch((e: unknown) => e);
		expect(missing).toBeInstanceOf(TransportError);
		expect((missing as TransportError).kind).toBe('notFound');
		expect(existsSync(path.join(dir.local, 'nope'))).toBe(false);
	});

	it('keeps one session for a whole run: many commands, one login', async () => {
		const before = (readFileSync(servers.sftp.log, 'utf8').match(/Accepted password/g) ?? []).length;
		const dir = sftpDirectory('session');
		await withSftpSession(sftpCredentialsFor('password'), async (session) => {
			for (let i = 0; i < 20; i++) await session.writeFile(`${dir.remote}/f${i}.txt`, Buffer.from(String(i)));
			expect((await session.readdir(dir.remote)).length).toBe(20);
		});
		expect((readFileSync(servers.sftp.log, 'utf8').match(/Accepted password/g) ?? []).length).toBe(before + 1);
	});
});
