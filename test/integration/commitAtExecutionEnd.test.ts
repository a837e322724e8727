/**
 * Version 2 of the Accounting FTP Import deletes or archives a file only once the execution that carries its
 * payments has ended (n8n's workflowExecuteAfter hook, run here by n8n-core's WorkflowExecute as in the server),
 * and records the file in n8n's processed-data store before, so that a file its delete left behind is never
 * imported again. The n8n process killed before that end is the end-to-end test's part (test/e2e/n8n-kill.test.ts).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { FaultProxy } from '../faults/harness/faultProxy';
import { ftpCredentialsFor, loadServers, n8nCredentialData } from '../helpers/servers';
import { processedDataCalls, processedDataWrites } from '../helpers/processedData';
import { camtWithAmount, savedImport } from '../helpers/remoteFiles';

const servers = loadServers();
function directoryWith(files: number): { local: string; remote: string } {
	const name = `at-end-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
	const local = path.join(servers.ftp.home, name);
	mkdirSync(local, { recursive: true });
	chmodSync(local, 0o777);
	for (let i = 1; i <= files; i++) {
		writeFileSync(path.join(local, `p${i}.xml`), camtWithAmount(`${i}.00`));
		chmodSync(path.join(local, `p${i}.xml`), 0o666);
	}
	return { local, remote: `/${name}/` };
}

const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

/** One execution of a saved workflow with the import node of `typeVersion` 2; static data as n8n keeps it. */
async function execution(
	saved: { id: string; staticData: IDataObject },
	parameters: IDataObject,
	port?: number,
): Promise<{ payments: string[]; errors: INodeExecutionData[] }> {
	const workflow = savedImport(saved.id, parameters, JSON.parse(JSON.stringify(saved.staticData)) as IDataObject);
	const ftp = { ...ftpCredentialsFor({ protocol: 'ftp' }), ...(port ? { port } : {}) };
	const result = await workflow.run('Import', { credentials: { backofficeFtpApi: n8nCredentialData(ftp) }, mode: 'trigger' });
	saved.staticData = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
	if (result.error) throw result.error;
	return { payments: result.output('Import', 0).map((i) => String(i.json.sourceFile)), errors: result.output('Import', 1) };
}

const savedWorkflow = () => ({ id: `test-at-end-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, staticData: {} as IDataObject });

describe('Accounting FTP Import, version 2: files deleted or archived once the execution has ended', () => {
	it('deletes, or archives under the name its items say, when the execution ends', async () => {
		const deleting = directoryWith(2);
		const run = await execution(savedWorkflow(), { directory: deleting.remote });
		expect(run.payments.sort()).toEqual(['p1.xml', 'p2.xml']);
		expect(run.errors).toEqual([]);
		expect(ls(deleting.local)).toEqual([]);

		const archiving = directoryWith(1);
		const saved = savedWorkflow();
		const workflow = savedImport(saved.id, { directory: archiving.remote, afterImport: 'archive', archiveDirectory: 'archiv/' });
		const result = await workflow.run('Import', { credentials: { backofficeFtpApi: n8nCredentialData(ftpCredentialsFor({ protocol: 'ftp' })) }, mode: 'trigger' });
		expect(result.output('Import', 0).map((i) => i.json.sourceFile)).toEqual(['p1.xml']);
		expect(ls(archiving.local)).toEqual(['archiv']);
		expect(ls(path.join(archiving.local, 'archiv'))).toEqual(['p1.xml']);
	});

	it("deletes at the end over the run's own session, kept open until then: one login per execution", async () => {
		const dir = directoryWith(20);
		const proxy = await new FaultProxy({ host: servers.host, port: servers.ftp.port }, 'ftp').start();
		try {
			const run = await execution(savedWorkflow(), { directory: dir.remote }, proxy.port);
			expect(run.payments).toHaveLength(20);
			expect(ls(dir.local)).toEqual([]);
			expect(proxy.accepted).toBe(1);
		} finally {
			await proxy.stop();
		}
	});

	it('logs in again at the end when the kept session no longer answers, and deletes every file once', async () => {
		const dir = directoryWith(20);
		const saved = savedWorkflow();
		const proxy = await new FaultProxy({ host: servers.host, port: servers.ftp.port }, 'ftp').start();
		// the check of the kept session is cut, as by a server that closed an idle session
		proxy.arm({ point: 'beforeCommand', match: /^NOOP/, at: 1 });
		try {
			const run = await execution(saved, { directory: dir.remote }, proxy.port);
			expect((await proxy.settle())?.hit).toBe(true);
			expect(run.payments).toHaveLength(20);
			expect(run.errors).toEqual([]);
			expect(ls(dir.local)).toEqual([]);
			expect(proxy.accepted).toBe(2);
		} finally {
			await proxy.stop();
		}
		expect((await execution(saved, { directory: dir.remote })).payments).toEqual([]);
	});

	it('claims and looks up the files of a window (16 files, then 32) in one call to n8n\'s store each, not one per file', async () => {
		const dir = directoryWith(40);
		const before = processedDataCalls.checkProcessedAndRecord ?? 0;
		const run = await execution(savedWorkflow(), { directory: dir.remote });
		const calls = (processedDataCalls.checkProcessedAndRecord ?? 0) - before;
		expect(run.payments.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `p${i + 1}.xml`).sort());
		expect(ls(dir.local)).toEqual([]);
		// two windows claimed (40 = 16 + 24) and the record written at the end of the execution; one per file: 41
		expect(calls).toBe(3);
	});

	it("finds what earlier executions imported and kept by reading n8n's database: a run over those files writes nothing to the store", async () => {
		const dir = directoryWith(3);
		const saved = savedWorkflow();
		const keep = { directory: dir.remote, afterImport: 'keep' };
		expect((await execution(saved, keep)).payments.sort()).toEqual(['p1.xml', 'p2.xml', 'p3.xml']);
		const before = processedDataWrites();
		// a manual run of the workflow: no static data, nor this process's memory of it (n8n saves neither for
		// manual runs) — the record alone says "imported"
		const manual = await savedImport(saved.id, keep).run('Import', { credentials: { backofficeFtpApi: n8nCredentialData(ftpCredentialsFor({ protocol: 'ftp' })) }, mode: 'manual' });
		expect(manual.error).toBeUndefined();
		expect([manual.output('Import', 0), manual.output('Import', 1)]).toEqual([[], []]);
		expect(ls(dir.local)).toEqual(['p1.xml', 'p2.xml', 'p3.xml']);
		// asked by recording and taking back (n8n's helpers have no look-up alone) it took six writes, and a
		// process that died between two of them left a false "pending": imported again by the next run
		expect(processedDataWrites() - before).toBe(0);
	});

	it('does not import a file again whose delete at the end was refused, and deletes it once the right is granted', async () => {
		const dir = directoryWith(1);
		const saved = savedWorkflow();
		chmodSync(dir.local, 0o555);
		try {
			expect((await execution(saved, { directory: dir.remote })).payments).toEqual(['p1.xml']);
			expect(ls(dir.local)).toEqual(['p1.xml']);
			const second = await execution(saved, { directory: dir.remote });
			expect(second.payments).toEqual([]);
			expect(ls(dir.local)).toEqual(['p1.xml']);
		} finally {
			chmodSync(dir.local, 0o777);
		}
		expect((await execution(saved, { directory: dir.remote })).payments).toEqual([]);
		expect(ls(dir.local)).toEqual([]);
	});

	it('a run that starts while another execution of this process has not ended leaves that execution its files', async () => {
		const dir = directoryWith(3);
		const saved = savedWorkflow();
		const proxy = await new FaultProxy({ host: servers.host, port: servers.ftp.port }, 'ftp').start();
		let second: Awaited<ReturnType<typeof execution>> | undefined;
		// the first execution's DELE comes at its end; the second execution runs from start to end meanwhile
		proxy.arm({ point: 'beforeCommand', match: /^DELE /, at: 1, whileHeld: async () => void (second = await execution(saved, { directory: dir.remote })) });
		let first;
		try {
			first = await execution(saved, { directory: dir.remote }, proxy.port);
		} finally {
			const record = await proxy.settle();
			await proxy.stop();
			if (!record?.hit) throw new Error('the fault was not placed: the first execution sent no DELE');
		}
		expect(first.payments.sort()).toEqual(['p1.xml', 'p2.xml', 'p3.xml']);
		// not "busy": the first execution's node had finished; its files were left to it
		expect(second?.payments).toEqual([]);
		expect(second?.errors).toEqual([]);
		// the held DELE was cut: the next run deletes that file quietly, it does not import it again
		const third = await execution(saved, { directory: dir.remote });
		expect(third.payments).toEqual([]);
		expect(ls(dir.local)).toEqual([]);
	});
});
