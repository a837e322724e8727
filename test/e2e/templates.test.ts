/**
 * The workflow templates of workflows-templates/ in the real n8n server, used the way a user uses them.
 * First the files themselves: every parameter a template sets exists in its node (and every fixed choice is
 * one of its options), no credentials or secrets, only example URLs, connected left to right, a picture each.
 * Then, for each template: a fresh n8n user folder with the packed package; test credentials that point at the
 * test servers, imported with `n8n import:credentials`; the template, with its placeholder ERP URLs pointed
 * at a local HTTP receiver and its folders, directories and addresses set to the test setup, imported
 * with `n8n import:workflow` (both through scripts/n8n-server.sh import, as `npm start` does); then n8n is
 * started and the template run: a workflow with a polling trigger is switched on (published) and its first
 * poll awaited, a scheduled or manual workflow is run with "Execute workflow". The effects are checked where
 * they happen: the ERP receiver, the mailboxes (Dovecot, via Postfix) and the FTP server's directory.
 *
 * Needs the test servers (scripts/test-servers.sh), `bash scripts/n8n-server.sh install` and `npm run build`.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { writeOpenTrans } from '../../nodes/shared/documents/orders';
import { loadServers } from '../helpers/servers';
import { HttpReceiver } from './httpReceiver';
import { appendMails, createFolders, fileMails, randomTag, readFolder, waitForMails } from './mailboxes';
import { N8nInstance, n8nMode, runScript, START_TIMEOUT_S } from './n8nInstance';
import { templateProblems } from './templateChecks';
import {
	credentialNames,
	describeExecution,
	executeManually,
	getExecution,
	nodeNamed,
	outputOf,
	publish,
	readTemplate,
	replaceUrls,
	TEMPLATES_DIR,
	waitForExecution,
	waitForExecutions,
	writeCredentials,
	writeTemplates,
	type CredentialExport,
	type Execution,
	type ExecutionSummary,
	type Template,
} from './templateRuns';

const servers = loadServers();
/** A seller as a user enters it over the template's placeholders. */
const SELLER = {
	name: 'Muster Handel GmbH',
	street: 'Hauptstraße 1',
	zip: '10115',
	city: 'Berlin',
	country: 'DE',
	vatId: 'DE123456789',
	contactName: 'Buchhaltung',
	email: 'buchhaltung@example.com',
	phone: '+49 30 1234567',
	iban: 'DE89 3704 0044 0532 0130 00',
	bic: 'COBADEFFXXX',
	bankName: 'Commerzbank',
};
const FIXTURES = path.join(__dirname, '../fixtures');
const fixture = (...parts: string[]) => readFileSync(path.join(FIXTURES, ...parts));
const ERP_PLACEHOLDER = 'https://erp.example.com';
const BEARER = `Bearer e2e-${randomTag()}`;
// generous: on a loaded 2-core box an n8n start, the CLI imports and a first run took over 6 minutes
const SETUP_TIMEOUT = (START_TIMEOUT_S + 480) * 1000;

/** The test credentials, under the names the templates refer to (README: "create credentials named …"). */
function credentialsFor(names: string[]): CredentialExport[] {
	const u = servers.users;
	const imap = (who: 'alice' | 'bob') => ({ host: servers.host, port: servers.imap.tlsPort, security: 'tls', user: u[who].user, password: u[who].password, allowSelfSigned: true });
	const smtp = (who: 'alice' | 'carol') => ({
		host: servers.host,
		port: servers.smtp.submissionPort,
		security: 'starttls',
		user: u[who].user,
		password: u[who].password,
		senderAddress: u[who].address,
		senderName: who,
		allowSelfSigned: true,
	});
	const all: Record<string, Omit<CredentialExport, 'name'>> = {
		'backofficeImapApi/Backoffice IMAP (delivery notes)': { id: 'e2eImapDelivery1', type: 'backofficeImapApi', data: imap('alice') },
		'backofficeImapApi/Backoffice IMAP (orders)': { id: 'e2eImapOrders001', type: 'backofficeImapApi', data: imap('bob') },
		'backofficeImapApi/Backoffice IMAP (invoices)': { id: 'e2eImapInvoice01', type: 'backofficeImapApi', data: imap('alice') },
		'backofficeFtpApi/Backoffice FTP (bank files)': {
			id: 'e2eFtpBank000001',
			type: 'backofficeFtpApi',
			data: { protocol: 'ftpsExplicit', host: servers.host, port: servers.ftp.port, user: u.ftp.user, password: u.ftp.password, allowSelfSigned: true },
		},
		'backofficeSmtpApi/Backoffice SMTP (accounting)': { id: 'e2eSmtpAccount01', type: 'backofficeSmtpApi', data: smtp('alice') },
		'backofficeSmtpApi/Backoffice SMTP (invoices)': { id: 'e2eSmtpInvoice01', type: 'backofficeSmtpApi', data: smtp('alice') },
		'backofficeSmtpApi/Backoffice SMTP (home office)': { id: 'e2eSmtpHomeOff01', type: 'backofficeSmtpApi', data: smtp('carol') },
		'httpHeaderAuth/ERP API': { id: 'e2eErpApi0000001', type: 'httpHeaderAuth', data: { name: 'Authorization', value: BEARER } },
		'httpHeaderAuth/Home office system API': { id: 'e2eHomeApi000001', type: 'httpHeaderAuth', data: { name: 'Authorization', value: BEARER } },
		// n8n's own SMTP credential (Send Email): Postfix's relay port for the local network, no login
		'smtp/SMTP (notifications)': {
			id: 'e2eSmtpNotify001',
			type: 'smtp',
			data: { host: servers.host, port: servers.smtp.port, secure: false, disableStartTls: true, user: '', password: '' },
		},
	};
	return names.map((key) => {
		const c = all[key];
		if (!c) throw new Error(`no test credential for ${key}: add one to credentialsFor()`);
		return { ...c, name: key.slice(key.indexOf('/') + 1) };
	});
}

/**
 * Queue mode (templates-queue.test.ts): one main with two workers for every template (three n8n processes
 * per template would take minutes to start); each describe block imports its templates into it (CLI, while
 * it runs: the main reads workflows and credentials from PostgreSQL).
 */
let queueInstance: N8nInstance | undefined;
/** The package installed once into a user folder; each n8n instance copies it (user-folder then checks it). */
let packageFolder = '';
const instances: N8nInstance[] = [];
const receivers: HttpReceiver[] = [];

beforeAll(async () => {
	packageFolder = mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-package-'));
	runScript(['user-folder', packageFolder]);
	if (n8nMode() === 'queue') queueInstance = await N8nInstance.start({ label: 'n8n-e2e-queue', nodesFrom: packageFolder });
}, 300_000 + 3 * START_TIMEOUT_S * 1000);

afterAll(async () => {
	for (const n8n of instances) n8n.stop();
	queueInstance?.stop();
	for (const r of receivers) await r.stop();
	if (packageFolder) rmSync(packageFolder, { recursive: true, force: true });
}, 120_000);

/** A fresh n8n with the credentials the templates name and the adapted templates imported (CLI), started. */
async function startWith(label: string, templates: Template[]): Promise<N8nInstance> {
	const prepare = (instance: N8nInstance) => {
		const names = [...new Set(templates.flatMap(credentialNames))];
		const credentials = writeCredentials(path.join(instance.userDir, `e2e-credentials-${label}.json`), credentialsFor(names));
		const dir = writeTemplates(path.join(instance.userDir, `e2e-templates-${label}`), templates);
		instance.importTemplates(dir, credentials);
	};
	if (queueInstance) {
		prepare(queueInstance);
		return queueInstance;
	}
	const n8n = await N8nInstance.start({ label: `n8n-e2e-${label}`, nodesFrom: packageFolder, prepare });
	instances.push(n8n);
	return n8n;
}

/** Stops what a describe block started (n8n uses a few hundred MB; five at once are not needed). */
async function release(...things: Array<N8nInstance | HttpReceiver | undefined>): Promise<void> {
	for (const thing of things) {
		if (thing instanceof N8nInstance) {
			if (thing === queueInstance) continue; // stopped by the last afterAll
			thing.stop();
			if (instances.includes(thing)) instances.splice(instances.indexOf(thing), 1);
		} else if (thing) {
			await thing.stop();
			if (receivers.includes(thing)) receivers.splice(receivers.indexOf(thing), 1);
		}
	}
}

async function startReceiver(setup: (r: HttpReceiver) => void): Promise<HttpReceiver> {
	const receiver = new HttpReceiver();
	setup(receiver);
	await receiver.start();
	receivers.push(receiver);
	return receiver;
}

function expectSucceeded(execution: Execution): void {
	if (execution.status !== 'success') throw new Error(`the template's run failed: ${describeExecution(execution)}`);
}

// ------------------------------------------------------------------------------------------------------------
describe('the template files', () => {
	const files = readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.json')).sort();
	const templates = files.map((f) => [f, readTemplate(f)] as const);

	test('are the six workflows of the five processes', () => {
		expect(files).toEqual([
			'delivery-notes-goods-receipt.json',
			'e-invoice-three-way-match.json',
			'monthly-invoice-run.json',
			'order-exchange-head-office.json',
			'order-exchange-home-office.json',
			'payment-import-invoices-paid.json',
		]);
		// fixed ids: importing again replaces a template instead of adding a copy
		const ids = templates.map(([, t]) => t.id);
		expect(new Set(ids).size).toBe(ids.length);
		for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{8,21}$/);
	});

	test.each(files)('%s: every parameter exists in its node and every choice is one of its options', (file) => {
		expect(templateProblems(readTemplate(file))).toEqual([]);
	});

	test.each(files)('%s: has sticky notes, unique node names and ids, and no node left unconnected', (file) => {
		const t = readTemplate(file);
		const stickies = t.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote');
		const nodes = t.nodes.filter((n) => n.type !== 'n8n-nodes-base.stickyNote');
		expect(stickies.length).toBeGreaterThan(0);
		expect(new Set(t.nodes.map((n) => n.name)).size).toBe(t.nodes.length);
		expect(new Set(t.nodes.map((n) => n.id)).size).toBe(t.nodes.length);
		const connected = new Set<string>();
		for (const [source, outputs] of Object.entries(t.connections)) {
			for (const targets of outputs.main) for (const target of targets ?? []) connected.add(source).add(target.node);
		}
		expect(nodes.filter((n) => !connected.has(n.name)).map((n) => n.name)).toEqual([]);
		// laid out left to right: every connection goes to a node further right
		const x = new Map(t.nodes.map((n) => [n.name, n.position[0]]));
		for (const [source, outputs] of Object.entries(t.connections)) {
			for (const targets of outputs.main) for (const target of targets ?? []) expect([source, target.node, x.get(target.node)! > x.get(source)!]).toEqual([source, target.node, true]);
		}
	});

	test.each(files)('%s: carries no credentials or secrets, only credential names and example URLs', (file) => {
		const text = readFileSync(path.join(TEMPLATES_DIR, file), 'utf8');
		const t = JSON.parse(text) as Template;
		for (const node of t.nodes) {
			for (const reference of Object.values(node.credentials ?? {})) expect(reference).toEqual({ id: null, name: expect.any(String) });
		}
		expect(text).not.toMatch(/"(password|secret|token|apiKey|accessToken)"\s*:/i);
		const hosts = [...text.matchAll(/https?:\/\/([^/\s"'{}\\]+)/g)].map((m) => m[1]);
		expect(hosts.filter((h) => !/(^|\.)example\.com$/.test(h))).toEqual([]);
	});

	test.each(files)('%s: has its picture, and the README shows it', (file) => {
		const picture = `images/${file.replace(/\.json$/, '.png')}`;
		expect(existsSync(path.join(TEMPLATES_DIR, picture))).toBe(true);
		const readme = readFileSync(path.join(TEMPLATES_DIR, 'README.md'), 'utf8');
		expect(readme).toContain(`](${picture})`);
		expect(readme).toContain(file);
	});
});

// ------------------------------------------------------------------------------------------------------------
describe('template: supplier delivery notes → goods receipt', () => {
	const file = 'delivery-notes-goods-receipt.json';
	const TRIGGER = 'Read delivery notes from mailbox';
	const tag = randomTag();
	let n8n: N8nInstance;
	let receiver: HttpReceiver;
	let folders: { inbox: string; archive: string; error: string };
	let execution: Execution;

	beforeAll(async () => {
		receiver = await startReceiver((r) =>
			r.on('POST', '/api/goods-receipts', (req) => {
				// the ERP refuses the delivery note whose mail says so: the template's "ERP refused" branch
				const subject = String((req.body as { mailSubject?: string }).mailSubject ?? '');
				return subject.includes('REFUSE') ? { status: 422, body: { message: 'unknown order number' } } : { status: 201, body: { id: 'GR-1' } };
			}),
		);
		folders = await createFolders('alice', `INBOX/e2e-template-${tag}`, { inbox: 'Eingang', archive: 'Archiv', error: 'Fehler' });
		const supplier = 'lieferschein@itscope.example';
		await appendMails('alice', folders.inbox, [
			{
				from: `ITscope Lieferavis <${supplier}>`,
				to: servers.users.alice.address,
				subject: `Lieferavis 39076516 ${tag}`,
				attachments: [{ filename: 'Lieferavis_39076516.xml', content: fixture('opentrans', 'dispatchnotification-itscope.xml') }],
			},
			{
				from: `ITscope Lieferavis <${supplier}>`,
				to: servers.users.alice.address,
				subject: `Lieferavis REFUSE ${tag}`,
				attachments: [{ filename: 'lieferavis.xml', content: fixture('opentrans', 'minimal_valid_dispatchnotification_with_delivery_reference.xml') }],
			},
			{
				from: `ITscope Lieferavis <${supplier}>`,
				to: servers.users.alice.address,
				subject: `Lieferavis kaputt ${tag}`,
				attachments: [{ filename: 'kaputt.xml', content: '<?xml version="1.0"?><DISPATCHNOTIFICATION version="2.1"><DISPATCHNOTIFICATION_HEADER>' }],
			},
			{
				from: 'Newsletter <news@shop.example>',
				to: servers.users.alice.address,
				subject: `Angebote der Woche ${tag}`,
				attachments: [{ filename: 'angebote.xml', content: '<angebote/>' }],
			},
		]);

		const template = replaceUrls(readTemplate(file), ERP_PLACEHOLDER, receiver.baseUrl);
		const trigger = nodeNamed(template, TRIGGER);
		const locator = (value: string) => ({ __rl: true, mode: 'path', value });
		Object.assign(trigger.parameters, {
			inboxFolder: locator(folders.inbox),
			archiveFolder: locator(folders.archive),
			errorFolder: locator(folders.error),
			suppliers: { supplier: [{ name: 'ITscope', sender: supplier, format: 'opentrans' }] },
		});
		for (const name of ['Mail the administrators: ERP refused', 'Mail the administrators: mail not read']) {
			Object.assign(nodeNamed(template, name).parameters, { fromEmail: `n8n <n8n@backoffice.test>`, toEmail: servers.users.admin.address });
		}

		n8n = await startWith('delivery-notes', [template]);
		// switched on: n8n polls the mailbox at once, then on the template's schedule
		await publish(n8n, template.id);
		[execution] = await waitForExecutions(n8n, template.id, 1);
	}, SETUP_TIMEOUT);

	afterAll(async () => await release(n8n, receiver), 60_000);

	test('the first poll runs the whole workflow without error', () => {
		expectSucceeded(execution);
		expect(execution.mode).toBe('trigger');
		expect(outputOf(execution, TRIGGER, 0).map((n) => n.deliveryNoteNumber)).toHaveLength(2);
		expect(outputOf(execution, TRIGGER, 1).map((n) => n.reason).sort()).toEqual(['PARSE_ERROR', 'UNKNOWN_SENDER']);
	});

	test('posts each delivery note to the ERP, with the ERP credential', () => {
		const posted = receiver.received('POST', '/api/goods-receipts');
		expect(posted).toHaveLength(2);
		for (const request of posted) expect(request.headers.authorization).toBe(BEARER);
		const itscope = posted.map((r) => r.body as Record<string, unknown>).find((b) => b.deliveryNoteNumber === '39076516');
		expect(itscope).toMatchObject({ supplier: 'ITscope', mailSubject: `Lieferavis 39076516 ${tag}` });
		expect((itscope?.lines as unknown[]).length).toBeGreaterThan(0);
	});

	test('moves the supplier mails to the archive folder and the unknown sender to the error folder', async () => {
		expect(await readFolder('alice', folders.inbox)).toEqual([]);
		expect((await readFolder('alice', folders.archive)).map((m) => m.subject).sort()).toEqual([`Lieferavis 39076516 ${tag}`, `Lieferavis REFUSE ${tag}`]);
		expect((await readFolder('alice', folders.error)).map((m) => m.subject).sort()).toEqual([`Angebote der Woche ${tag}`, `Lieferavis kaputt ${tag}`]);
	});

	test('mails the administrators about each mail it could not read, with reason, subject and sender', async () => {
		const [unknown] = await waitForMails('admin', `Angebote der Woche ${tag}`);
		expect(unknown?.subject).toBe(`Delivery note mail not read (UNKNOWN_SENDER): Angebote der Woche ${tag}`);
		expect(unknown.text).toContain('news@shop.example');
		expect(unknown.text).toContain(folders.error);
		// a broken delivery note: the file goes along, for whoever fixes it
		const [broken] = await waitForMails('admin', `Lieferavis kaputt ${tag}`);
		expect(broken?.subject).toBe(`Delivery note mail not read (PARSE_ERROR): Lieferavis kaputt ${tag}`);
		expect(broken.text).toContain('kaputt.xml');
		expect(broken.attachments.map((a) => a.filename)).toEqual(['kaputt.xml']);
	});

	test('mails the administrators about the delivery note the ERP refused', async () => {
		const [mail] = await waitForMails('admin', `Lieferavis REFUSE ${tag}`);
		expect(mail?.subject).toMatch(/^Goods receipt not posted: delivery note .+ from ITscope$/);
		expect(mail.text).toContain('422');
		expect(mail.text).toContain(folders.archive);
	});
});

// ------------------------------------------------------------------------------------------------------------
describe('template: daily payment import → invoices paid', () => {
	const file = 'payment-import-invoices-paid.json';
	const SCHEDULE = 'Every weekday at 06:00';
	const IMPORT = 'Import bank files and match payments';
	const tag = randomTag();
	const invoice = (n: number) => `RE-${tag.toUpperCase()}-${n}`;
	const statement = `camt053_${tag}.xml`;
	const broken = `kaputt_${tag}.xml`;
	let n8n: N8nInstance;
	let receiver: HttpReceiver;
	let directory: string;
	let execution: Execution;

	beforeAll(async () => {
		receiver = await startReceiver((r) => {
			r.on('GET', '/api/invoices', {
				body: [
					{ invoiceNumber: invoice(1), openAmount: '119.00', currency: 'EUR', customerName: 'Bäckerei Weiß GmbH' },
					{ invoiceNumber: invoice(2), openAmount: '200.00', currency: 'EUR', customerName: 'Optik Meyer' },
					{ invoiceNumber: invoice(3), openAmount: '55.00', currency: 'EUR', customerName: 'Nicht bezahlt KG' },
				],
			});
			r.on('POST', /^\/api\/invoices\/[^/]+\/payments$/, { status: 201, body: { ok: true } });
		});
		// the bank's files in a directory of the FTP user (vsftpd serves servers.ftp.home)
		directory = path.join(servers.ftp.home, `e2e-template-${tag}`);
		mkdirSync(directory, { recursive: true });
		chmodSync(directory, 0o777);
		for (const [name, content] of [
			[
				statement,
				camt053([
					{ amount: '119.00', payer: 'Bäckerei Weiß GmbH', iban: 'DE02120300000000202051', text: `Rechnung ${invoice(1)} vielen Dank` },
					{ amount: '50.00', payer: 'Optik Meyer', iban: 'DE02500105170137075030', text: `Teilzahlung ${invoice(2)}` },
					{ amount: '77.77', payer: `Max Mustermann ${tag}`, iban: 'DE02100100100006820101', text: 'Spende Sommerfest' },
				]),
			],
			[broken, '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>'],
		] as const) {
			writeFileSync(path.join(directory, name), content);
			chmodSync(path.join(directory, name), 0o666);
		}

		const template = replaceUrls(readTemplate(file), ERP_PLACEHOLDER, receiver.baseUrl);
		Object.assign(nodeNamed(template, IMPORT).parameters, { directory: `/e2e-template-${tag}/`, errorReportTo: servers.users.admin.address });
		Object.assign(nodeNamed(template, 'Mail accounting: unmatched payments').parameters, {
			fromEmail: 'n8n <n8n@backoffice.test>',
			toEmail: servers.users.admin.address,
		});

		n8n = await startWith('payment-import', [template]);
		// switched on as a user would; the schedule (weekdays 06:00) does not fire during the test, so the
		// run is the one of the editor's "Execute workflow" button
		await publish(n8n, template.id);
		execution = await waitForExecution(n8n, await executeManually(n8n, template.id, SCHEDULE));
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		await release(n8n, receiver);
		if (directory) rmSync(directory, { recursive: true, force: true });
	}, 60_000);

	test('runs the whole workflow without error', () => {
		expectSucceeded(execution);
		expect(outputOf(execution, IMPORT, 0).map((p) => p.status).sort()).toEqual(['paid', 'partially paid', 'unmatched']);
		expect(outputOf(execution, IMPORT, 1).map((e) => e.file)).toEqual([broken]);
	});

	test('fetches the open invoices and marks the paid ones paid in the ERP', () => {
		const fetched = receiver.received('GET', '/api/invoices');
		expect(fetched).toHaveLength(1);
		expect(fetched[0].query).toEqual({ status: 'open' });
		expect(fetched[0].headers.authorization).toBe(BEARER);
		const marked = receiver.received('POST', /^\/api\/invoices\/[^/]+\/payments$/);
		expect(marked.map((r) => r.path).sort()).toEqual([`/api/invoices/${invoice(1)}/payments`, `/api/invoices/${invoice(2)}/payments`]);
		const body = (n: number) => marked.find((r) => r.path.includes(invoice(n)))?.body as Record<string, string>;
		expect([Number(body(1).amount), Number(body(1).remainingAmount)]).toEqual([119, 0]);
		expect([Number(body(2).amount), Number(body(2).remainingAmount)]).toEqual([50, 150]);
		expect(body(1)).toMatchObject({ currency: 'EUR', payer: 'Bäckerei Weiß GmbH', sourceFile: statement, paidDate: '2026-01-05' });
		for (const request of marked) expect(request.headers.authorization).toBe(BEARER);
	});

	test('deletes the imported file from the FTP server and keeps the one that failed', async () => {
		// the import node (version 2) deletes once the execution has ended, right after n8n saved it
		await poll(async () => (readdirSync(directory).length > 1 ? undefined : true)).catch(() => undefined);
		expect(readdirSync(directory).sort()).toEqual([broken]);
	});

	test('mails the unmatched payments to accounting', async () => {
		const [mail] = await waitForMails('admin', `Max Mustermann ${tag}`);
		expect(mail?.subject).toMatch(/^1 payment\(s\) without an invoice: \d{4}-\d{2}-\d{2}$/);
		expect(mail.text).toContain('77.77 EUR');
		expect(mail.text).toContain('Spende Sommerfest');
		expect(mail.text).not.toContain(invoice(1));
	});

	test('reports the file that failed by mail, with the file', async () => {
		const [report] = await waitForMails('admin', broken);
		expect(report?.subject).toContain('Accounting FTP Import: 1 problem');
		expect(report.attachments.map((a) => a.filename)).toEqual([broken]);
	});
});

/** A camt.053.001.02 statement with one credit entry per payment (value date 2026-01-05). */
function camt053(payments: Array<{ amount: string; payer: string; iban: string; text: string }>): string {
	const entry = (p: (typeof payments)[number], i: number) => `
			<Ntry>
				<Amt Ccy="EUR">${p.amount}</Amt>
				<CdtDbtInd>CRDT</CdtDbtInd>
				<Sts>BOOK</Sts>
				<BookgDt><Dt>2026-01-05</Dt></BookgDt>
				<ValDt><Dt>2026-01-05</Dt></ValDt>
				<AcctSvcrRef>E2E-${i + 1}</AcctSvcrRef>
				<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
				<NtryDtls>
					<TxDtls>
						<RltdPties>
							<Dbtr><Nm>${p.payer}</Nm></Dbtr>
							<DbtrAcct><Id><IBAN>${p.iban}</IBAN></Id></DbtrAcct>
						</RltdPties>
						<RmtInf><Ustrd>${p.text}</Ustrd></RmtInf>
					</TxDtls>
				</NtryDtls>
			</Ntry>`;
	return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
	<BkToCstmrStmt>
		<GrpHdr><MsgId>E2E-TEMPLATE</MsgId><CreDtTm>2026-01-05T18:00:00+01:00</CreDtTm></GrpHdr>
		<Stmt>
			<Id>E2E-TEMPLATE-1</Id>
			<CreDtTm>2026-01-05T18:00:00+01:00</CreDtTm>
			<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>${payments.map(entry).join('')}
		</Stmt>
	</BkToCstmrStmt>
</Document>
`;
}

// ------------------------------------------------------------------------------------------------------------
describe('template: monthly invoice run', () => {
	const file = 'monthly-invoice-run.json';
	const SCHEDULE = 'On the 1st of every month at 07:00';
	const MAILER = 'Mail invoices to customers';
	const tag = randomTag();
	const invoice = (n: number) => `RE-${tag.toUpperCase()}-${n}`;
	const customerMail = `einkauf@kunde-${tag}.example`;
	let n8n: N8nInstance;
	let receiver: HttpReceiver;
	let execution: Execution;

	const invoiceJson = (number: string, customer: Record<string, unknown>, lines?: unknown[]) => ({
		invoiceNumber: number,
		invoiceDate: '2026-01-31',
		deliveryDate: '2026-01-31',
		dueDate: '2026-02-14',
		currency: 'EUR',
		customer: { street: 'Lindenallee 17', zip: '80331', city: 'München', country: 'DE', ...customer },
		lines: lines ?? [
			{ description: 'Wartung Januar', quantity: 1, unit: 'Stk', netUnitPrice: 100, vatRate: 19 },
			{ description: 'Anfahrt', quantity: '2.5', unit: 'Std', netUnitPrice: '40.00', vatRate: '19' },
		],
	});

	beforeAll(async () => {
		receiver = await startReceiver((r) =>
			r.on('GET', '/api/invoices', {
				body: [
					invoiceJson(invoice(1), { number: 'K-1', name: `Kunde Eins ${tag}`, email: customerMail }),
					invoiceJson(invoice(2), { number: 'K-1', name: `Kunde Eins ${tag}`, email: customerMail }),
					invoiceJson(invoice(3), { number: 'K-2', name: 'Papier GmbH', email: `post@kunde-${tag}.example`, invoiceByPost: 'ja' }),
					invoiceJson(invoice(4), { number: 'K-3', name: 'Ohne Mail KG' }),
					// a line without VAT rate: the invoice cannot be written, it goes to Failed
					invoiceJson(invoice(5), { number: 'K-4', name: 'Unvollständig AG', email: `info@kunde-${tag}.example` }, [
						{ description: 'Beratung', quantity: 1, unit: 'Std', netUnitPrice: 90 },
					]),
				],
			}),
		);
		const template = replaceUrls(readTemplate(file), ERP_PLACEHOLDER, receiver.baseUrl);
		// the template's seller is placeholders the node refuses: filled in as a user does
		Object.assign(nodeNamed(template, MAILER).parameters, { seller: { details: SELLER } });
		Object.assign(nodeNamed(template, 'Mail the summary to accounting').parameters, {
			fromEmail: 'n8n <n8n@backoffice.test>',
			toEmail: servers.users.admin.address,
		});
		n8n = await startWith('invoice-run', [template]);
		await publish(n8n, template.id);
		execution = await waitForExecution(n8n, await executeManually(n8n, template.id, SCHEDULE));
	}, SETUP_TIMEOUT);

	afterAll(async () => await release(n8n, receiver), 60_000);

	test('runs the whole workflow without error', () => {
		expectSucceeded(execution);
		expect(receiver.received('GET', '/api/invoices')[0]?.headers.authorization).toBe(BEARER);
		expect(outputOf(execution, MAILER, 0).map((m) => m.invoiceNumbers)).toEqual([[invoice(1), invoice(2)]]);
		expect(outputOf(execution, MAILER, 1).map((m) => [m.invoiceNumber, m.reason])).toEqual([
			[invoice(3), 'invoice by post'],
			[invoice(4), 'no e-mail'],
		]);
		expect(outputOf(execution, MAILER, 2).map((m) => m.invoiceNumber)).toEqual([invoice(5)]);
	});

	test("delivers one mail per customer to the customer's mailbox, with a Factur-X PDF per invoice", async () => {
		const mails = await waitForMails('sink', invoice(1));
		expect(mails).toHaveLength(1);
		expect(mails[0].to).toEqual([customerMail]);
		expect(mails[0].subject).toContain(invoice(2));
		const pdfs = mails[0].attachments.filter((a) => a.contentType === 'application/pdf');
		expect(pdfs.map((a) => a.filename).sort()).toEqual([`${invoice(1)}.pdf`, `${invoice(2)}.pdf`]);
		// the template sends ZUGFeRD / Factur-X: each PDF carries the invoice as factur-x.xml
		for (const pdf of pdfs) expect(pdf.content.includes('factur-x.xml')).toBe(true);
		expect(await waitForMails('sink', invoice(3), 1, 2_000)).toEqual([]);
	});

	test('mails accounting a summary of what was sent, skipped (with the reason) and failed', async () => {
		const [summary] = await waitForMails('admin', invoice(4));
		expect(summary?.subject).toMatch(/^Invoice run \d{4}-\d{2}-\d{2}: 1 sent, 2 skipped, 1 failed$/);
		expect(summary.text).toContain(`${invoice(1)}, ${invoice(2)} to ${customerMail}`);
		expect(summary.text).toMatch(new RegExp(`${invoice(3)} Papier GmbH: invoice by post`));
		expect(summary.text).toMatch(new RegExp(`${invoice(4)} Ohne Mail KG: no e-mail`));
		expect(summary.text).toContain(`${invoice(5)} Unvollständig AG:`);
	});
});

// ------------------------------------------------------------------------------------------------------------
describe('template: order exchange between home office and head office', () => {
	const homeFile = 'order-exchange-home-office.json';
	const headFile = 'order-exchange-head-office.json';
	const START = 'Send new orders now';
	const SEND = 'Send orders to head office by mail';
	const RECEIVE = 'Receive orders from mailbox';
	const MATCH = 'Match articles and addresses';
	const HOME_PLACEHOLDER = 'https://homeoffice.example.com';
	const tag = randomTag();
	const base = 10000 + Math.floor(Math.random() * 8999);
	const uploaded = `HO1-${base + 3}`;
	const notMarked = `HO1-${base + 4}`;
	const exact = `HO1-${base}`;
	const similar = `HO1-${base + 1}`;
	const outOfRange = `HO1-${base + 20000}`;
	let home: N8nInstance;
	let head: N8nInstance;
	let receiver: HttpReceiver;
	let folders: { inbox: string; archive: string; error: string };
	let sent: Execution;
	let received: Execution;

	const order = (number: string, customer: Record<string, string>, lines: Array<Record<string, unknown>>) => ({
		type: 'order',
		// the home office marks what it transfers (the template's "Only the marked documents")
		marked: true,
		number,
		date: '2026-01-20',
		currency: 'EUR',
		customer,
		lines,
		remarks: `e2e ${tag}`,
	});

	beforeAll(async () => {
		receiver = await startReceiver((r) => {
			// the home office's system
			r.on('GET', '/api/orders', {
				body: [
					order(exact, { name: 'Bäckerei Weiß GmbH', street: 'Hauptstraße 5', zip: '50667', city: 'Köln' }, [
						{ articleNumber: 'A-100', description: 'Brotkorb', quantity: 2, unit: 'C62', netPrice: '12.50', vatRate: '19' },
					]),
					order(similar, { name: 'Optik Maier', street: 'Bahnhofstr. 12', zip: '80335', city: 'München' }, [
						{ articleNumber: 'Z-999', description: 'Sonderanfertigung', quantity: 1, unit: 'C62', netPrice: '99.00', vatRate: '19' },
					]),
					order(outOfRange, { name: 'Bäckerei Weiß GmbH', street: 'Hauptstraße 5', zip: '50667', city: 'Köln' }, [
						{ articleNumber: 'A-100', description: 'Brotkorb', quantity: 1, unit: 'C62', netPrice: '12.50', vatRate: '19' },
					]),
					{ ...order(`HO1-${base + 2}`, { name: 'Irgendwer', street: 'Weg 1', zip: '10115', city: 'Berlin' }, []), type: 'invoice' },
					{ ...order(notMarked, { name: 'Bäckerei Weiß GmbH', street: 'Hauptstraße 5', zip: '50667', city: 'Köln' }, []), marked: false },
				],
			});
			r.on('POST', /^\/api\/orders\/[^/]+\/sent$/, { body: { ok: true } });
			// the head office's ERP
			r.on('GET', '/api/articles', { body: [{ articleNumber: 'A-100' }, { articleNumber: 'A-200' }] });
			r.on('GET', '/api/customers', {
				body: [
					{ id: 'K1', customerNumber: '10001', name: 'Bäckerei Weiß GmbH', street: 'Hauptstraße 5', zip: '50667', city: 'Köln' },
					{ id: 'K2', customerNumber: '10002', name: 'Optik Meyer', street: 'Bahnhofstraße 12', zip: '80335', city: 'München' },
				],
			});
			r.on('POST', '/api/orders', { status: 201, body: { id: 'SO-1' } });
		});
		folders = await createFolders('bob', `INBOX/e2e-orders-${tag}`, { inbox: 'Eingang', archive: 'Archiv', error: 'Fehler' });

		const homeTemplate = replaceUrls(readTemplate(homeFile), HOME_PLACEHOLDER, receiver.baseUrl);
		Object.assign(nodeNamed(homeTemplate, SEND).parameters, { recipient: servers.users.bob.address });
		const headTemplate = replaceUrls(readTemplate(headFile), ERP_PLACEHOLDER, receiver.baseUrl);
		const locator = (value: string) => ({ __rl: true, mode: 'path', value });
		Object.assign(nodeNamed(headTemplate, RECEIVE).parameters, {
			inboxFolder: locator(folders.inbox),
			archiveFolder: locator(folders.archive),
			errorFolder: locator(folders.error),
		});
		for (const name of ['Mail order for review', 'Mail the administrators: not imported']) {
			Object.assign(nodeNamed(headTemplate, name).parameters, { fromEmail: 'n8n <n8n@backoffice.test>', toEmail: servers.users.admin.address });
		}

		// two sites, two n8n instances
		home = await startWith('home-office', [homeTemplate]);
		head = await startWith('head-office', [headTemplate]);

		// home office: the user clicks "Execute workflow"
		sent = await waitForExecution(home, await executeManually(home, homeTemplate.id, START));
		// the head office's mail server files the order mails into the order folder (a mail rule)
		for (const number of [exact, similar, outOfRange]) await fileMails('bob', number, folders.inbox, 1);
		// head office: switched on; its schedule (every 15 minutes) is not waited for
		await publish(head, headTemplate.id);
		received = await waitForExecution(head, await executeManually(head, headTemplate.id, 'Every 15 minutes'));
	}, 2 * SETUP_TIMEOUT);

	afterAll(async () => await release(home, head, receiver), 60_000);

	test('the home office sends the orders (not the invoice) and marks them as sent', () => {
		expectSucceeded(sent);
		expect(receiver.received('GET', '/api/orders')[0]?.headers.authorization).toBe(BEARER);
		expect(outputOf(sent, SEND, 0).map((s) => s.number)).toEqual([exact, similar, outOfRange]);
		expect(outputOf(sent, SEND, 1).map((s) => [s.number, s.reason])).toEqual([[`HO1-${base + 2}`, 'notTransferable']]);
		expect(receiver.received('POST', /^\/api\/orders\/[^/]+\/sent$/).map((r) => r.path)).toEqual(
			[exact, similar, outOfRange].map((n) => `/api/orders/${n}/sent`),
		);
	});

	test('an order the home office did not mark is neither sent nor marked as sent', () => {
		expect(outputOf(sent, 'Only the marked documents', 0).map((o) => o.number)).not.toContain(notMarked);
		expect(outputOf(sent, SEND, 1).map((s) => s.number)).not.toContain(notMarked);
		expect(receiver.received('POST', /^\/api\/orders\/[^/]+\/sent$/).map((r) => r.path)).not.toContain(`/api/orders/${notMarked}/sent`);
	});

	test('the head office receives them, creates the matched order in its ERP and moves the mails', async () => {
		expectSucceeded(received);
		expect(outputOf(received, RECEIVE, 0).map((o) => o.number).sort()).toEqual([exact, similar].sort());
		const created = receiver.received('POST', '/api/orders');
		expect(created).toHaveLength(1);
		expect(created[0].headers.authorization).toBe(BEARER);
		expect(created[0].body).toMatchObject({
			type: 'order',
			number: exact,
			site: 'homeoffice-1',
			customer: { name: 'Bäckerei Weiß GmbH', addressId: 'K1' },
			lines: [expect.objectContaining({ articleNumber: 'A-100', articleLinked: true })],
		});
		expect(await readFolder('bob', folders.inbox)).toEqual([]);
		expect((await readFolder('bob', folders.archive)).length).toBe(2);
		expect((await readFolder('bob', folders.error)).length).toBe(1);
	});

	test('the order with a merely similar customer goes to a person by mail, with the candidates', async () => {
		expect(outputOf(received, MATCH, 1).map((o) => o.number)).toEqual([similar]);
		const [mail] = await waitForMails('admin', similar);
		expect(mail?.subject).toBe(`Please check order ${similar} from homeoffice-1: Optik Maier`);
		expect(mail.text).toContain('Optik Meyer, Bahnhofstraße 12, 80335 München  (ID K2');
		expect(mail.text).toContain('Z-999 Sonderanfertigung  (article not in the article master)');
		expect(mail.attachments.map((a) => a.filename)).toEqual([expect.stringMatching(/\.xml$/)]);
	});

	test('the order outside the home office number range is refused and reported', async () => {
		const errors = outputOf(received, RECEIVE, 2);
		expect(errors.map((e) => e.number)).toEqual([outOfRange]);
		const [mail] = await waitForMails('admin', outOfRange);
		expect(mail?.subject).toContain(`not imported (${String(errors[0].reason)}) ${outOfRange}`);
		expect(mail.text).toContain('error folder');
	});
	test('a person picks the candidate in the form the review mail links to, and the order is created with that address', async () => {
		const [mail] = await waitForMails('admin', similar);
		const link = /https?:\/\/\S+\/form-waiting\/\S+/.exec(mail.text)?.[0];
		if (!link) throw new Error(`the review mail has no form link:\n${mail.text}`);
		const url = new URL(link);
		const form = head.baseUrl + url.pathname + url.search;
		// the mail leaves before the Wait node runs: the form is there once the order's execution waits
		const page = await poll(async () => {
			const res = await fetch(form);
			const html = await res.text();
			return res.ok && html.includes('Customer address') ? html : undefined;
		});
		expect(page).toContain(`Order ${similar}: which address?`);
		expect(page).toContain('Candidate 1: Optik Meyer, Bahnhofstraße 12, 80335 München (ID K2');
		expect(page).toContain('Imported address (create it): Optik Maier, Bahnhofstr. 12, 80335 München');
		expect(receiver.received('POST', '/api/orders').map((r) => (r.body as { number: string }).number)).not.toContain(similar);

		// the browser posts the form as multipart/form-data, its fields named field-0, field-1 …
		const answer = new FormData();
		answer.append('field-0', 'Candidate 1');
		const posted = await fetch(form, { method: 'POST', body: answer });
		expect(posted.status).toBeLessThan(400);

		const created = await poll(async () => receiver.received('POST', '/api/orders').find((r) => (r.body as { number: string }).number === similar));
		expect(created.headers.authorization).toBe(BEARER);
		expect(created.body).toMatchObject({
			number: similar,
			site: 'homeoffice-1',
			customer: { name: 'Optik Maier', street: 'Bahnhofstr. 12', addressId: 'K2' },
			lines: [expect.objectContaining({ articleNumber: 'Z-999', articleLinked: false })],
		});
	}, 300_000);

	test('the upload form imports an openTRANS file like a mailed one, and refuses an OfficeSI .qtf naming what it expects', async () => {
		const formUrl = `${head.baseUrl}/form/order-exchange-upload`;
		const page = await fetch(formUrl);
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('Upload an order file');

		const upload = async (name: string, bytes: Buffer, type: string): Promise<Response> => {
			const body = new FormData();
			body.append('field-0', new Blob([bytes], { type }), name);
			return await fetch(formUrl, { method: 'POST', body });
		};
		const order = writeOpenTrans({
			type: 'order',
			number: uploaded,
			date: '2026-01-21',
			site: 'homeoffice-1',
			currency: 'EUR',
			customer: { name: 'Bäckerei Weiß GmbH', street: 'Hauptstraße 5', zip: '50667', city: 'Köln' },
			lines: [{ lineNumber: '1', articleNumber: 'A-200', description: 'Tortenplatte', quantity: '3', unit: 'C62', netPrice: '8.00', vatRate: '19' }],
			totals: { net: '24.00', vat: '4.56', gross: '28.56' },
			remarks: `upload ${tag}`,
		});
		expect((await upload(`${uploaded}.xml`, order, 'application/xml')).status).toBeLessThan(400);
		const created = await poll(async () => receiver.received('POST', '/api/orders').find((r) => (r.body as { number: string }).number === uploaded));
		expect(created.body).toMatchObject({ number: uploaded, site: 'homeoffice-1', customer: { name: 'Bäckerei Weiß GmbH', addressId: 'K1' } });

		const qtf = `Auftrag_${tag}.qtf`;
		const refused = await upload(qtf, Buffer.from([0x51, 0x54, 0x46, 0x01, 0x00, 0x8a, 0xff, 0x10]), 'application/octet-stream');
		expect(refused.status).toBeLessThan(400);
		// with a Form Ending node in the workflow, n8n answers with the address of the page that shows how the run
		// ended; that run waits at "Tell the uploader: not imported" with the reason
		const { formWaitingUrl } = (await refused.json()) as { formWaitingUrl: string };
		const executionId = /\/form-waiting\/(\d+)/.exec(formWaitingUrl)?.[1];
		if (!executionId) throw new Error(`no execution in ${formWaitingUrl}`);
		const run = await poll(async () => {
			const execution = await getExecution(head, executionId);
			return outputOf(execution, 'Tell the uploader: not imported').length ? execution : undefined;
		});
		expect(run.status).toBe('waiting');
		expect(outputOf(run, 'Receive uploaded order file', 2)).toEqual([
			expect.objectContaining({
				reason: 'wrongFormat',
				message: `${qtf}: not an openTRANS file: this is an OfficeSI transfer file (.qtf); expected an openTRANS 2.1 ORDER or QUOTATION as an XML file (.xml); OfficeSI’s own .qtf format cannot be read: send the order as openTRANS`,
			}),
		]);
		const [mail] = await waitForMails('admin', qtf);
		expect(mail.subject).toContain('not imported (wrongFormat)');
		expect(mail.text).toContain('expected an openTRANS 2.1 ORDER or QUOTATION');
	}, 300_000);
});

/** Calls `check` until it gives a value (polling a server, not sleeping for a guess); fails after `timeoutMs`. */
async function poll<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`nothing within ${timeoutMs} ms`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

// ------------------------------------------------------------------------------------------------------------
describe('template: supplier e-invoices → three-way match', () => {
	const file = 'e-invoice-three-way-match.json';
	const TRIGGER = 'Read supplier invoices from mailbox';
	const MATCH = 'Three-way match';
	const tag = randomTag();
	let n8n: N8nInstance;
	let receiver: HttpReceiver;
	let folders: { inbox: string; archive: string; error: string };
	let execution: Execution;

	// official EN 16931 / XRechnung examples; the stand-in ERP holds their orders and delivery notes
	const invoices = {
		// TOSL110: order PO4711, delivery note 5433 (BT-16): matches
		matching: { subject: `Rechnung TOSL110 ${tag}`, file: ['en16931', 'CII_example5.xml'] },
		// 0000123456: order 10520, article 1035 ordered at 2800.00, invoiced at 2986
		price: { subject: `Rechnung 0000123456 ${tag}`, file: ['xrechnung-testsuite', '03.03a-INVOICE_uncefact.xml'] },
		// INVOICE_test_7 (UBL): order Order_9988_x, the register fee REG invoiced, not delivered
		quantity: { subject: `Rechnung INVOICE_test_7 ${tag}`, file: ['en16931-ubl', 'ubl-tc434-example7.xml'] },
		// 1234567890: order "Bestellung XRechnung" is not in the ERP
		unknownOrder: { subject: `Rechnung 1234567890 ${tag}`, file: ['xrechnung-testsuite', '01.20a-INVOICE_uncefact.xml'] },
	};
	const line = (supplierArticleNumber: string, quantity: string, netPrice: string) => ({ supplierArticleNumber, quantity, netPrice });
	const note = (number: string, lines: Array<[string, string]>) => ({ number, lines: lines.map(([supplierArticleNumber, quantity]) => ({ supplierArticleNumber, quantity })) });

	beforeAll(async () => {
		receiver = await startReceiver((r) => {
			r.on('GET', '/api/purchase-orders/PO4711', {
				body: { number: 'PO4711', currency: 'DKK', supplier: { name: 'SellerCompany', ids: ['NL16356706'] }, lines: [line('JB007', '1000', '1.00'), line('JB008', '100', '5.00'), line('JB009', '500', '5.00')] },
			});
			// two delivery notes for the order: the invoice names 5433 (BT-16); counting 5434 too would be a quantity mismatch
			r.on('GET', '/api/purchase-orders/PO4711/delivery-notes', {
				body: [note('5433', [['JB007', '1000'], ['JB008', '100'], ['JB009', '500']]), note('5434', [['JB007', '200']])],
			});
			r.on('GET', '/api/purchase-orders/10520', {
				body: {
					number: '10520',
					currency: 'EUR',
					supplier: { name: '[Seller name]', ids: ['DE123456789'] },
					lines: [line('1034', '1', '850.00'), line('1035', '1', '2800.00'), line('1036', '1', '2344.00'), line('1037', '1', '2800.00')],
				},
			});
			r.on('GET', '/api/purchase-orders/10520/delivery-notes', { body: [note('L-10520', [['1034', '1'], ['1035', '1'], ['1036', '1'], ['1037', '1']])] });
			// the supplier is known by its seller id (BT-29): the invoice carries no VAT ID
			r.on('GET', '/api/purchase-orders/Order_9988_x', {
				body: { number: 'Order_9988_x', currency: 'SEK', supplier: { name: 'The Sellercompany Incorporated', ids: ['5532331183'] }, lines: [line('RT3000', '1', '2500.00'), line('REG', '1', '700.00')] },
			});
			r.on('GET', '/api/purchase-orders/Order_9988_x/delivery-notes', { body: [note('D-9988', [['RT3000', '1']])] });
			r.on('POST', '/api/supplier-invoices', { status: 201, body: { id: 'SI-1' } });
		});
		folders = await createFolders('alice', `INBOX/e2e-invoices-${tag}`, { inbox: 'Eingang', archive: 'Archiv', error: 'Fehler' });
		const supplierMail = (subject: string, filename: string, content: Buffer) => ({ from: 'Rechnung <rechnung@supplier.example>', to: servers.users.alice.address, subject, attachments: [{ filename, content }] });
		await appendMails('alice', folders.inbox, [
			...Object.values(invoices).map((i) => supplierMail(i.subject, i.file[1], fixture('incoming-einvoices', ...i.file))),
			supplierMail(`Rechnung als PDF ${tag}`, 'rechnung.pdf', fixture('incoming-einvoices', 'mustang', 'MustangGnuaccountingBeispielRE-20201121_508blanko.pdf')),
		]);

		const template = replaceUrls(readTemplate(file), ERP_PLACEHOLDER, receiver.baseUrl);
		const locator = (value: string) => ({ __rl: true, mode: 'path', value });
		Object.assign(nodeNamed(template, TRIGGER).parameters, { inboxFolder: locator(folders.inbox), archiveFolder: locator(folders.archive), errorFolder: locator(folders.error) });
		for (const name of ['Mail purchasing: invoice does not match', 'Mail accounting: mail not read']) {
			Object.assign(nodeNamed(template, name).parameters, { fromEmail: 'n8n <n8n@backoffice.test>', toEmail: servers.users.admin.address });
		}

		n8n = await startWith('three-way-match', [template]);
		await publish(n8n, template.id);
		[execution] = await waitForExecutions(n8n, template.id, 1);
	}, SETUP_TIMEOUT);

	afterAll(async () => await release(n8n, receiver), 60_000);

	test('the first poll reads the four e-invoices and matches each against its order and delivery notes', () => {
		expectSucceeded(execution);
		expect(outputOf(execution, TRIGGER, 0).map((i) => i.number).sort()).toEqual(['0000123456', '1234567890', 'INVOICE_test_7', 'TOSL110']);
		expect(outputOf(execution, TRIGGER, 1).map((e) => e.reason)).toEqual(['NO_E_INVOICE']);
		const results = Object.fromEntries(outputOf(execution, MATCH).map((m) => [m.invoiceNumber, m.problems]));
		expect(results).toEqual({
			TOSL110: [],
			'0000123456': ['price: 1035 invoiced at 2986 EUR, ordered at 2800.00', 'amount: net line total 8980 EUR, at the ordered prices 8794.00'],
			INVOICE_test_7: ['quantity: REG invoiced 1, delivered 0'],
			'1234567890': ['unknown order: Bestellung XRechnung is not in the ERP'],
		});
		for (const request of receiver.received('GET', /^\/api\/purchase-orders\//)) expect(request.headers.authorization).toBe(BEARER);
	});

	test('posts only the matching invoice to the ERP for payment', () => {
		const posted = receiver.received('POST', '/api/supplier-invoices');
		expect(posted).toHaveLength(1);
		expect(posted[0].headers.authorization).toBe(BEARER);
		expect(posted[0].body).toMatchObject({
			invoiceNumber: 'TOSL110',
			supplier: 'SellerCompany',
			supplierVatId: 'NL16356706',
			orderReference: 'PO4711',
			despatchAdviceReference: '5433',
			currency: 'DKK',
			amountDue: '2337.5',
			matched: 'three-way',
		});
	});

	test.each([
		['a price mismatch', invoices.price.subject, 'price: 1035 invoiced at 2986 EUR, ordered at 2800.00', 'Invoice 0000123456 from [Seller name] does not match order 10520'],
		['a quantity mismatch', invoices.quantity.subject, 'quantity: REG invoiced 1, delivered 0', 'Invoice INVOICE_test_7 from The Sellercompany Incorporated does not match order Order_9988_x'],
		['an unknown order', invoices.unknownOrder.subject, 'unknown order: Bestellung XRechnung is not in the ERP', 'Invoice 1234567890 from Betriebsstätte does not match order Bestellung XRechnung'],
	])('%s reaches purchasing by mail, naming it, with the invoice', async (_kind, mailSubject, problem, subject) => {
		const [mail] = await waitForMails('admin', mailSubject);
		expect(mail?.subject).toBe(subject);
		expect(mail.text).toContain(`- ${problem}`);
		expect(mail.text).toContain(folders.archive);
		expect(mail.attachments.map((a) => a.filename)).toEqual([expect.stringMatching(/\.xml$/)]);
	});

	test('the matching invoice reaches nobody, the mail without e-invoice reaches accounting', async () => {
		const [notRead] = await waitForMails('admin', `Rechnung als PDF ${tag}`);
		expect(notRead?.subject).toBe(`Invoice mail not read (NO_E_INVOICE): Rechnung als PDF ${tag}`);
		expect(notRead.text).toContain('rechnung.pdf');
		expect(await waitForMails('admin', invoices.matching.subject, 1, 0)).toEqual([]);
	});

	test('archives the four invoice mails and moves the one without e-invoice to the error folder', async () => {
		expect(await readFolder('alice', folders.inbox)).toEqual([]);
		expect((await readFolder('alice', folders.archive)).map((m) => m.subject).sort()).toEqual(Object.values(invoices).map((i) => i.subject).sort());
		expect((await readFolder('alice', folders.error)).map((m) => m.subject)).toEqual([`Rechnung als PDF ${tag}`]);
	});
});

// ------------------------------------------------------------------------------------------------------------
if (n8nMode() === 'queue') {
	describe('queue mode: where the templates ran', () => {
		test('every execution ran on one of the two workers, none in the main', async () => {
			if (!queueInstance) throw new Error('no template started the queue-mode n8n');
			const n8n = queueInstance;
			const res = await n8n.api<{ data: { results: ExecutionSummary[] } }>('GET', '/rest/executions?limit=100');
			const ids = res.data.results.map((e) => e.id).sort((a, b) => Number(a) - Number(b));
			const byWorker = [1, 2].map((n) => new Set(n8n.workerExecutions(n)));
			console.log(`queue mode: ${ids.length} execution(s); worker 1 ran ${byWorker[0].size}, worker 2 ran ${byWorker[1].size}`);
			expect(ids.length).toBeGreaterThanOrEqual(5);
			expect(ids.filter((id) => !byWorker[0].has(id) && !byWorker[1].has(id))).toEqual([]);
			// "waiting": an order's execution waits for a person's answer in the head-office template's form
			expect(res.data.results.filter((e) => e.status !== 'success' && e.status !== 'waiting').map((e) => [e.id, e.status])).toEqual([]);
		});
	});
}
