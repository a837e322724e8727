/**
 * The downloads of a file import over FTP (FtpSource.readEach → downloadTogether): per file an EPSV (or PASV)
 * and a RETR, all of a window's in one write, the replies matched in order and the data connections opened one
 * after the other — against vsftpd, over plain FTP and explicit FTPS (TLS session reused on each data
 * connection), with a file another client took after the listing (RETR refused), one that grew, one beyond the
 * size limit, a server without EPSV (PASV), a session that has made no transfer yet, and a session cut at one of
 * the RETRs (through the fault proxy): the files before the cut are read, the run learns the session is lost.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import type { FilesRead } from '../../nodes/shared/transports/fileSource';
import { FingerprintStore } from '../../nodes/shared/transports/fingerprints';
import type { FtpCredentials } from '../../nodes/shared/transports/ftp';
import { ftpFileSource, type RemoteFile } from '../../nodes/shared/transports/ftpSource';
import { TransportError } from '../../nodes/shared/transports/transportError';
import { FaultProxy } from '../faults/harness/faultProxy';
import { put, remoteDirectory, removeRemoteDirectories, sourceOptions } from '../helpers/remoteFiles';
import { ftpCredentialsFor, loadServers } from '../helpers/servers';
import { FtpWatchProxy } from '../helpers/ftpWatchProxy';

const servers = loadServers();


const names = (n: number) => Array.from({ length: n }, (_, i) => `f${String(i + 1).padStart(3, '0')}.xml`);
const contentOf = (name: string) => `<x>${name.repeat(40)}</x>`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Lists the directory over one session and reads every listed file with `readEach`; `before` runs in between. */
async function readAll(
	credentials: FtpCredentials,
	directory: string,
	before: () => void = () => undefined,
	maxFileBytes?: number,
): Promise<FilesRead & { files: RemoteFile[]; lost: boolean; answersAfter: boolean }> {
	const store = new FingerprintStore({});
	return await ftpFileSource(credentials, sourceOptions(directory, maxFileBytes === undefined ? {} : { maxFileBytes }), store)(async (source) => {
		await source.open();
		const files = (await source.list()).ready;
		before();
		const read = await source.readEach(files);
		const lost = source.lost !== undefined;
		return { ...read, files, lost, answersAfter: !lost && (await source.present(files.slice(0, 1))).length === 1 };
	});
}

afterAll(() => removeRemoteDirectories());

describe('FTP: the downloads of a window, sent together', () => {
	it.each(['ftp', 'ftpsExplicit'] as const)('reads 70 files over %s; a file taken after the listing and one that grew are left, the session goes on', async (protocol) => {
		const dir = remoteDirectory('ftp', `downloads-${protocol}`);
		for (const name of names(70)) put(dir.local, name, contentOf(name));
		const result = await readAll(ftpCredentialsFor({ protocol }), dir.remote, () => {
			rmSync(path.join(dir.local, 'f020.xml'));
			appendFileSync(path.join(dir.local, 'f050.xml'), 'more');
		});
		expect(result.error).toBeUndefined();
		expect(result.reads).toHaveLength(70);
		expect(result.reads[19]).toEqual({ kind: 'changed', reason: expect.stringContaining('the server refused the download') });
		expect(result.reads[49]).toEqual({ kind: 'changed', reason: expect.stringContaining('its size changed') });
		const contents = result.reads.flatMap((read, i) => (read.kind === 'content' ? [{ i, text: read.bytes.toString(), sha256: read.sha256 }] : []));
		expect(contents).toHaveLength(68);
		for (const { i, text, sha256: hash } of contents) {
			expect(text).toBe(contentOf(names(70)[i]));
			expect(hash).toBe(sha256(text));
		}
		expect(result.lost).toBe(false);
		expect(result.answersAfter).toBe(true);
	});

	it('sends every RETR of the window before the first file has been transferred', async () => {
		const dir = remoteDirectory('ftp', 'downloads-one-write');
		for (const name of names(20)) put(dir.local, name, contentOf(name));
		const proxy = await new FtpWatchProxy().start();
		try {
			const result = await readAll({ ...ftpCredentialsFor({ protocol: 'ftp' }), port: proxy.port }, dir.remote);
			expect(result.reads.map((r) => r.kind)).toEqual(Array(20).fill('content'));
		} finally {
			await proxy.stop();
		}
		const firstDone = proxy.events.indexOf('226', proxy.events.indexOf('RETR'));
		expect(proxy.events.slice(0, firstDone).filter((e) => e === 'RETR')).toHaveLength(20);
	});

	it('counts, but does not keep, the bytes of a file that grew beyond the size limit; the files after it are read', async () => {
		const dir = remoteDirectory('ftp', 'downloads-limit');
		for (const name of names(3)) put(dir.local, name, contentOf(name));
		const result = await readAll(ftpCredentialsFor({ protocol: 'ftp' }), dir.remote, () => appendFileSync(path.join(dir.local, 'f002.xml'), 'x'.repeat(5000)), 4096);
		expect(result.reads.map((r) => r.kind)).toEqual(['content', 'changed', 'content']);
		expect(result.reads[1]).toEqual({ kind: 'changed', reason: expect.stringMatching(/size changed from \d+ to \d+ bytes/) });
		expect(result.answersAfter).toBe(true);
	});

	it('uses PASV on a server that refuses EPSV, as basic-ftp found in the listing', async () => {
		const dir = remoteDirectory('ftp', 'downloads-pasv');
		for (const name of names(5)) put(dir.local, name, contentOf(name));
		const proxy = await new FtpWatchProxy({ refuseEpsv: true }).start();
		try {
			const result = await readAll({ ...ftpCredentialsFor({ protocol: 'ftp' }), port: proxy.port }, dir.remote);
			expect(result.error).toBeUndefined();
			expect(result.reads.map((r) => (r.kind === 'content' ? r.bytes.toString() : r.kind))).toEqual(names(5).map(contentOf));
		} finally {
			await proxy.stop();
		}
		// the listing's, then one per file
		expect(proxy.events.filter((e) => e === 'PASV')).toHaveLength(6);
	});

	it('finds out how to open data connections on a session that has made no transfer yet', async () => {
		const dir = remoteDirectory('ftp', 'downloads-no-listing');
		for (const name of names(3)) put(dir.local, name, contentOf(name));
		const credentials = ftpCredentialsFor({ protocol: 'ftp' });
		const { files } = await readAll(credentials, dir.remote, () => undefined);
		const result = await ftpFileSource(credentials, sourceOptions(dir.remote), new FingerprintStore({}))(async (source) => {
			await source.open();
			return await source.readEach(files);
		});
		expect(result.error).toBeUndefined();
		expect(result.reads.map((r) => (r.kind === 'content' ? r.bytes.toString() : r.kind))).toEqual(names(3).map(contentOf));
	});

	it('gives the files read before a session cut at one of the RETRs, and the cut as the error', async () => {
		const dir = remoteDirectory('ftp', 'downloads-cut');
		for (const name of names(10)) put(dir.local, name, contentOf(name));
		// the 5th RETR reaches vsftpd, its reply (and all after it) never reaches the client
		const proxy = await new FaultProxy({ host: servers.host, port: servers.ftp.port }, 'ftp').start();
		try {
			proxy.arm({ point: 'afterCommand', match: /^RETR /, at: 5 });
			const result = await readAll({ ...ftpCredentialsFor({ protocol: 'ftp' }), port: proxy.port }, dir.remote);
			expect((await proxy.settle())?.hit).toBe(true);
			expect(result.lost).toBe(true);
			expect(result.reads.map((r) => (r.kind === 'content' ? r.bytes.toString() : r.kind))).toEqual(names(4).map(contentOf));
			expect(result.error).toBeInstanceOf(TransportError);
			expect((result.error as TransportError).kind).toBe('connectionLost');
			expect((result.error as TransportError).message).toContain('f005.xml');
		} finally {
			await proxy.stop();
		}
	});
});
