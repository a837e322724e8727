/**
 * The Accounting FTP Import and the Order Exchange over SFTP, run by n8n's engine (RunnerWorkflow →
 * WorkflowExecute) against the real OpenSSH sshd of the test servers: what only SFTP has — key logins (OpenSSH
 * with passphrase, PEM), the host key check, a session killed mid-run and an sshd restart (nothing lost,
 * nothing twice). The nodes' file cases shared with FTP (directories, date subdirectories, filters, upload
 * wait, delete / archive / keep-and-remember, error directory, Check Access, Send and Receive) run over both
 * in accountingFtpImport.test.ts and orderExchange.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { SftpCredentials } from '../../nodes/shared/transports/sftp';
import { camtWithAmount, fixture, ls, paymentImportWorkflow, put, remoteDirectory, removeRemoteDirectories } from '../helpers/remoteFiles';
import { loadServers, n8nCredentialData, sftpCredentialsFor } from '../helpers/servers';
import { faultWhileHeld, SFTP_REQUEST, SftpHold } from '../helpers/sftpHold';
import { RunnerWorkflow } from '../helpers/workflowRunner';
import { sampleOrder, sampleQuote } from '../unit/orders/sampleDocuments';

const servers = loadServers();
const TIME_ZONE = 'Europe/Berlin';
const token = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const sftpDirectory = (label: string) => remoteDirectory('sftp', label);
afterAll(removeRemoteDirectories);

const amounts = (items: INodeExecutionData[]) => items.map((i) => i.json.amount as string);

function workflowOf(type: string, parameters: INodeParameters): RunnerWorkflow {
	const node: INode = {
		id: 'node',
		name: 'Node',
		type: `n8n-nodes-backoffice.${type}`,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		credentials: { backofficeFtpApi: { id: 'sftp', name: 'SFTP' } },
	};
	return new RunnerWorkflow({ name: `SFTP ${token()}`, nodes: [node], connections: {}, settings: { executionOrder: 'v1', timezone: TIME_ZONE } });
}

const importWorkflow = (parameters: INodeParameters) =>
	workflowOf('accountingFtpImport', { operation: 'importPayments', options: { uploadWaitSeconds: 0 }, ...parameters });

async function run(workflow: RunnerWorkflow, sftp: SftpCredentials = sftpCredentialsFor('password'), input?: INodeExecutionData[]) {
	const result = await workflow.run('Node', { credentials: { backofficeFtpApi: n8nCredentialData(sftp) }, input: input ? [input] : undefined });
	if (result.error) throw result.error;
	return { first: result.output('Node', 0), second: result.output('Node', 1), third: (() => { try { return result.output('Node', 2); } catch { return []; } })() };
}

async function runImport(workflow: RunnerWorkflow, sftp?: SftpCredentials) {
	const { first, second } = await run(workflow, sftp);
	return { payments: first, errors: second };
}

describe('Accounting FTP Import over SFTP', () => {
	it('imports a camt.053 file with a password login and deletes it; with a key login it archives, keeping an older file of the same name', async () => {
		const dir = sftpDirectory('imp');
		put(dir.local, 'Zahlungen_camt053.xml', fixture('camt053/camt053.v8.batch.xml'));
		const first = await runImport(importWorkflow({ directory: dir.remote }));
		expect(first.errors).toEqual([]);
		expect(amounts(first.payments)).toEqual(['1000.00', '250.00']);
		expect(first.payments[0].json).toMatchObject({ sourceFile: 'Zahlungen_camt053.xml', sourcePath: `${dir.remote}Zahlungen_camt053.xml`, format: 'camt053' });
		expect(ls(dir.local)).toEqual([]);

		put(path.join(dir.local, 'archiv'), 'z.xml', 'an older file of the same name');
		put(dir.local, 'z.xml', camtWithAmount('3.50'));
		const second = await runImport(importWorkflow({ directory: dir.remote, afterImport: 'archive', archiveDirectory: 'archiv/' }), sftpCredentialsFor('openSshKey'));
		expect(amounts(second.payments)).toEqual(['3.50']);
		expect(ls(path.join(dir.local, 'archiv'))).toEqual(['z.xml', 'z_2.xml']);
		expect(readFileSync(path.join(dir.local, 'archiv', 'z.xml'), 'utf8')).toBe('an older file of the same name');
	});

	it('fails the run with the presented fingerprint when the host key does not match, touching nothing', async () => {
		const dir = sftpDirectory('hostkey');
		put(dir.local, 'z.xml', camtWithAmount('1.00'));
		const error = await runImport(importWorkflow({ directory: dir.remote }), sftpCredentialsFor('password', { hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).then(
			() => undefined,
			(e: unknown) => e as Error,
		);
		expect(error?.message).toContain(`presented the host key ${servers.sftp.hostKeyFingerprint}`);
		expect(ls(dir.local)).toEqual(['z.xml']);
	});

	it('Check Access names the rights over SFTP', async () => {
		const dir = sftpDirectory('check');
		const { first } = await run(workflowOf('accountingFtpImport', { operation: 'checkAccess', directory: dir.remote }), sftpCredentialsFor('pemKey'));
		expect(first[0].json).toMatchObject({ ok: true, canList: true, canWrite: true, canDelete: true });
	});
});

function threeDocuments(site: string): IDataObject[] {
	const docs = [
		{ ...sampleOrder(), number: '20001', site },
		{ ...sampleQuote(), number: '20002', site },
		{ ...sampleOrder(), number: '20003', site },
	];
	return docs.map((d) => JSON.parse(JSON.stringify(d)) as IDataObject);
}

describe('Order Exchange over SFTP', () => {
	it('site A uploads three documents under a temporary name, site B receives them and moves them to processed/', async () => {
		const site = `filiale-${token()}`;
		const dir = sftpDirectory('ox');
		const sent = await run(
			workflowOf('orderExchange', { operation: 'send', transport: 'ftp', remoteDirectory: dir.remote }),
			sftpCredentialsFor('openSshKey'),
			threeDocuments(site).map((json) => ({ json })),
		);
		expect(sent.first.map((i) => i.json.path)).toEqual([`${dir.remote}${site}_ORDER_20001.xml`, `${dir.remote}${site}_QUOTATION_20002.xml`, `${dir.remote}${site}_ORDER_20003.xml`]);
		expect(sent.first[0].json.server).toBe(`${servers.host}:${servers.sftp.port}`);
		expect(ls(dir.local)).toEqual([`${site}_ORDER_20001.xml`, `${site}_ORDER_20003.xml`, `${site}_QUOTATION_20002.xml`]);

		const received = await run(
			workflowOf('orderExchange', {
				operation: 'receive',
				transport: 'ftp',
				ftpDirectory: dir.remote,
				sites: { site: [{ siteId: site, rangeFrom: '20000', rangeTo: '29999' }] },
				receiveOptions: { uploadWaitSeconds: 0 },
			}),
			sftpCredentialsFor('password'),
		);
		expect(received.third).toEqual([]);
		expect(received.first.map((i) => i.json.number)).toEqual(['20001', '20003', '20002']);
		expect(received.first[0].json.source).toMatchObject({ movedTo: `${dir.remote}processed/${site}_ORDER_20001.xml` });
		expect(ls(dir.local)).toEqual(['processed']);
		expect(ls(path.join(dir.local, 'processed'))).toHaveLength(3);
	});

	it('refuses to send into a directory that does not exist, creating nothing', async () => {
		const dir = sftpDirectory('ox-missing');
		const result = await workflowOf('orderExchange', { operation: 'send', transport: 'ftp', remoteDirectory: `${dir.remote}nope/` }).run('Node', {
			credentials: { backofficeFtpApi: n8nCredentialData(sftpCredentialsFor('password')) },
			input: [threeDocuments(`filiale-${token()}`).map((json) => ({ json }))],
		});
		expect(result.error?.message).toMatch(/does not exist on the SFTP server/);
		expect(ls(dir.local)).toEqual([]);
	});
});

// ------------------------------------------------------------------------------------------------
// Faults: the session killed mid-run, sshd restarted mid-run — each while sshd's SFTP server holds its reply to
// the nth REMOVE of the test's directory (test/helpers/sftpHold.ts): the file is gone, the node has not heard so

function parentOf(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Kills every session of this state folder's sshd (the listener's descendants), not the listener. */
function killSshdSessions(): number {
	const listener = Number(readFileSync(path.join(servers.dir, 'run/sshd.pid'), 'utf8').trim());
	const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
	const ours = new Set([listener]);
	for (let grew = true; grew; ) {
		grew = false;
		for (const p of pids) {
			try {
				if (!ours.has(p) && ours.has(parentOf(p))) {
					ours.add(p);
					grew = true;
				}
			} catch {
				// gone meanwhile
			}
		}
	}
	ours.delete(listener);
	for (const p of ours) {
		try {
			process.kill(p, 'SIGKILL');
		} catch {
			// already gone
		}
	}
	return ours.size;
}

/**
 * 40 files; the session breaks (`fault`) while the reply to the run's `nth` REMOVE is held; two runs must hand over
 * each payment once.
 */
async function everyPaymentOnce(label: string, nth: number, fault: () => void): Promise<void> {
	const dir = sftpDirectory(label);
	const total = 40;
	for (let i = 1; i <= total; i++) put(dir.local, `z${String(i).padStart(2, '0')}.xml`, camtWithAmount(`${i}.00`));
	const workflow = importWorkflow({ directory: dir.remote });
	const hold = await SftpHold.start();
	let first;
	let goneWhenHeld = -1;
	try {
		hold.arm({ type: SFTP_REQUEST.REMOVE, nth, pathPrefix: dir.remote });
		first = await faultWhileHeld(hold, `REMOVE #${nth} in ${dir.remote}`, runImport(workflow), () => {
			goneWhenHeld = total - ls(dir.local).length;
			fault();
		});
	} finally {
		await hold.stop();
	}
	// the hold stops the session: the nth file is deleted, no later request has reached the server
	expect(goneWhenHeld).toBe(nth);
	expect(first.errors.map((e) => e.json.stage)).toContain('connection');
	expect(first.payments.length).toBeGreaterThanOrEqual(nth);
	expect(first.payments.length).toBeLessThan(total);
	const second = await runImport(workflow);
	const all = [...amounts(first.payments), ...amounts(second.payments)].sort((a, b) => Number(a) - Number(b));
	expect(all).toEqual(Array.from({ length: total }, (_, i) => `${i + 1}.00`));
	expect(ls(dir.local)).toEqual([]);
}

describe('SFTP faults: nothing lost, nothing twice', () => {
	it('survives killing the SFTP session after its third delete: every payment arrives exactly once over two runs', async () => {
		let killed = 0;
		await everyPaymentOnce('killed', 3, () => (killed = killSshdSessions()));
		expect(killed).toBeGreaterThan(0);
	}, 240_000);

	it('survives an sshd restart mid-run, and the next run connects to the restarted server', async () => {
		let restarted = false;
		const restart = () => {
			execFileSync('bash', [path.join(__dirname, '../../scripts/test-servers.sh'), 'restart-sshd'], { stdio: 'ignore' });
			restarted = true;
		};
		await everyPaymentOnce('restarted', 2, restart);
		expect(restarted).toBe(true);
	}, 240_000);

	it('version 2: killing the session while the reply to the third REMOVE at the execution\'s end is held loses nothing, and the next run imports nothing again', async () => {
		const dir = sftpDirectory('v2-killed');
		const total = 6;
		for (let i = 1; i <= total; i++) put(dir.local, `z${String(i).padStart(2, '0')}.xml`, camtWithAmount(`${i}.00`));
		const saved = { id: `sftp-v2-${process.pid}-${token()}`, staticData: {} as IDataObject };
		const execution = async () => {
			const workflow = paymentImportWorkflow({ directory: dir.remote }, { nodeName: 'Node', id: saved.id, staticData: JSON.parse(JSON.stringify(saved.staticData)) as IDataObject });
			const result = await workflow.run('Node', { credentials: { backofficeFtpApi: n8nCredentialData(sftpCredentialsFor('password')) }, mode: 'trigger' });
			saved.staticData = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
			if (result.error) throw result.error;
			return { payments: result.output('Node', 0), errors: result.output('Node', 1) };
		};
		const hold = await SftpHold.start();
		let goneWhenHeld = -1;
		let killed = 0;
		let first;
		try {
			hold.arm({ type: SFTP_REQUEST.REMOVE, nth: 3, pathPrefix: dir.remote });
			first = await faultWhileHeld(hold, `REMOVE #3 in ${dir.remote}`, execution(), () => {
				goneWhenHeld = total - ls(dir.local).length;
				killed = killSshdSessions();
			});
		} finally {
			await hold.stop();
		}
		expect(goneWhenHeld).toBe(3);
		expect(killed).toBeGreaterThan(0);
		// the deletes come once the node's output is complete: every payment is out, no connection was lost in the run
		expect(amounts(first.payments).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: total }, (_, i) => `${i + 1}.00`));
		expect(first.errors).toEqual([]);
		expect(ls(dir.local).length).toBe(total - 3);
		// the files left behind were recorded before the commit: deleted now, not imported again
		const second = await execution();
		expect(second.payments).toEqual([]);
		expect(ls(dir.local)).toEqual([]);
	}, 240_000);
});
