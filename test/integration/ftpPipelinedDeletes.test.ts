/**
 * The commits at an execution's end over FTP (FtpSource.commitEach): the DELEs of a chunk go out in one write and
 * their replies are matched in order — against vsftpd, over plain FTP and explicit FTPS, with a chunk boundary
 * crossed, a file another client took meanwhile (gone), refusals (a directory without write right), and a session
 * cut while a chunk is on its way (through the fault proxy): every file of that chunk without a reply is
 * remembered, the later chunks are not touched.
 */
import { chmodSync, rmSync } from 'node:fs';
import path from 'node:path';

import type { Fingerprint } from '../../nodes/shared/transports/fingerprints';
import { FingerprintStore } from '../../nodes/shared/transports/fingerprints';
import type { FtpCredentials } from '../../nodes/shared/transports/ftp';
import { ftpFileSource, type RemoteFile } from '../../nodes/shared/transports/ftpSource';
import type { CommitOutcome } from '../../nodes/shared/transports/fileSource';
import { FaultProxy } from '../faults/harness/faultProxy';
import { ls, put, remoteDirectory, removeRemoteDirectories, sourceOptions } from '../helpers/remoteFiles';
import { ftpCredentialsFor, loadServers } from '../helpers/servers';

const servers = loadServers();


const names = (n: number) => Array.from({ length: n }, (_, i) => `f${String(i + 1).padStart(3, '0')}.xml`);

/** Lists the directory over one session and commits every listed file with `commitEach`; `before` runs in between. */
async function commitAll(
	credentials: FtpCredentials,
	directory: string,
	before: () => void = () => undefined,
): Promise<{ outcomes: Array<CommitOutcome | undefined>; files: RemoteFile[]; remembered: Fingerprint[]; lost: boolean }> {
	const data: Record<string, unknown> = {};
	const store = new FingerprintStore(data);
	return await ftpFileSource(credentials, sourceOptions(directory), store)(async (source) => {
		await source.open();
		const files = (await source.list()).ready;
		before();
		const outcomes = await source.commitEach!(files.map((file) => ({ file, sha256: 'a'.repeat(64) })));
		const remembered = files.flatMap((f) => store.candidates(f.path, f.size));
		return { outcomes, files, remembered, lost: source.lost !== undefined };
	});
}

afterAll(() => removeRemoteDirectories());

describe('FTP: the DELEs at an execution end, pipelined', () => {
	it.each(['ftp', 'ftpsExplicit'] as const)('deletes 150 files over %s in chunks, a file taken meanwhile reported gone', async (protocol) => {
		const dir = remoteDirectory('ftp', `pipelined-${protocol}`);
		for (const name of names(150)) put(dir.local, name, `<x>${name}</x>`);
		const { outcomes, files } = await commitAll(ftpCredentialsFor({ protocol }), dir.remote, () => rmSync(path.join(dir.local, 'f070.xml')));
		expect(files).toHaveLength(150);
		expect(outcomes).toHaveLength(150);
		expect(outcomes[69]).toEqual({ kind: 'gone' });
		expect(outcomes.filter((o) => o?.kind === 'deleted')).toHaveLength(149);
		expect(ls(dir.local)).toEqual([]);
	});

	it('remembers every file whose DELE the server refused, and leaves it', async () => {
		const dir = remoteDirectory('ftp', 'pipelined-refused');
		for (const name of names(3)) put(dir.local, name, `<x>${name}</x>`);
		chmodSync(dir.local, 0o555);
		try {
			const { outcomes, remembered } = await commitAll(ftpCredentialsFor({ protocol: 'ftp' }), dir.remote);
			expect(outcomes.map((o) => o?.kind)).toEqual(['remembered', 'remembered', 'remembered']);
			expect(outcomes[0]).toMatchObject({ reason: expect.stringContaining('refused to delete') });
			expect(remembered.map((f) => f.r)).toEqual(['stuck', 'stuck', 'stuck']);
		} finally {
			chmodSync(dir.local, 0o777);
		}
		expect(ls(dir.local)).toEqual(names(3));
	});

	it('remembers the whole chunk on its way when the session is cut at one of its DELEs, and touches no later chunk', async () => {
		const dir = remoteDirectory('ftp', 'pipelined-cut');
		for (const name of names(100)) put(dir.local, name, `<x>${name}</x>`);
		// the 10th DELE reaches vsftpd (the file is deleted), its reply never reaches the client; the replies before it do
		const proxy = await new FaultProxy({ host: servers.host, port: servers.ftp.port }, 'ftp').start();
		try {
			proxy.arm({ point: 'afterCommand', match: /^DELE /, at: 10 });
			const { outcomes, lost } = await commitAll({ ...ftpCredentialsFor({ protocol: 'ftp' }), port: proxy.port }, dir.remote);
			expect((await proxy.settle())?.hit).toBe(true);
			expect(lost).toBe(true);
			expect(outcomes.slice(0, 9).map((o) => o?.kind)).toEqual(Array(9).fill('deleted'));
			// the first chunk's files from the cut one on: their delete may or may not have happened
			expect(outcomes.slice(9).map((o) => o?.kind)).toEqual(Array(64 - 9).fill('remembered'));
		} finally {
			await proxy.stop();
		}
		const left = ls(dir.local);
		expect(left).not.toContain('f010.xml');
		// the second chunk was never sent
		expect(left.slice(-36)).toEqual(names(100).slice(64));
	});
});
