/**
 * Two runs of one import over the same directory at the same time (a schedule that fires while the last run
 * still works), with n8n's static data semantics: each execution starts from the saved copy and saves its own
 * when it ends. Found by the fault suite (test/faults): the first run's delete is cut before it reaches the
 * server, so that run hands the file over and remembers it — but the second run, which never saw that memory,
 * deleted the same file and handed it over as well. The fault sits at a defined position: the proxy holds the
 * first run's DELE while the second run runs from start to end. And (fault suite, seed 1979877306): a run that
 * started while the other was still at work, but reached the file after the other had ended, imported it again —
 * its copy of the static data was older than the other's memory of the file.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { FaultProxy } from '../faults/harness/faultProxy';
import { camtWithAmount, paymentImportWorkflow } from '../helpers/remoteFiles';
import { ftpCredentialsFor, loadServers, n8nCredentialData } from '../helpers/servers';

const servers = loadServers();

function directoryWith(files: number): { local: string; remote: string } {
	const name = `overlap-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
	const local = path.join(servers.ftp.home, name);
	mkdirSync(local, { recursive: true });
	chmodSync(local, 0o777);
	for (let i = 1; i <= files; i++) {
		writeFileSync(path.join(local, `p${i}.xml`), camtWithAmount(`${i}.00`));
		chmodSync(path.join(local, `p${i}.xml`), 0o666);
	}
	return { local, remote: `/${name}/` };
}

/** Every execution here is one of the same saved workflow (a run's copy of its static data may be older). */
const WORKFLOW_ID = `test-workflow-overlapping-${process.pid}`;

/** One execution as n8n runs it: static data from the saved copy; saved back when it ends, if it changed. */
async function execution(saved: { staticData: IDataObject }, directory: string, port?: number): Promise<{ payments: string[]; errors: INodeExecutionData[] }> {
	const workflow = paymentImportWorkflow({ directory }, { typeVersion: 1, id: WORKFLOW_ID, staticData: JSON.parse(JSON.stringify(saved.staticData)) as IDataObject });
	const ftp = { ...ftpCredentialsFor({ protocol: 'ftp' }), ...(port ? { port } : {}) };
	const result = await workflow.run('Import', { credentials: { backofficeFtpApi: n8nCredentialData(ftp) }, mode: 'trigger' });
	if (JSON.stringify(workflow.staticData) !== JSON.stringify(saved.staticData)) saved.staticData = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
	if (result.error) throw result.error;
	return { payments: result.output('Import', 0).map((i) => String(i.json.sourceFile)), errors: result.output('Import', 1) };
}

describe('Overlapping runs of a file import', () => {
	it('hand every file over once when the first run loses its session at a DELE while a second run works the same directory', async () => {
		const dir = directoryWith(3);
		const saved = { staticData: {} as IDataObject };
		const proxy = await new FaultProxy({ host: servers.host, port: servers.ftp.port }, 'ftp').start();
		let second: Awaited<ReturnType<typeof execution>> | undefined;
		proxy.arm({ point: 'beforeCommand', match: /^DELE /, at: 1, whileHeld: async () => void (second = await execution(saved, dir.remote)) });
		let first;
		try {
			first = await execution(saved, dir.remote, proxy.port);
		} finally {
			const record = await proxy.settle();
			await proxy.stop();
			if (!record?.hit) throw new Error('the fault was not placed: the first run sent no DELE');
		}
		const third = await execution(saved, dir.remote);
		const all = [...first.payments, ...(second?.payments ?? []), ...third.payments].sort();
		expect(all).toEqual(['p1.xml', 'p2.xml', 'p3.xml']);
		// the second run found the first one at work and did nothing, and said so
		expect(second?.payments).toEqual([]);
		expect(second?.errors.map((e) => e.json.stage)).toEqual(['busy']);
		expect(existsSync(dir.local) ? readdirSync(dir.local) : []).toEqual([]);
	});

	it('do not import a file again that another run remembered after this run had started', async () => {
		const dir = directoryWith(3);
		const saved = { staticData: {} as IDataObject };
		// the second run's copy of the static data, taken when it started: before the first one remembered p1
		const startedEarly = { staticData: {} as IDataObject };
		const proxy = await new FaultProxy({ host: servers.host, port: servers.ftp.port }, 'ftp').start();
		proxy.arm({ point: 'beforeCommand', match: /^DELE /, at: 1 });
		let first;
		try {
			first = await execution(saved, dir.remote, proxy.port);
		} finally {
			const record = await proxy.settle();
			await proxy.stop();
			if (!record?.hit) throw new Error('the fault was not placed: the first run sent no DELE');
		}
		expect(first.payments).toEqual(['p1.xml']);
		const second = await execution(startedEarly, dir.remote);
		expect(second.payments.sort()).toEqual(['p2.xml', 'p3.xml']);
		// what the second run saves keeps the memory of p1, whose delete it has now done
		expect(existsSync(dir.local) ? readdirSync(dir.local) : []).toEqual([]);
		expect(JSON.stringify(startedEarly.staticData)).toContain('p1.xml');
	});
});
