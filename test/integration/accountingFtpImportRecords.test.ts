/**
 * Keep and Remember across processes, as n8n's queue mode runs it: what the Accounting FTP Import imported and
 * keeps is recorded in n8n's processed-data store on PostgreSQL (a fresh database migrated by n8n), at the moment
 * of each import, under an advisory lock in that database; each execution runs in a process of its own (two
 * workers) with n8n's DB_* variables; real vsftpd. The workflow's static data is what each execution starts
 * from, as n8n loads it — not shared between the processes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { useN8nPostgres } from '../helpers/n8nPostgres';
import { FtpControlProxy } from '../helpers/ftpControlProxy';
import { NodeProcess } from '../helpers/nodeProcess';
import { camtWithAmount, fileServerCredentials, ls, put, remoteDirectory, removeRemoteDirectories, savedImport, type RemoteDirectory } from '../helpers/remoteFiles';
import { loadServers, n8nCredentialData } from '../helpers/servers';
import type { RunnerWorkflow } from '../helpers/workflowRunner';

const RUN = `AFR${Date.now().toString(36)}`;
afterAll(removeRemoteDirectories);

const credentials = (port?: number) => ({
	backofficeFtpApi: n8nCredentialData(fileServerCredentials('ftp', port ? { protocol: 'ftp', port } : {})),
});

/** The saved workflow `id` with one import node (version 2) keeping and remembering the files of `dir`. */
function keepingImport(id: string, dir: RemoteDirectory, staticData: IDataObject = {}): RunnerWorkflow {
	return savedImport(id, { directory: dir.remote, afterImport: 'keep' }, { 'node:Import': staticData });
}

/** One execution (as a trigger's) in `worker`: the amounts of its payments, its errors, its static data. */
async function execution(worker: NodeProcess, workflow: RunnerWorkflow, port?: number): Promise<{ amounts: string[]; errors: IDataObject[]; staticData: IDataObject }> {
	const run = await worker.run(workflow, 'Import', 2, credentials(port), { mode: 'trigger' });
	return { amounts: run.outputs[0].map((p) => String(p.amount)), errors: run.outputs[1], staticData: (run.staticData['node:Import'] ?? {}) as IDataObject };
}

/** `count` payment files p1.xml … with the amounts 1.00 … */
function paymentFiles(label: string, count: number): { dir: RemoteDirectory; amounts: string[] } {
	const dir = remoteDirectory('ftp', label);
	const amounts = Array.from({ length: count }, (_, i) => `${i + 1}.00`);
	amounts.forEach((amount, i) => put(dir.local, `p${i + 1}.xml`, camtWithAmount(amount)));
	return { dir, amounts };
}

const sorted = (amounts: string[]) => [...amounts].sort((a, b) => Number(a) - Number(b));

describe('Accounting FTP Import, Keep and Remember across processes (PostgreSQL, as in queue mode)', () => {
	let restore = () => undefined as void;
	/** two worker-like processes for the whole file (a process's first run loads and compiles the package) */
	let workers: NodeProcess[] = [];
	beforeAll(async () => {
		restore = await useN8nPostgres(`import_${RUN.toLowerCase()}`);
		workers = [new NodeProcess(), new NodeProcess()];
		// warmed up (modules, TLS, n8n's database) on a directory of their own, so that both start the same moment
		const warm = paymentFiles('keep-warm', 1);
		await Promise.all(workers.map(async (w, i) => await execution(w, keepingImport(`wf-${RUN}-warm${i}`, warm.dir))));
	}, 300_000);
	afterAll(async () => {
		await Promise.all(workers.map(async (w) => await w.stop()));
		restore();
	});

	it('imports each of 60 payment files exactly once when two executions in two processes keep and remember them at the same time', async () => {
		const { dir, amounts } = paymentFiles('keep-two', 60);
		const id = `wf-${RUN}-two`;
		const started = Date.now();
		// both start from the same saved workflow (empty static data), as two executions of one schedule would
		const [a, b] = await Promise.all(workers.map(async (w) => await execution(w, keepingImport(id, dir))));
		const seconds = (Date.now() - started) / 1000;
		console.log(`two processes, 60 kept files: ${a.amounts.length} + ${b.amounts.length} imported in ${seconds.toFixed(1)} s`);
		// counted by the documents: every payment once, none twice, none lost
		expect(sorted([...a.amounts, ...b.amounts])).toEqual(amounts);
		expect([...a.errors, ...b.errors]).toEqual([]);
		// kept: every file still there
		expect(ls(dir.local)).toHaveLength(60);
		// a third execution in either process, from either one's static data, imports nothing
		const again = await Promise.all([execution(workers[0], keepingImport(id, dir, b.staticData)), execution(workers[1], keepingImport(id, dir))]);
		expect(again.map((r) => r.amounts)).toEqual([[], []]);
	}, 600_000);

	it('an upgrade imports nothing twice: the files the static data of earlier versions remembered are recorded once, and an execution that starts without them imports none', async () => {
		const { dir, amounts } = paymentFiles('keep-upgrade', 5);
		// what version 0.x left in the node's static data after importing and keeping the five files
		const now = Math.floor(Date.now() / 1000);
		const importedFiles = amounts.map((_, i) => {
			const bytes = readFileSync(path.join(dir.local, `p${i + 1}.xml`));
			return { p: `${dir.remote}p${i + 1}.xml`, s: bytes.length, m: new Date().toISOString(), h: createHash('sha256').update(bytes).digest('hex'), r: 'kept', i: now, t: now };
		});
		const id = `wf-${RUN}-upgrade`;
		const [first, second] = workers;
		const upgraded = await execution(first, keepingImport(id, dir, { importedFiles }));
		expect(upgraded.amounts).toEqual([]);
		expect(upgraded.staticData.importedFilesRecorded).toBe(true);
		// an execution that started from static data without them (a manual run, a concurrent execution whose save won)
		const withoutStaticData = await execution(second, keepingImport(id, dir));
		expect(withoutStaticData.amounts).toEqual([]);
		expect(withoutStaticData.errors).toEqual([]);
		// the same files in a workflow that never imported them: all five (what stopped the others is the record)
		const other = await execution(second, keepingImport(`wf-${RUN}-other`, dir));
		expect(sorted(other.amounts)).toEqual(amounts);
	}, 600_000);

	it('a run that read files before another run imported, deleted them and ended does not import them again: its claims come late, and it finds the files gone', async () => {
		const { dir, amounts } = paymentFiles('stale-read', 3);
		const id = `wf-${RUN}-stale`;
		const deleting = () => savedImport(id, { directory: dir.remote, afterImport: 'delete' });
		const s = loadServers();
		const retrs = (seen: readonly string[]) => seen.filter((c) => c.startsWith('RETR')).length;
		let other: Awaited<ReturnType<typeof execution>> | undefined;
		// the late run has downloaded p1 and p2 (the reply to the 2nd RETR held, the window not yet claimed) when
		// the other run, in another process, imports all three, deletes them at its execution's end, and ends
		const proxy = await new FtpControlProxy({ host: s.host, port: s.ftp.port }, (command, seen) => command.startsWith('RETR') && retrs(seen) === 2, {
			whileHeld: async () => void (other = await execution(workers[1], deleting())),
			afterHold: 'release',
		}).start();
		let late: Awaited<ReturnType<typeof execution>>;
		try {
			late = await execution(workers[0], deleting(), proxy.port);
		} finally {
			await proxy.stop();
		}
		if (!other) throw new Error(`the other run did not run while the 2nd download was held (${retrs(proxy.commands)} RETR)`);
		console.log(`late run: ${late.amounts.length} imported; the other run: ${other.amounts.length}`);
		expect(sorted(other.amounts)).toEqual(amounts);
		expect(late.amounts).toEqual([]);
		expect(late.errors).toEqual([]);
		expect(ls(dir.local)).toEqual([]);
	}, 600_000);

	it('a process killed (SIGKILL) while the reply to its 18th download is held: the 16 files it claimed (one window) never reached its workflow, so the next run in another process imports all 20, and a run after that none', async () => {
		const { dir, amounts } = paymentFiles('keep-kill', 20);
		const id = `wf-${RUN}-kill`;
		const first = new NodeProcess();
		const s = loadServers();
		const retrs = (seen: readonly string[]) => seen.filter((c) => c.startsWith('RETR')).length;
		// the kill lands at a protocol position: the first window's 16 files downloaded and claimed (the next window is
		// read only once they are), their payments held; the 17th downloaded, the reply to the 18th RETR held
		const proxy = await new FtpControlProxy({ host: s.host, port: s.ftp.port }, (command, seen) => command.startsWith('RETR') && retrs(seen) === 18, {
			whileHeld: async () => await first.stop(),
		}).start();
		let finished = false;
		try {
			await first.ready;
			const running = execution(first, keepingImport(id, dir), proxy.port).then(
				() => (finished = true),
				() => undefined,
			);
			await Promise.race([first.exited, running]);
		} finally {
			await first.stop();
			await proxy.stop();
		}
		if (proxy.cuts !== 1 || finished) throw new Error(`the kill was not placed at the 18th download: ${proxy.cuts} cut(s), ${retrs(proxy.commands)} RETR${finished ? ', and the run finished first' : ''}`);
		const second = workers[0];
		const started = Date.now();
		const next = await execution(second, keepingImport(id, dir));
		console.log(`killed at the 18th download; the next run in another process imported ${next.amounts.length} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		expect(sorted(next.amounts)).toEqual(amounts);
		expect(next.errors).toEqual([]);
		expect((await execution(second, keepingImport(id, dir))).amounts).toEqual([]);
	}, 600_000);
});
