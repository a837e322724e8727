/**
 * n8n's queue mode while its own servers restart: Redis and PostgreSQL (scripts/queue-servers.sh restart-redis,
 * restart-postgres) restarted in the middle of a real execution on a worker, then every
 * document counted: lost (gone from the FTP server, never handed over) or twice (handed over twice).
 *
 * The workflow is the payment import template (Accounting FTP Import → the ERP, here an HTTP receiver), over
 * plain FTP through a control-connection proxy (test/helpers/ftpControlProxy.ts). The proxy forwards the chosen
 * command to vsftpd and holds vsftpd's complete reply; while the worker waits for it, the server is restarted
 * (the script returns once the server answers again), and then the reply is passed on: the execution goes on
 * after its Redis or database connections were cut. No timers: the restart lands at the same protocol position
 * every run. Then the execution must end in a state the user sees (success, or an error), the workflow is run
 * once more, undisturbed, and each payment file must have reached the ERP exactly once.
 *
 * One queue-mode n8n (a main, two workers) serves every test of this file.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { FtpControlProxy } from '../helpers/ftpControlProxy';
import { loadServers } from '../helpers/servers';
import { HttpReceiver } from './httpReceiver';
import { randomTag } from './mailboxes';
import { N8nInstance, queueServers, START_TIMEOUT_S } from './n8nInstance';
import {
	describeExecution,
	executeManually,
	getExecution,
	nodeNamed,
	publish,
	readTemplate,
	replaceUrls,
	sleep,
	waitForExecution,
	writeCredentials,
	writeTemplates,
} from './templateRuns';

const servers = loadServers();
const TEMPLATE = 'payment-import-invoices-paid.json';
const SCHEDULE = 'Every weekday at 06:00';
const IMPORT = 'Import bank files and match payments';
const BEARER = `Bearer restart-${randomTag()}`;
const FILES = 3;

interface Figures {
	documents: number;
	lost: number;
	twice: number;
}

/** A camt.053 statement with one credit of `amount` EUR whose text names `invoice`. */
function statement(invoice: string, amount: string): string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>RST-${invoice}</MsgId><CreDtTm>2026-01-05T18:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>RST-${invoice}</Id><CreDtTm>2026-01-05T18:00:00+01:00</CreDtTm>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-01-05</Dt></BookgDt><ValDt><Dt>2026-01-05</Dt></ValDt><AcctSvcrRef>${invoice}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Bäckerei Weiß GmbH</Nm></Dbtr><DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>Rechnung ${invoice}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
`;
}

/** Waits until the main's readiness check (database connected, migrations done) answers 200; returns how long. */
async function untilReady(n8n: N8nInstance, timeoutMs: number): Promise<number> {
	const t0 = Date.now();
	for (;;) {
		const res = await fetch(`${n8n.baseUrl}/healthz/readiness`).catch(() => undefined);
		if (res?.ok) return Date.now() - t0;
		if (Date.now() - t0 > timeoutMs) throw new Error(`n8n's main was not ready again within ${timeoutMs} ms (last answer: HTTP ${res?.status})`);
		await sleep(200);
	}
}

describe('queue mode: Redis and PostgreSQL restarted during a payment import', () => {
	const tag = randomTag();
	const directory = path.join(servers.ftp.home, `restart-${tag}`);
	/** the open invoices the ERP answers with: one per file of every scenario */
	const open: Array<{ invoiceNumber: string; openAmount: string; currency: string; customerName: string }> = [];
	let receiver: HttpReceiver;
	let proxy: FtpControlProxy;
	let n8n: N8nInstance;
	let workflowId = '';
	/** the command whose reply is held, and which occurrence of it (counted over every session) */
	let armed: { command: string; nth: number; seen: number } | undefined;
	/** what runs while the reply is held: the restart */
	let onHold: () => Promise<void> = async () => {};

	beforeAll(async () => {
		mkdirSync(directory, { recursive: true });
		chmodSync(directory, 0o777);
		receiver = new HttpReceiver()
			.on('GET', '/api/invoices', () => ({ body: open }))
			.on('POST', /^\/api\/invoices\/[^/]+\/payments$/, { status: 201, body: { ok: true } });
		await receiver.start();
		proxy = await new FtpControlProxy(
			{ host: servers.host, port: servers.ftp.port },
			(command) => {
				if (!armed || !command.toUpperCase().startsWith(armed.command)) return false;
				armed.seen++;
				return armed.seen === armed.nth;
			},
			{ whileHeld: async () => await onHold(), afterHold: 'release' },
		).start();
		const template = replaceUrls(readTemplate(TEMPLATE), 'https://erp.example.com', receiver.baseUrl);
		Object.assign(nodeNamed(template, IMPORT).parameters, { directory: `/${path.basename(directory)}/`, errorReportTo: servers.users.admin.address });
		workflowId = template.id;
		const u = servers.users;
		n8n = await N8nInstance.start({
			label: 'n8n-queue-restarts',
			mode: 'queue',
			prepare: (instance) => {
				const credentials = writeCredentials(path.join(instance.userDir, 'restart-credentials.json'), [
					{ id: 'rstFtpBank000001', name: 'Backoffice FTP (bank files)', type: 'backofficeFtpApi', data: { protocol: 'ftp', host: servers.host, port: proxy.port, user: u.ftp.user, password: u.ftp.password } },
					{ id: 'rstSmtpAccount01', name: 'Backoffice SMTP (accounting)', type: 'backofficeSmtpApi', data: { host: servers.host, port: servers.smtp.submissionPort, security: 'starttls', user: u.alice.user, password: u.alice.password, senderAddress: u.alice.address, senderName: 'alice', allowSelfSigned: true } },
					{ id: 'rstErpApi0000001', name: 'ERP API', type: 'httpHeaderAuth', data: { name: 'Authorization', value: BEARER } },
					{ id: 'rstSmtpNotify001', name: 'SMTP (notifications)', type: 'smtp', data: { host: servers.host, port: servers.smtp.port, secure: false, disableStartTls: true, user: '', password: '' } },
				]);
				instance.importTemplates(writeTemplates(path.join(instance.userDir, 'restart-templates'), [template]), credentials);
			},
		});
		await publish(n8n, workflowId);
	}, (START_TIMEOUT_S * 3 + 120) * 1000);

	afterAll(async () => {
		n8n?.stop();
		await proxy?.stop();
		await receiver?.stop();
		rmSync(directory, { recursive: true, force: true });
	}, 120_000);

	/**
	 * Puts FILES payment files on the server, runs the workflow with the reply to the `nth` `command` held and
	 * `restart` run meanwhile, waits for that execution to end, runs the workflow again, and counts per file.
	 */
	async function restartedRun(scenario: string, command: 'RETR' | 'DELE', nth: number, restart: string[]): Promise<Figures> {
		const names: string[] = [];
		const invoices: string[] = [];
		for (let i = 1; i <= FILES; i++) {
			const invoice = `RE-${tag.toUpperCase()}-${scenario}-${i}`;
			const amount = `${200 + i}.00`;
			open.push({ invoiceNumber: invoice, openAmount: amount, currency: 'EUR', customerName: 'Bäckerei Weiß GmbH' });
			const name = `camt053_${scenario}_${i}.xml`;
			writeFileSync(path.join(directory, name), statement(invoice, amount));
			chmodSync(path.join(directory, name), 0o666);
			names.push(name);
			invoices.push(invoice);
		}
		let restartMs = 0;
		const held = new Promise<void>((resolve, reject) => {
			onHold = async () => {
				const t0 = Date.now();
				try {
					queueServers(restart);
				} catch (error) {
					reject(error as Error);
				}
				restartMs = Date.now() - t0;
				resolve();
			};
		});
		armed = { command, nth, seen: 0 };
		const executionId = await executeManually(n8n, workflowId, SCHEDULE);
		let landed = false;
		void held.then(() => (landed = true), () => undefined);
		// the fault missed only if the execution ended and its files were committed without the hold: version 2 of
		// the import deletes the files once the execution has ended (after n8n saved it), so a held DELE comes
		// after the execution already reads "success" (a loaded run showed it) and its files stay until the release
		const endedUnheld = waitForExecution(n8n, executionId, 240_000).then(async (e) => {
			const gone = () => names.every((name) => !existsSync(path.join(directory, name)));
			const deadline = Date.now() + 60_000;
			while (!landed && !gone() && Date.now() < deadline) await sleep(250);
			if (!landed && gone()) throw new Error(`the execution ended and committed its files before the reply to ${command} #${nth} was held: ${describeExecution(e)}`);
			await held;
		});
		endedUnheld.catch(() => undefined);
		await Promise.race([held, endedUnheld]);
		armed = undefined;
		onHold = async () => {};
		// n8n answers 503 "Database is not ready!" until its connection monitor has pinged the database again
		const readyMs = await untilReady(n8n, 120_000);

		// the execution must end where the user sees it: never left "running" or "new" for good
		const first = await waitForExecution(n8n, executionId, 240_000);
		const again = await waitForExecution(n8n, await executeManually(n8n, workflowId, SCHEDULE), 180_000);
		if (again.status !== 'success') throw new Error(`the run after the restart failed: ${describeExecution(again)}`);

		const figures: Figures = { documents: FILES, lost: 0, twice: 0 };
		for (let i = 0; i < FILES; i++) {
			const posted = receiver.received('POST', `/api/invoices/${encodeURIComponent(invoices[i])}/payments`).length;
			if (posted === 0 && !existsSync(path.join(directory, names[i]))) figures.lost++;
			if (posted > 1) figures.twice++;
		}
		const left = names.filter((name) => existsSync(path.join(directory, name))).length;
		console.log(
			`queue mode, ${restart.join(' ')} (${restartMs} ms, main ready again ${readyMs} ms later) while the reply to ${command} #${nth} was held: ` +
				`first execution ${describeExecution(await getExecution(n8n, first.id))}; ` +
				`${figures.documents} documents, ${figures.lost} lost, ${figures.twice} twice, ${left} still on the server`,
		);
		expect(['success', 'error']).toContain(first.status);
		expect(left).toBe(0);
		return figures;
	}

	test('Redis restarted while the worker waits for the first RETR: every payment reaches the ERP once', async () => {
		expect(await restartedRun('redis', 'RETR', 1, ['restart-redis'])).toEqual({ documents: FILES, lost: 0, twice: 0 });
	}, 600_000);

	test('PostgreSQL restarted while the worker waits for the first DELE: every payment reaches the ERP once', async () => {
		expect(await restartedRun('pg', 'DELE', 1, ['restart-postgres'])).toEqual({ documents: FILES, lost: 0, twice: 0 });
	}, 600_000);

});
