/**
 * Order Exchange's "already received" across processes, as n8n's queue mode runs it: the documents Receive handed
 * over are recorded in n8n's processed-data store on PostgreSQL (a fresh database migrated by n8n) when the
 * execution has ended; each execution runs in a process of its own (two workers) with n8n's DB_* variables and
 * starts from the static data it is given — not shared between the processes, as n8n loads it per execution.
 * Receive reads a local folder (version 2: files moved to processed/ when the execution has ended); the kill
 * test forwards the orders by FTP through a proxy in front of the real vsftpd that holds a command.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { IDataObject, INode, INodeParameters } from 'n8n-workflow';

import type { BusinessDocument } from '../../nodes/shared/documents/orders';
import { writeOpenTrans } from '../../nodes/shared/documents/orders/openTransWriter';
import { FtpControlProxy } from '../helpers/ftpControlProxy';
import { useN8nPostgres } from '../helpers/n8nPostgres';
import { NodeProcess } from '../helpers/nodeProcess';
import { fileServerCredentials, remoteDirectory, removeRemoteDirectories } from '../helpers/remoteFiles';
import { loadServers, n8nCredentialData } from '../helpers/servers';
import { RunnerWorkflow } from '../helpers/workflowRunner';
import { sampleOrder } from '../unit/orders/sampleDocuments';

const RUN = `OXR${Date.now().toString(36)}`;
const folders: string[] = [];
afterAll(() => {
	for (const folder of folders) rmSync(folder, { recursive: true, force: true });
	removeRemoteDirectories();
});

const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

function folder(): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'oxr-'));
	folders.push(dir);
	return dir;
}

/** Site A with its own range, site C with none (it may use any number another site has not used). */
const SITES = (a: string, c: string) => ({ site: [{ siteId: a, rangeFrom: '20000', rangeTo: '29999' }, { siteId: c }] });

function order(site: string, number: string, quantity = '10'): BusinessDocument {
	const doc = sampleOrder();
	return { ...doc, site, number, lines: doc.lines.map((l) => ({ ...l, quantity })) };
}

function drop(dir: string, docs: BusinessDocument[]): void {
	for (const doc of docs) writeFileSync(path.join(dir, `${doc.site}_ORDER_${doc.number}_${doc.lines[0].quantity}.xml`), writeOpenTrans(doc));
}

/** The saved workflow `id`: Receive (version 2) from `dir`, and where given a second node after it. */
function receiving(id: string, dir: string, sites: INodeParameters, staticData: IDataObject = {}, after?: INode): RunnerWorkflow {
	const receive: INode = {
		id: 'receive',
		name: 'Receive',
		type: 'n8n-nodes-backoffice.orderExchange',
		typeVersion: 2,
		position: [0, 0],
		parameters: { operation: 'receive', transport: 'folder', inputFolder: dir, sites, receiveOptions: { uploadWaitSeconds: 0 } },
	};
	return new RunnerWorkflow({
		id,
		name: `Order Exchange ${id}`,
		nodes: after ? [receive, after] : [receive],
		connections: after ? { Receive: { main: [[{ node: after.name, type: 'main', index: 0 }]] } } : {},
		staticData: { 'node:Receive': staticData },
	});
}

interface Received {
	orders: IDataObject[];
	skipped: IDataObject[];
	errors: IDataObject[];
	staticData: IDataObject;
}

async function execution(worker: NodeProcess, workflow: RunnerWorkflow, credentials = {}): Promise<Received> {
	const run = await worker.run(workflow, 'Receive', 3, credentials, { mode: 'trigger' });
	const [orders, skipped, errors] = run.outputs;
	return { orders, skipped, errors, staticData: (run.staticData['node:Receive'] ?? {}) as IDataObject };
}

const what = (items: IDataObject[]) => items.map((i) => [i.number, i.site, i.action ?? i.reason]).sort((x, y) => String(x).localeCompare(String(y)));

describe('Order Exchange, documents received across processes (PostgreSQL, as in queue mode)', () => {
	let restore = () => undefined as void;
	let workers: NodeProcess[] = [];
	beforeAll(async () => {
		restore = await useN8nPostgres(`ox_${RUN.toLowerCase()}`);
		workers = [new NodeProcess(), new NodeProcess()];
		// warmed up (modules, n8n's database) on a folder of their own
		await Promise.all(
			workers.map(async (w, i) => {
				const dir = folder();
				drop(dir, [order(`warm-${i}`, '20000')]);
				await execution(w, receiving(`wf-${RUN}-warm${i}`, dir, SITES(`warm-${i}`, `warm-c-${i}`)));
			}),
		);
	}, 300_000);
	afterAll(async () => {
		await Promise.all(workers.map(async (w) => await w.stop()));
		restore();
	});

	it('a document received in one process is known in another that starts without its static data: resent → duplicate, changed → update, its number from another site → conflict', async () => {
		const [a, c] = [`a-${RUN}`, `c-${RUN}`];
		const dir = folder();
		const id = `wf-${RUN}-shared`;
		drop(dir, [order(a, '20001'), order(a, '20002')]);
		const first = await execution(workers[0], receiving(id, dir, SITES(a, c)));
		expect(what(first.orders)).toEqual([
			['20001', a, 'create'],
			['20002', a, 'create'],
		]);
		expect(ls(path.join(dir, 'processed'))).toHaveLength(2);

		// the same order again, the other one changed, and site C with site A's number — in the other process,
		// from empty static data (a manual run, a concurrent execution whose save won, another worker)
		drop(dir, [order(a, '20001'), order(a, '20002', '99'), order(c, '20001')]);
		const second = await execution(workers[1], receiving(id, dir, SITES(a, c)));
		expect(what(second.orders)).toEqual([['20002', a, 'update']]);
		// the earlier content hash is in the first process's static data only
		expect(second.orders[0].previousContentHash).toBeUndefined();
		expect(what(second.skipped)).toEqual([['20001', a, 'duplicate']]);
		expect(what(second.errors)).toEqual([['20001', c, 'conflict']]);
		expect(second.errors[0].message).toContain(`already imported from site "${a}"`);

		// with its static data, the first process names the earlier version's hash
		drop(dir, [order(a, '20002', '98')]);
		const third = await execution(workers[0], receiving(id, dir, SITES(a, c), first.staticData));
		expect(what(third.orders)).toEqual([['20002', a, 'update']]);
		expect(third.orders[0].previousContentHash).toBe(first.orders.find((o) => o.number === '20002')!.contentHash);

		// another workflow has a record of its own: the same documents are new there
		drop(dir, [order(a, '20001')]);
		const other = await execution(workers[1], receiving(`wf-${RUN}-other`, dir, SITES(a, c)));
		expect(what(other.orders)).toEqual([['20001', a, 'create']]);
	}, 300_000);

	it('two executions in two processes over one shared folder at the same time receive each of 40 orders exactly once', async () => {
		const [a, c] = [`a-${RUN}-two`, `c-${RUN}-two`];
		const dir = folder();
		const id = `wf-${RUN}-two`;
		const numbers = Array.from({ length: 40 }, (_, i) => String(20100 + i));
		drop(
			dir,
			numbers.map((n) => order(a, n)),
		);
		const started = Date.now();
		// both from the same saved workflow (empty static data), as two executions of one schedule on two workers
		const [x, y] = await Promise.all(workers.map(async (w) => await execution(w, receiving(id, dir, SITES(a, c)))));
		console.log(`two processes, one folder of 40 orders: ${x.orders.length} + ${y.orders.length} received in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		// counted by the orders: each once, none twice, none lost, none called a duplicate
		expect([...x.orders, ...y.orders].map((o) => o.number).sort()).toEqual(numbers);
		expect([...x.orders, ...y.orders].every((o) => o.action === 'create')).toBe(true);
		expect([...x.skipped, ...y.skipped, ...x.errors, ...y.errors]).toEqual([]);
		expect(ls(path.join(dir, 'processed'))).toHaveLength(40);
		expect(ls(dir).filter((n) => n.endsWith('.xml'))).toEqual([]);
	}, 300_000);

	it('an upgrade receives nothing twice: what the static data of earlier versions remembered is recorded once, and an execution without it knows it too', async () => {
		const [a, c] = [`a-${RUN}-up`, `c-${RUN}-up`];
		const dir = folder();
		const id = `wf-${RUN}-upgrade`;
		// received by the earlier version in another workflow copy: its static data as that version left it
		drop(dir, [order(a, '20011')]);
		const old = await execution(workers[0], receiving(`wf-${RUN}-old`, dir, SITES(a, c)));
		const { importedDocuments } = old.staticData;
		expect(Object.keys(importedDocuments as object)).toHaveLength(1);

		drop(dir, [order(a, '20011')]);
		const upgraded = await execution(workers[0], receiving(id, dir, SITES(a, c), { importedDocuments }));
		expect(what(upgraded.skipped)).toEqual([['20011', a, 'duplicate']]);
		expect(upgraded.staticData.importedDocumentsRecorded).toBe(true);
		drop(dir, [order(a, '20011')]);
		const without = await execution(workers[1], receiving(id, dir, SITES(a, c)));
		expect(without.orders).toEqual([]);
		expect(what(without.skipped)).toEqual([['20011', a, 'duplicate']]);
	}, 300_000);

	it('a process killed (SIGKILL) while the node after Receive waits for the FTP server records nothing: the next run, in another process, receives the orders as new', async () => {
		const [a, c] = [`a-${RUN}-kill`, `c-${RUN}-kill`];
		const dir = folder();
		const id = `wf-${RUN}-kill`;
		const target = remoteDirectory('ftp', 'oxr-forward');
		const s = loadServers();
		const first = new NodeProcess();
		// the kill lands at a protocol position: Receive has emitted its orders, the node after it holds the first upload
		const proxy = await new FtpControlProxy({ host: s.host, port: s.ftp.port }, (command) => command.startsWith('STOR'), {
			whileHeld: async () => await first.stop(),
		}).start();
		const forward = (): INode => ({
			id: 'forward',
			name: 'Forward',
			type: 'n8n-nodes-backoffice.orderExchange',
			typeVersion: 2,
			position: [200, 0],
			parameters: { operation: 'send', transport: 'ftp', remoteDirectory: target.remote },
		});
		const ftpAt = (port: number) => ({ backofficeFtpApi: n8nCredentialData(fileServerCredentials('ftp', { protocol: 'ftp', port })) });
		drop(dir, [order(a, '20021'), order(a, '20022')]);
		let finished = false;
		try {
			await first.ready;
			const killed = execution(first, receiving(id, dir, SITES(a, c), {}, forward()), ftpAt(proxy.port)).then(
				() => (finished = true),
				() => undefined,
			);
			await first.exited;
			await killed;
		} finally {
			await proxy.stop();
		}
		expect(proxy.commands.filter((command) => command.startsWith('STOR'))).toHaveLength(1);
		expect(finished).toBe(false);
		// version 2 moves the files when the execution ends: it never ended, they are still there
		expect(ls(dir).filter((n) => n.endsWith('.xml'))).toHaveLength(2);

		const next = await execution(workers[1], receiving(id, dir, SITES(a, c), {}, forward()), ftpAt(s.ftp.port));
		expect(what(next.orders)).toEqual([
			['20021', a, 'create'],
			['20022', a, 'create'],
		]);
		expect(ls(target.local)).toHaveLength(2);
		// and that execution ended: a run after it knows them
		drop(dir, [order(a, '20021')]);
		const after = await execution(workers[0], receiving(id, dir, SITES(a, c)));
		expect(what(after.skipped)).toEqual([['20021', a, 'duplicate']]);
	}, 300_000);
});
