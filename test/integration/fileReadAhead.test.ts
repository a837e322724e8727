/**
 * The consumer's read ahead over a real FTP session (vsftpd, through a proxy that notes the commands in the order
 * they reach the server): the next window is downloaded while a window is claimed, the claimed files are checked
 * (SIZE) once those downloads are done, and the window after that is downloaded only then — so the session keeps
 * working while the record is written, and at most three windows are read and not yet judged.
 */
import { consumeFiles, type FileClaim, type FileClaims } from '../../nodes/shared/fileConsumer';
import { FingerprintStore } from '../../nodes/shared/transports/fingerprints';
import { ftpFileSource, type RemoteFile } from '../../nodes/shared/transports/ftpSource';
import { FtpWatchProxy } from '../helpers/ftpWatchProxy';
import { put, remoteDirectory, removeRemoteDirectories, sourceOptions } from '../helpers/remoteFiles';
import { ftpCredentialsFor } from '../helpers/servers';


/** Runs of equal neighbours as `name×count`: RETR RETR SIZE → `RETR×2`, `SIZE×1`. */
function runsOf(events: readonly string[]): string[] {
	const runs: Array<[string, number]> = [];
	for (const e of events) {
		const last = runs.at(-1);
		if (last && last[0] === e) last[1]++;
		else runs.push([e, 1]);
	}
	return runs.map(([e, n]) => `${e}×${n}`);
}

afterAll(() => removeRemoteDirectories());

it('downloads the next window while a window is claimed, checks it after those downloads, and reads no third window ahead', async () => {
	const dir = remoteDirectory('ftp', 'read-ahead');
	// windows of 16, 32, 64 and 8 files
	for (let i = 1; i <= 120; i++) put(dir.local, `f${String(i).padStart(3, '0')}.xml`, `<x>${i}</x>`);
	const proxy = await new FtpWatchProxy().start();
	// a record that takes its time, as n8n's database may
	const claims: FileClaims<RemoteFile> = {
		claim: async (files) => {
			await new Promise((resolve) => setTimeout(resolve, 30));
			return files.map((): FileClaim => 'mine');
		},
		settled: async () => undefined,
		forget: async () => undefined,
	};
	const decided: string[] = [];
	try {
		const report = await consumeFiles(ftpFileSource({ ...ftpCredentialsFor({ protocol: 'ftp' }), port: proxy.port }, sourceOptions(dir.remote, { afterImport: 'keep' }), new FingerprintStore({})), {
			claims,
			decide: (file) => {
				decided.push(file.name);
				return { action: 'commit', result: undefined };
			},
			settle: () => undefined,
		});
		expect(report.stop).toBeUndefined();
		expect(report.counts.settled).toBe(120);
	} finally {
		await proxy.stop();
	}
	expect(decided).toHaveLength(120);
	// window 2's downloads go out with window 1's claim, its SIZEs after them; window 3's only after those SIZEs (the
	// last two windows' SIZEs meet: nothing is read between them)
	expect(runsOf(proxy.events.filter((e) => e === 'RETR' || e === 'SIZE'))).toEqual(['RETR×48', 'SIZE×16', 'RETR×64', 'SIZE×32', 'RETR×8', 'SIZE×72']);
});
