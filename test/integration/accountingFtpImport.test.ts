/**
 * The Accounting FTP Import node run by n8n's engine (RunnerWorkflow → WorkflowExecute) against the real
 * vsftpd of the test servers: real payment files put into the FTP user's home, one directory per test.
 * Error reports travel through Postfix into Dovecot and are read back over IMAP.
 * The cases of the file transport (directories, date subdirectories, name filters, upload wait, delete /
 * archive / keep-and-remember, error directory, fingerprints) run over SFTP as well, against the real
 * OpenSSH sshd (`describe.each(FILE_SERVERS)`, issue 17); which ones do not, and why, is said where they are.
 */
import { appendFileSync, chmodSync, readdirSync, readFileSync, renameSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';

import { NodeHelpers, type INodeExecutionData, type INodeParameters } from 'n8n-workflow';

import { isoDateIn, shiftIsoDate } from '../../nodes/AccountingFtpImport/importSettings';
import type { FtpCredentials } from '../../nodes/shared/transports/ftp';
import { withImapClient } from '../../nodes/shared/transports/imap';
import { FtpControlProxy } from '../helpers/ftpControlProxy';
import {
	camtWithAmount,
	FILE_SERVERS,
	fileServerCredentials,
	fixture,
	ls,
	paymentImportWorkflow,
	put,
	remoteDirectory,
	removeRemoteDirectories,
	SERVER_LABEL,
	type FileServer,
} from '../helpers/remoteFiles';
import { ftpCredentialsFor, imapCredentialsFor, loadServers, n8nCredentialData, smtpCredentialsFor } from '../helpers/servers';
import { RunnerWorkflow } from '../helpers/workflowRunner';

const servers = loadServers();
const TIME_ZONE = 'Europe/Berlin';
/** The credentials chosen on the node, as n8n stores them (the runner hands out the data by type). */
const NODE_CREDENTIALS = { backofficeFtpApi: { id: 'ftp', name: 'Buchhaltung FTP' }, backofficeSmtpApi: { id: 'smtp', name: 'Buchhaltung SMTP' } };
const ftpDirectory = (label: string) => remoteDirectory('ftp', label);
afterAll(removeRemoteDirectories);

function importWorkflow(parameters: INodeParameters, name = `FTP import ${Date.now()}`): RunnerWorkflow {
	return paymentImportWorkflow(parameters, { typeVersion: 1, name, credentials: NODE_CREDENTIALS, timezone: TIME_ZONE });
}

function credentials(ftp: Partial<FtpCredentials> = {}, withSmtp = false, over: FileServer = 'ftp') {
	return {
		backofficeFtpApi: n8nCredentialData(fileServerCredentials(over, ftp)),
		...(withSmtp ? { backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('alice')) } : {}),
	};
}

interface ImportRunOptions {
	/** the server the run reads from: vsftpd (explicit FTPS, default) or sshd (SFTP) */
	over?: FileServer;
	ftp?: Partial<FtpCredentials>;
	smtp?: boolean;
	input?: INodeExecutionData[][];
}

/** One run of the node; a run that fails as a whole throws its error. */
async function runImport(workflow: RunnerWorkflow, options: ImportRunOptions = {}): Promise<{ payments: INodeExecutionData[]; errors: INodeExecutionData[] }> {
	const result = await workflow.run('Import', { credentials: credentials(options.ftp, options.smtp, options.over), input: options.input });
	if (result.error) throw result.error;
	return { payments: result.output('Import', 0), errors: result.output('Import', 1) };
}

/** One run that must fail as a whole: its error. */
async function failedImport(workflow: RunnerWorkflow, options: ImportRunOptions = {}): Promise<Error> {
	const result = await workflow.run('Import', { credentials: credentials(options.ftp, options.smtp, options.over), input: options.input });
	if (!result.error) throw new Error('the run was expected to fail, but it succeeded');
	return result.error;
}

/** What vsftpd's protocol log says from now on. */
function vsftpdLog(): { since(): string } {
	const file = `${servers.dir}/log/vsftpd.log`;
	const start = statSync(file).size;
	return { since: () => readFileSync(file).subarray(start).toString('utf8') };
}

/**
 * Watches whether the run that follows downloads a file. vsftpd logs each command: the run asks for the file's
 * time (MDTM) and does not RETR it. sshd's sftp-server logs to a syslog inside its chroot, where there is none,
 * so over SFTP the file's access time tells: set before its modification time, a read would move it (relatime).
 */
function watchDownloads(over: FileServer, local: string, remote: string): { expectNone(): void } {
	if (over === 'ftp') {
		const log = vsftpdLog();
		return {
			expectNone: () => {
				expect(log.since()).toContain(`"MDTM ${remote}"`);
				expect(log.since()).not.toContain(`"RETR ${remote}"`);
			},
		};
	}
	const { mtime } = statSync(local);
	const atime = new Date(mtime.getTime() - 1000);
	utimesSync(local, atime, mtime);
	return { expectNone: () => expect(statSync(local).atimeMs).toBe(atime.getTime()) };
}

const amounts = (items: INodeExecutionData[]) => items.map((i) => i.json.amount as string);

/** The helpers of the tests that run over FTP and SFTP alike (issue 17), bound to one of them. */
function fileSite(over: FileServer) {
	return {
		directory: (label: string) => remoteDirectory(over, `${over}-${label}`),
		runImport: (workflow: RunnerWorkflow, options: ImportRunOptions = {}) => runImport(workflow, { over, ...options }),
		failedImport: (workflow: RunnerWorkflow, options: ImportRunOptions = {}) => failedImport(workflow, { over, ...options }),
		label: SERVER_LABEL[over],
	};
}
const today = () => isoDateIn(TIME_ZONE);

async function findMail(who: 'admin' | 'bob', subjectPart: string): Promise<{ subject: string; text: string; attachments: string[] } | undefined> {
	for (let attempt = 0; attempt < 60; attempt++) {
		const found = await withImapClient(imapCredentialsFor(who), async (client) => {
			await client.mailboxOpen('INBOX');
			const uids = (await client.search({ subject: subjectPart }, { uid: true })) || [];
			if (!uids.length) return undefined;
			const msg = await client.fetchOne(String(uids[uids.length - 1]), { envelope: true, source: true, bodyStructure: true }, { uid: true });
			if (!msg) return undefined;
			const source = msg.source?.toString('utf8') ?? '';
			const attachments = [...source.matchAll(/filename="?([^"\r\n;]+)"?/g)].map((m) => m[1]);
			return { subject: msg.envelope?.subject ?? '', text: source, attachments };
		});
		if (found) return found;
		await new Promise((r) => setTimeout(r, 250));
	}
	return undefined;
}

describe.each(FILE_SERVERS)('Accounting FTP Import over %s: reading payment files', (over) => {
	const site = fileSite(over);


	it('imports the credits of a camt.053 001.08 batch booking with amounts, dates, payer and remittance text, then deletes the file', async () => {
		const dir = site.directory('camt');
		put(dir.local, 'Zahlungen_camt053.xml', fixture('camt053/camt053.v8.batch.xml'));
		const { payments, errors } = await site.runImport(importWorkflow({ directory: dir.remote }));
		expect(errors).toEqual([]);
		// the batch holds two credits, a direct debit and a reversal (both debits: left out by Credits Only)
		expect(payments.map((p) => p.json)).toEqual([
			expect.objectContaining({
				amount: '1000.00',
				currency: 'EUR',
				direction: 'credit',
				bookingDate: '2025-03-14',
				payerName: 'Bäckerei Schmidt e.K.',
				payerIban: 'DE02120300000000202051',
				creditorReference: 'RF76RE20250041',
				endToEndId: 'E2E-BS-2025-0041',
				accountIban: 'DE89370400440532013000',
				paidDate: today(),
				sourceFile: 'Zahlungen_camt053.xml',
				sourcePath: `${dir.remote}Zahlungen_camt053.xml`,
				format: 'camt053',
				position: expect.objectContaining({ statement: 1, entry: 1, transaction: 1 }),
			}),
			expect.objectContaining({
				amount: '250.00',
				payerName: 'Müller & Söhne GmbH',
				remittanceText: 'Rechnung RE-2025-0042 Kd-Nr. 4711 Vielen Dank',
				invoiceNumbers: ['RE-2025-0042'],
			}),
		]);
		// without open invoices in the input there is nothing to match: no status, but the invoice numbers found
		expect(payments[0].json.status).toBeUndefined();
		expect(payments[0].pairedItem).toEqual({ item: 0 });
		expect(ls(dir.local)).toEqual([]);
	});

	it('imports the MT940 sample of cmxl with the values its yml file lists, and refuses betterplace\'s hand-edited statement whose balances do not add up', async () => {
		const dir = site.directory('mt940');
		put(dir.local, 'sepa_snippet.sta', fixture('mt940/betterplace/sepa_snippet.sta'));
		put(dir.local, 'cmxl_mt940.sta', fixture('mt940/cmxl/mt940.sta'));
		const { payments, errors } = await site.runImport(importWorkflow({ directory: dir.remote, transactions: 'all' }));
		const bySource = (name: string) => payments.filter((p) => p.json.sourceFile === name).map((p) => p.json);
		const cmxl = bySource('cmxl_mt940.sta');
		expect(cmxl).toHaveLength(16);
		expect(cmxl[0]).toMatchObject({ amount: '6800.00', direction: 'debit', valueDate: '2013-10-17', currency: 'DEM', remittanceText: '999PN5477SCHECK-NR. 0000016703074' });
		expect(cmxl.find((p) => p.amount === '3000.00')).toMatchObject({ payerName: 'MUELLER', remittanceText: 'Gehalt OktoberFirmaMustermannGmbH', currency: 'EUR' });
		// statement 2 of the snippet was edited by hand and is 300.08 off: nothing of the file is imported, it stays
		expect(bySource('sepa_snippet.sta')).toEqual([]);
		expect(errors).toHaveLength(1);
		expect(JSON.stringify(errors[0].json)).toMatch(/sepa_snippet\.sta/);
		expect(JSON.stringify(errors[0].json)).toMatch(/300\.08/);
		expect(ls(dir.local)).toEqual(['sepa_snippet.sta']);
	});

	it('imports the DATEV Buchungsstapel: the bank booking with its client number, date and text; the invoice booking is no payment', async () => {
		const dir = site.directory('datev');
		put(dir.local, 'EXTF_Buchungsstapel.csv', fixture('datev/EXTF_Buchungsstapel.csv'));
		const credits = await site.runImport(importWorkflow({ directory: dir.remote, afterImport: 'keep' }));
		// the one payment in the sample is money paid out: Credits Only imports the file with nothing in it
		expect(credits.payments).toEqual([]);
		expect(credits.errors).toEqual([]);

		const dir2 = site.directory('datev-all');
		put(dir2.local, 'EXTF_Buchungsstapel.csv', fixture('datev/EXTF_Buchungsstapel.csv'));
		const { payments } = await site.runImport(importWorkflow({ directory: dir2.remote, transactions: 'all' }));
		expect(payments.map((p) => p.json)).toEqual([
			expect.objectContaining({
				amount: '24.95',
				currency: 'EUR',
				direction: 'debit',
				bookingDate: '2018-02-21',
				remittanceText: 'Fachbuch: Controlling für Dummies',
				clientNumber: '456',
				accountNumber: '1200',
				format: 'datev',
			}),
		]);
	});

	it('reports broken files on the Errors output with reason, position and the file attached, keeps them, and imports the good file of the same run', async () => {
		const dir = site.directory('broken');
		put(dir.local, 'a_camt053.v2.wrong.xml', fixture('camt053/camt053.v2.wrong.xml'));
		put(dir.local, 'b_sepa_snippet_broken.sta', fixture('mt940/betterplace/sepa_snippet_broken.sta'));
		put(dir.local, 'c_good.xml', camtWithAmount('8.85'));
		put(dir.local, 'd_not_a_payment_file.pdf', '%PDF-1.7\n%\u00e2\u00e3\n');
		const { payments, errors } = await site.runImport(importWorkflow({ directory: dir.remote }));
		expect(amounts(payments)).toEqual(['8.85']);
		expect(payments[0].json).toMatchObject({ payerName: 'NAME NAME', payerIban: 'NL56AGDH9619008421', valueDate: '2015-01-02', sourceFile: 'c_good.xml' });
		expect(errors.map((e) => e.json)).toEqual([
			expect.objectContaining({
				file: 'a_camt053.v2.wrong.xml',
				stage: 'parse',
				code: 'MISSING_FIELD',
				position: { line: 3, element: 'Document/BkToCstmrStmt' },
				positionText: 'line 3, at Document/BkToCstmrStmt',
				imported: false,
				action: 'left in place; it is tried again on the next run',
			}),
			expect.objectContaining({
				file: 'b_sepa_snippet_broken.sta',
				code: 'PARSE_ERROR',
				position: { line: 6 },
				reason: expect.stringMatching(/field :25: \(account identification\) cannot come after :61:/),
			}),
			expect.objectContaining({ file: 'd_not_a_payment_file.pdf', code: 'UNSUPPORTED_FORMAT' }),
		]);
		expect(errors[1].binary?.data).toMatchObject({ fileName: 'b_sepa_snippet_broken.sta', mimeType: 'text/plain' });
		expect(Buffer.from(errors[1].binary!.data.data, 'base64')).toEqual(fixture('mt940/betterplace/sepa_snippet_broken.sta'));
		expect(ls(dir.local)).toEqual(['a_camt053.v2.wrong.xml', 'b_sepa_snippet_broken.sta', 'd_not_a_payment_file.pdf']);
	});

	it('moves a broken file to the error directory when asked, creating it, and a second broken file of that name gets _2', async () => {
		const dir = site.directory('errordir');
		put(dir.local, 'zahlungen.sta', fixture('mt940/betterplace/sepa_snippet_broken.sta'));
		const workflow = importWorkflow({ directory: dir.remote, onFailure: 'errorDirectory', errorDirectory: 'fehler' });
		const first = await site.runImport(workflow);
		expect(first.errors[0].json).toMatchObject({ file: 'zahlungen.sta', movedTo: `${dir.remote}fehler/zahlungen.sta` });
		put(dir.local, 'zahlungen.sta', fixture('camt053/camt053.v2.wrong.xml'));
		const second = await site.runImport(workflow);
		expect(second.errors[0].json).toMatchObject({ movedTo: `${dir.remote}fehler/zahlungen_2.sta` });
		expect(ls(dir.local)).toEqual(['fehler']);
		expect(ls(path.join(dir.local, 'fehler'))).toEqual(['zahlungen.sta', 'zahlungen_2.sta']);
	});
});

// SFTP's logins (password, OpenSSH and PEM keys) and its host key check: sftpNodes.test.ts
describe('Accounting FTP Import: connection', () => {
	it.each([
		['plain FTP', 'ftp'],
		['explicit FTPS', 'ftpsExplicit'],
		['implicit FTPS', 'ftpsImplicit'],
	] as const)('imports over %s', async (_label, protocol) => {
		const dir = ftpDirectory(protocol);
		put(dir.local, 'Zahlungen.xml', camtWithAmount('17.42'));
		const { payments } = await runImport(importWorkflow({ directory: dir.remote }), { ftp: ftpCredentialsFor({ protocol }) });
		expect(amounts(payments)).toEqual(['17.42']);
		expect(ls(dir.local)).toEqual([]);
	});





});

describe.each(FILE_SERVERS)('Accounting FTP Import over %s: directories', (over) => {
	const site = fileSite(over);

	it('reads the date subdirectories of the run date and the days before, and leaves older ones alone', async () => {
		const dir = site.directory('dated');
		const [d0, d1, d3] = [today(), shiftIsoDate(today(), -1), shiftIsoDate(today(), -3)];
		const slashed = (d: string) => d.replace(/-/g, '/');
		put(path.join(dir.local, slashed(d0)), 'z.xml', camtWithAmount('1.00'));
		put(path.join(dir.local, slashed(d1)), 'z.xml', camtWithAmount('2.00'));
		put(path.join(dir.local, slashed(d3)), 'z.xml', camtWithAmount('3.00'));
		const { payments, errors } = await site.runImport(importWorkflow({ directory: dir.remote, dateSubdirectories: 'YYYY/MM/DD', daysBack: 1 }));
		expect(errors).toEqual([]);
		// oldest day first
		expect(amounts(payments)).toEqual(['2.00', '1.00']);
		expect(payments[1].json.sourcePath).toBe(`${dir.remote}${slashed(d0)}/z.xml`);
		expect(ls(path.join(dir.local, slashed(d3)))).toEqual(['z.xml']);

		const flat = site.directory('dated-flat');
		put(path.join(flat.local, d0), 'z.xml', camtWithAmount('4.00'));
		put(path.join(flat.local, d1), 'z.xml', camtWithAmount('5.00'));
		// no directory for yesterday-but-one: that is no error
		const second = await site.runImport(importWorkflow({ directory: flat.relative, dateSubdirectories: 'YYYY-MM-DD', daysBack: 2 }));
		expect(second.errors).toEqual([]);
		expect(amounts(second.payments)).toEqual(['5.00', '4.00']);
	});

	it('imports every file whose name contains the word, case ignored, or matches a glob, and leaves the others', async () => {
		const dir = site.directory('names');
		put(dir.local, '2025-03-14_Zahlungen.xml', camtWithAmount('1.00'));
		put(dir.local, 'zahlungen-nachtrag.sta', fixture('mt940/cmxl/mt940.sta'));
		put(dir.local, 'Kontoauszug.xml', camtWithAmount('9.99'));
		put(dir.local, 'Zahlungen_gross.xml.part', camtWithAmount('7.77'));
		put(dir.local, '.Zahlungen_hidden.xml', camtWithAmount('6.66'));
		const { payments, errors } = await site.runImport(importWorkflow({ directory: dir.remote, fileNameContains: 'ZAHLUNGEN' }));
		expect(errors).toEqual([]);
		expect([...new Set(payments.map((p) => p.json.sourceFile))]).toEqual(['2025-03-14_Zahlungen.xml', 'zahlungen-nachtrag.sta']);
		expect(ls(dir.local)).toEqual(['.Zahlungen_hidden.xml', 'Kontoauszug.xml', 'Zahlungen_gross.xml.part']);

		const glob = await site.runImport(importWorkflow({ directory: dir.remote, fileNameContains: 'konto*.xml' }));
		expect(amounts(glob.payments)).toEqual(['9.99']);
	});

	it('reports a file whose name holds a backslash instead of using it, and imports the rest', async () => {
		const dir = site.directory('oddname');
		put(dir.local, 'Zahlungen\\..\\evil.xml', camtWithAmount('1.00'));
		put(dir.local, 'Zahlungen.xml', camtWithAmount('2.00'));
		const { payments, errors } = await site.runImport(importWorkflow({ directory: dir.remote }));
		expect(amounts(payments)).toEqual(['2.00']);
		expect(errors.map((e) => e.json)).toEqual([expect.objectContaining({ file: 'Zahlungen\\..\\evil.xml', stage: 'listing', action: 'left in place' })]);
		expect(ls(dir.local)).toEqual(['Zahlungen\\..\\evil.xml']);
	});

	it('fails the run with a clear message when the directory does not exist, touching nothing', async () => {
		const error = await site.failedImport(importWorkflow({ directory: '/does-not-exist-here/' }));
		expect(error.message).toContain(`The directory "/does-not-exist-here" does not exist on the ${site.label} server`);
	});

	it('Check Access names the rights: list, write and delete in a writable directory; the missing write right in a read-only one', async () => {
		const dir = site.directory('check');
		const check = async (directory: string) => {
			const result = await importWorkflow({ operation: 'checkAccess', directory }).run('Import', { credentials: credentials({}, false, over) });
			if (result.error) throw result.error;
			return result.output('Import', 0)[0].json;
		};
		expect(await check(dir.remote)).toMatchObject({ ok: true, canList: true, canWrite: true, canDelete: true });
		chmodSync(dir.local, 0o555);
		try {
			expect(await check(dir.remote)).toMatchObject({ ok: false, canList: true, canWrite: false, missingRights: ['write'], message: expect.stringMatching(/^Missing right\(s\): write/) });
		} finally {
			chmodSync(dir.local, 0o777);
		}
		expect(ls(dir.local)).toEqual([]);
	});

	it('Check Access checks a directory once, however many items come in (the template feeds it open invoices)', async () => {
		const dir = site.directory('checkonce');
		const input = [[0, 1, 2].map((n) => ({ json: { invoiceNumber: `RE-${n}` } }))];
		const result = await importWorkflow({ operation: 'checkAccess', directory: dir.remote }).run('Import', { credentials: credentials({}, false, over), input });
		if (result.error) throw result.error;
		const out = result.output('Import', 0);
		expect(out).toHaveLength(1);
		expect(out[0].json).toMatchObject({ ok: true, canList: true, canWrite: true, canDelete: true });
		expect(out[0].pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(ls(dir.local)).toEqual([]);
	});

	it('refuses an archive directory that is the import directory itself, before anything is deleted', async () => {
		const dir = site.directory('selfarchive');
		put(dir.local, 'z.xml', camtWithAmount('1.00'));
		const error = await site.failedImport(importWorkflow({ directory: dir.remote, afterImport: 'archive', archiveDirectory: '.' }));
		expect(error.message).toMatch(/Archive Directory .* is a directory the import reads/);
		expect(ls(dir.local)).toEqual(['z.xml']);
	});
});

describe.each(FILE_SERVERS)('Accounting FTP Import over %s: never twice, never lost', (over) => {
	const site = fileSite(over);

	it('moves imported files to the archive directory, creating it, and keeps an older file of the same name there', async () => {
		const dir = site.directory('archive');
		put(path.join(dir.local, 'archiv'), 'z.xml', 'an older file of the same name');
		put(dir.local, 'z.xml', camtWithAmount('3.50'));
		put(dir.local, 'y.xml', camtWithAmount('3.60'));
		const { payments } = await site.runImport(importWorkflow({ directory: dir.remote, afterImport: 'archive', archiveDirectory: 'archiv/' }));
		expect(amounts(payments)).toEqual(['3.60', '3.50']);
		expect(ls(dir.local)).toEqual(['archiv']);
		expect(ls(path.join(dir.local, 'archiv'))).toEqual(['y.xml', 'z.xml', 'z_2.xml']);
		expect(readFileSync(path.join(dir.local, 'archiv', 'z.xml'), 'utf8')).toBe('an older file of the same name');
	});

	it('keeps and remembers imported files: the next run neither imports nor downloads them, a changed file under the same name is imported again', async () => {
		const dir = site.directory('keep');
		const file = put(dir.local, 'z.xml', camtWithAmount('5.00'));
		const anHourAgo = new Date(Date.now() - 3_600_000);
		utimesSync(file, anHourAgo, anHourAgo);
		const workflow = importWorkflow({ directory: dir.remote, afterImport: 'keep' });
		expect(amounts((await site.runImport(workflow)).payments)).toEqual(['5.00']);
		const remembered = workflow.staticData['node:Import'] as { importedFiles: Array<{ p: string; s: number; h: string; r: string }> };
		expect(remembered.importedFiles).toEqual([
			expect.objectContaining({ p: `${dir.remote}z.xml`, r: 'kept', x: 1, m: anHourAgo.toISOString().replace(/\.\d+Z$/, '.000Z'), h: expect.stringMatching(/^[0-9a-f]{64}$/) }),
		]);

		const downloads = watchDownloads(over, file, dir.remote + 'z.xml');
		const second = await site.runImport(workflow);
		expect(second.payments).toEqual([]);
		expect(second.errors).toEqual([]);
		// same path, size and exact time: not even downloaded
		downloads.expectNone();
		expect(ls(dir.local)).toEqual(['z.xml']);

		// same name and size, other content, written now
		put(dir.local, 'z.xml', camtWithAmount('6.00'));
		expect(amounts((await site.runImport(workflow)).payments)).toEqual(['6.00']);
		// written this second, so its time alone will not stand for its content: the next run compares the bytes
		put(dir.local, 'z.xml', camtWithAmount('7.00'));
		expect(amounts((await site.runImport(workflow)).payments)).toEqual(['7.00']);
		expect((await site.runImport(workflow)).payments).toEqual([]);
		expect((workflow.staticData['node:Import'] as { importedFiles: unknown[] }).importedFiles).toHaveLength(3);
	});

	it('does not import a file twice that the FTP user cannot delete, and deletes it once the right is granted', async () => {
		const dir = site.directory('readonly');
		put(dir.local, 'z.xml', camtWithAmount('8.00'));
		chmodSync(dir.local, 0o555);
		const workflow = importWorkflow({ directory: dir.remote });
		try {
			const first = await site.runImport(workflow);
			expect(amounts(first.payments)).toEqual(['8.00']);
			expect(first.errors.map((e) => e.json)).toEqual([
				expect.objectContaining({ file: 'z.xml', stage: 'commit', imported: true, reason: expect.stringMatching(/refused to delete it .*write right.*not be imported again/) }),
			]);
			const second = await site.runImport(workflow);
			expect(second.payments).toEqual([]);
			expect(second.errors).toEqual([]);
			expect(ls(dir.local)).toEqual(['z.xml']);
		} finally {
			chmodSync(dir.local, 0o777);
		}
		const third = await site.runImport(workflow);
		expect(third.payments).toEqual([]);
		expect(ls(dir.local)).toEqual([]);
	});

	it('leaves a .part upload and a file still growing for the next run, and imports both once complete', async () => {
		const dir = site.directory('upload');
		const complete = camtWithAmount('12.34');
		put(dir.local, 'b_zahlungen.xml.part', camtWithAmount('11.11'));
		const growing = put(dir.local, 'a_zahlungen.xml', complete.subarray(0, 1000));
		const workflow = importWorkflow({ directory: dir.remote, options: { uploadWaitSeconds: 2 } });
		// the "upload" goes on during the run: a chunk every 200 ms
		let offset = 1000;
		const uploader = setInterval(() => {
			const next = Math.min(offset + 200, complete.length - 100);
			if (next > offset) appendFileSync(growing, complete.subarray(offset, next));
			offset = Math.max(offset, next);
		}, 200);
		let first;
		try {
			first = await site.runImport(workflow);
		} finally {
			clearInterval(uploader);
		}
		expect(first.payments).toEqual([]);
		expect(first.errors).toEqual([]);
		appendFileSync(growing, complete.subarray(offset));
		renameSync(path.join(dir.local, 'b_zahlungen.xml.part'), path.join(dir.local, 'b_zahlungen.xml'));
		const second = await site.runImport(workflow);
		expect(amounts(second.payments)).toEqual(['12.34', '11.11']);
		expect(ls(dir.local)).toEqual([]);
	});
});

/**
 * FTP only: these place faults in the FTP control connection (a DELE reply that never arrives, a vsftpd session
 * killed while a reply is held back). SFTP runs inside an encrypted SSH channel where no proxy can hold back one
 * reply; its faults (the session killed, sshd restarted, while sshd's SFTP server holds its reply to a REMOVE —
 * test/helpers/sftpHold.ts) are in sftpNodes.test.ts.
 */
describe('Accounting FTP Import over FTP: faults in the control connection', () => {




	it('loses nothing and imports nothing twice when the connection drops right after a DELE whose reply never arrives', async () => {
		const dir = ftpDirectory('lost-dele');
		for (let i = 1; i <= 6; i++) put(dir.local, `z${i}.xml`, camtWithAmount(`${i}.00`));
		// the second file's DELE reaches vsftpd (which deletes the file), its reply never reaches the node
		const proxy = await new FtpControlProxy({ host: servers.host, port: servers.ftp.port }, (command, seen) =>
			command.startsWith('DELE') && seen.filter((c) => c.startsWith('DELE')).length === 2,
		).start();
		const workflow = importWorkflow({ directory: dir.remote });
		try {
			const first = await runImport(workflow, { ftp: { protocol: 'ftp', port: proxy.port } });
			expect(proxy.cuts).toBe(1);
			// z2's payment is emitted: the file may be gone, so this is the only chance to hand it over
			expect(amounts(first.payments)).toEqual(['1.00', '2.00']);
			expect(first.errors.map((e) => e.json.stage)).toEqual(['commit', 'connection']);
			expect(first.errors[1].json).toMatchObject({ filesImported: 2, filesLeft: 4 });
			expect(ls(dir.local)).toEqual(['z3.xml', 'z4.xml', 'z5.xml', 'z6.xml']);
			const second = await runImport(workflow, { ftp: { protocol: 'ftp', port: proxy.port } });
			expect(amounts(second.payments)).toEqual(['3.00', '4.00', '5.00', '6.00']);
			expect(second.errors).toEqual([]);
		} finally {
			await proxy.stop();
		}
		expect(ls(dir.local)).toEqual([]);
	});

	it('remembers a file whose DELE reply was lost while the file stayed, and deletes it on the next run without importing it again', async () => {
		const dir = ftpDirectory('lost-dele-kept');
		put(dir.local, 'z1.xml', camtWithAmount('1.00'));
		chmodSync(dir.local, 0o555); // vsftpd refuses the DELE; the proxy drops the session before the refusal arrives
		const proxy = await new FtpControlProxy({ host: servers.host, port: servers.ftp.port }, (command) => command.startsWith('DELE')).start();
		const workflow = importWorkflow({ directory: dir.remote });
		try {
			const first = await runImport(workflow, { ftp: { protocol: 'ftp', port: proxy.port } });
			expect(amounts(first.payments)).toEqual(['1.00']);
			expect(first.errors[0].json).toMatchObject({ stage: 'commit', reason: expect.stringMatching(/connection was lost while the file was being deleted/) });
			expect(ls(dir.local)).toEqual(['z1.xml']);
		} finally {
			chmodSync(dir.local, 0o777);
			await proxy.stop();
		}
		const second = await runImport(workflow, { ftp: { protocol: 'ftp' } });
		expect(second.payments).toEqual([]);
		expect(ls(dir.local)).toEqual([]);
	});

	it('survives killing the vsftpd session mid-run: every payment arrives exactly once over two runs', async () => {
		const dir = ftpDirectory('killed');
		const total = 40;
		for (let i = 1; i <= total; i++) put(dir.local, `z${String(i).padStart(2, '0')}.xml`, camtWithAmount(`${i}.00`));
		const log = servers.dir + '/log/vsftpd.log';
		const from = statSync(log).size;
		// the third DELE reaches vsftpd, which deletes the file; while its reply is held back, that session's
		// processes are killed: the kernel closes the connection, the reply never arrives
		let killed = 0;
		const proxy = await new FtpControlProxy(
			{ host: servers.host, port: servers.ftp.port },
			(command, seen) => command.startsWith('DELE') && seen.filter((c) => c.startsWith('DELE')).length === 3,
			{
				whileHeld: async () => {
					const text = readFileSync(log).subarray(from).toString('utf8');
					const dele = [...text.matchAll(new RegExp(`\\[pid (\\d+)\\] \\[bo-ftp\\] FTP command: Client "[^"]+", "DELE ${dir.remote}`, 'g'))];
					for (const p of sessionProcesses(Number(dele.at(-1)?.[1]))) {
						try {
							process.kill(p, 'SIGKILL');
							killed++;
						} catch {
							// already gone
						}
					}
				},
			},
		).start();
		const workflow = importWorkflow({ directory: dir.remote });
		let first;
		try {
			first = await runImport(workflow, { ftp: { protocol: 'ftp', port: proxy.port } });
		} finally {
			await proxy.stop();
		}
		if (proxy.cuts !== 1 || killed === 0) throw new Error(`the fault was not placed: ${proxy.cuts} cut(s), ${killed} process(es) killed`);
		// the kernel reports the closed connection and the run ends at once: a closed connection, not a time-out
		const lost = first.errors.find((e) => e.json.stage === 'connection');
		expect(JSON.stringify(lost?.json)).toMatch(/connection to the FTP server was lost/);
		expect(JSON.stringify(lost?.json)).not.toMatch(/time-?out|no answer/i);
		expect(amounts(first.payments)).toEqual(['1.00', '2.00', '3.00']);
		const second = await runImport(workflow);
		const all = [...amounts(first.payments), ...amounts(second.payments)].sort((a, b) => Number(a) - Number(b));
		expect(all).toEqual(Array.from({ length: total }, (_, i) => `${i + 1}.00`));
		expect(ls(dir.local)).toEqual([]);
	}, 240_000);
});

function parentOf(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * The processes of one vsftpd session: a parent forked by the listener, and its children (one runs the
 * commands as the FTP user, one holds the TLS state). All must go, or the socket stays open; the listener
 * (a child of init) must stay.
 */
function sessionProcesses(pid: number): number[] {
	try {
		const parent = parentOf(pid);
		if (parentOf(parent) === 1) return [pid];
		const children = readdirSync('/proc')
			.filter((d) => /^\d+$/.test(d))
			.map(Number)
			.filter((p) => {
				try {
					return parentOf(p) === parent;
				} catch {
					return false;
				}
			});
		return [parent, ...children];
	} catch {
		return [];
	}
}

describe('Accounting FTP Import: matching and clients', () => {
	const bankCsv = [
		'Buchungstag;Valuta;Name;IBAN;Verwendungszweck;Betrag;Waehrung',
		'14.03.2025;14.03.2025;Bäckerei Schmidt e.K.;DE02120300000000202051;Rechnung RE-2025-0041;1.000,00;EUR',
		'14.03.2025;14.03.2025;Müller & Söhne GmbH;DE12500105170648489890;RE-2025-0042 Teilzahlung;250,00;EUR',
		'14.03.2025;15.03.2025;Hofladen Weber;DE75512108001245126199;Rechnung RE 2025-0043;120,00;EUR',
		'14.03.2025;15.03.2025;Meyer Haustechnik GmbH;DE44500105175407324931;Danke;75,50;EUR',
		'14.03.2025;15.03.2025;Unbekannt;DE91100000000123456789;Spende;50,00;EUR',
		'14.03.2025;15.03.2025;Stadtwerke;DE91100000000123456789;Abschlag;-80,00;EUR',
		'',
	].join('\r\n');
	const csvMapping = {
		amount: 'Betrag',
		currency: 'Waehrung',
		bookingDate: 'Buchungstag',
		valueDate: 'Valuta',
		payerName: 'Name',
		payerIban: 'IBAN',
		remittanceText: 'Verwendungszweck',
		accountIban: 'DE89 3704 0044 0532 0130 00',
	};
	const openInvoices = [
		{ invoiceNumber: 'RE-2025-0041', openAmount: 1000, currency: 'EUR', customerName: 'Bäckerei Schmidt' },
		{ invoiceNumber: 'RE-2025-0042', openAmount: '400,00', currency: 'EUR', customerName: 'Müller und Söhne' },
		{ invoiceNumber: 'RE-2025-0043', openAmount: '100.00', customerName: 'Hofladen Weber' },
		{ invoiceNumber: 'RE-2025-0044', openAmount: 75.5, customerName: 'Meyer Haustechnik' },
	];

	it('matches payments to the open invoices of the input: paid, partially paid, overpaid, unmatched, with pairedItem on the invoice', async () => {
		const dir = ftpDirectory('matching');
		put(dir.local, 'bank.csv', bankCsv);
		const input = [[{ json: { timestamp: 'schedule trigger item' } }, ...openInvoices.map((json) => ({ json }))]];
		const { payments, errors } = await runImport(
			importWorkflow({ directory: dir.remote, format: 'csv', csvMapping, paidDate: 'valueDate' }),
			{ input },
		);
		expect(errors).toEqual([]);
		expect(payments.map((p) => [p.json.amount, p.json.status, p.json.matchedBy ?? null, (p.json.matchedInvoices as Array<{ invoiceNumber: string }>).map((m) => m.invoiceNumber)])).toEqual([
			['1000.00', 'paid', 'invoice number', ['RE-2025-0041']],
			['250.00', 'partially paid', 'invoice number', ['RE-2025-0042']],
			['120.00', 'overpaid', 'invoice number', ['RE-2025-0043']],
			['75.50', 'paid', 'amount and payer', ['RE-2025-0044']],
			['50.00', 'unmatched', null, []],
		]);
		expect(payments[1].json.matchedInvoices).toEqual([{ invoiceNumber: 'RE-2025-0042', openAmount: '400.00', appliedAmount: '250.00', remainingAmount: '150.00' }]);
		expect(payments[2].json).toMatchObject({ unappliedAmount: '20.00', paidDate: '2025-03-15' });
		// pairedItem points at the invoice item that the payment settled (item 0 is the trigger's)
		expect(payments.map((p) => p.pairedItem)).toEqual([{ item: 1 }, { item: 2 }, { item: 3 }, { item: 4 }, { item: 0 }]);
	});

	it('refuses an open invoice without a readable amount before touching the server', async () => {
		const dir = ftpDirectory('badinvoice');
		put(dir.local, 'bank.csv', bankCsv);
		const input = [[{ json: { invoiceNumber: 'RE-1', openAmount: 'zwölf Euro' } }]];
		const error = await failedImport(importWorkflow({ directory: dir.remote, format: 'csv', csvMapping }), { input });
		expect(error.message).toMatch(/Invoice RE-1 has no open amount/);
		expect(ls(dir.local)).toEqual(['bank.csv']);
	});

	it('gives each payment its client and leaves a file of another client untouched without reporting it', async () => {
		const dir = ftpDirectory('clients');
		put(dir.local, 'a_nord.xml', fixture('camt053/camt053.v8.batch.xml'));
		put(dir.local, 'b_fremd.xml', camtWithAmount('8.85'));
		put(dir.local, 'c_sued.csv', bankCsv);
		const clients = {
			client: [
				{ id: 'filiale-nord', accounts: 'DE89 3704 0044 0532 0130 00' },
				{ id: 'filiale-sued', accounts: 'DE02 1203 0000 0000 2020 51, 4711' },
			],
		};
		const { payments, errors } = await runImport(
			importWorkflow({ directory: dir.remote, clients, csvMapping: { ...csvMapping, accountIban: 'DE02120300000000202051' } }),
		);
		expect(errors).toEqual([]);
		expect(payments.map((p) => [p.json.sourceFile, p.json.client])).toEqual([
			['a_nord.xml', 'filiale-nord'],
			['a_nord.xml', 'filiale-nord'],
			...Array.from({ length: 5 }, () => ['c_sued.csv', 'filiale-sued']),
		]);
		expect(ls(dir.local)).toEqual(['b_fremd.xml']);
	});
});

describe('Accounting FTP Import: error report mail', () => {
	it('mails the error report with the failed file attached to the address, through Postfix into the mailbox', async () => {
		const dir = ftpDirectory('report');
		put(dir.local, 'Zahlungen_kaputt.sta', fixture('mt940/betterplace/sepa_snippet_broken.sta'));
		put(dir.local, 'Zahlungen_gut.xml', camtWithAmount('9.00'));
		const name = `Buchhaltungsimport ${Date.now()}`;
		const { payments, errors } = await runImport(
			importWorkflow({ directory: dir.remote, errorReportTo: servers.users.admin.address }, name),
			{ smtp: true },
		);
		expect(amounts(payments)).toEqual(['9.00']);
		expect(errors[0].json).toMatchObject({ file: 'Zahlungen_kaputt.sta', reportedTo: servers.users.admin.address });
		const mail = await findMail('admin', name);
		expect(mail?.subject).toBe(`Accounting FTP Import: 1 problem — ${name}`);
		expect(mail?.text).toContain('Zahlungen_kaputt.sta');
		expect(mail?.text).toMatch(/line 6/);
		expect(mail?.attachments).toEqual(['Zahlungen_kaputt.sta']);
	});

	it('mails a report when the run cannot log in, and fails the run', async () => {
		const name = `Buchhaltungsimport login ${Date.now()}`;
		const error = await failedImport(importWorkflow({ directory: '/', errorReportTo: servers.users.admin.address }, name), {
			smtp: true,
			ftp: { password: 'wrong-password' },
		});
		expect(error.message).toMatch(/Wrong user or password/);
		const mail = await findMail('admin', name);
		expect(mail?.text).toMatch(/Wrong user or password/);
		expect(mail?.text).not.toContain('wrong-password');
	});

	it('sends a test report on Send Test Report, which arrives marked as a test', async () => {
		const name = `Testbericht ${Date.now()}`;
		const workflow = new RunnerWorkflow({
			name,
			nodes: [
				{
					id: 'report',
					name: 'Report',
					type: 'n8n-nodes-backoffice.accountingFtpImport',
					typeVersion: 1,
					position: [0, 0],
					parameters: { operation: 'sendTestReport', errorReportTo: servers.users.admin.address },
					credentials: { backofficeSmtpApi: NODE_CREDENTIALS.backofficeSmtpApi },
				},
			],
			connections: {},
		});
		const result = await workflow.run('Report', { credentials: { backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('alice')) } });
		expect(result.error).toBeUndefined();
		expect(result.output('Report')[0].json).toMatchObject({ recipient: servers.users.admin.address, accepted: [servers.users.admin.address], test: true });
		const mail = await findMail('admin', name);
		expect(mail?.subject).toBe(`[Test] Accounting FTP Import: 1 problem — ${name}`);
		expect(mail?.attachments).toEqual(['Zahlungen_Beispiel.sta']);
	});

	it('sends the report to each of several addresses separated by commas (an employee group)', async () => {
		const name = `Testbericht Gruppe ${Date.now()}`;
		const group = [servers.users.admin.address, servers.users.bob.address];
		const workflow = new RunnerWorkflow({
			name,
			nodes: [
				{
					id: 'report',
					name: 'Report',
					type: 'n8n-nodes-backoffice.accountingFtpImport',
					typeVersion: 1,
					position: [0, 0],
					parameters: { operation: 'sendTestReport', errorReportTo: ` ${group.join(' ,')} ` },
					credentials: { backofficeSmtpApi: NODE_CREDENTIALS.backofficeSmtpApi },
				},
			],
			connections: {},
		});
		const result = await workflow.run('Report', { credentials: { backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('alice')) } });
		expect(result.error).toBeUndefined();
		expect(result.output('Report')[0].json).toMatchObject({ recipient: group.join(', '), accepted: group });
		expect((await findMail('admin', name))?.subject).toContain(name);
		expect((await findMail('bob', name))?.subject).toContain(name);
	});

	it('refuses an error report address list with one invalid address, naming it, before anything is imported', async () => {
		const workflow = new RunnerWorkflow({
			nodes: [
				{
					id: 'report',
					name: 'Report',
					type: 'n8n-nodes-backoffice.accountingFtpImport',
					typeVersion: 1,
					position: [0, 0],
					parameters: { operation: 'sendTestReport', errorReportTo: `${servers.users.admin.address}, buchhaltung` },
					credentials: { backofficeSmtpApi: NODE_CREDENTIALS.backofficeSmtpApi },
				},
			],
			connections: {},
		});
		const result = await workflow.run('Report', { credentials: { backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('alice')) } });
		expect(result.error?.message).toContain('"buchhaltung" is not a valid e-mail address');
	});
});

describe('Accounting FTP Import: the node in the editor', () => {
	it('shows the outputs Payments and Errors for Import Payments and one output for the other operations', () => {
		const outputsOf = (operation?: string) => {
			const workflow = importWorkflow(operation ? { operation } : {});
			const node = workflow.node('Import');
			if (!operation) delete node.parameters.operation;
			const type = workflow.workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
			return NodeHelpers.getNodeOutputs(workflow.workflow, node, type.description).map((o) => (typeof o === 'string' ? { type: o } : o));
		};
		const two = [
			{ type: 'main', displayName: 'Payments' },
			{ type: 'main', displayName: 'Errors' },
		];
		expect(outputsOf('importPayments')).toEqual(two);
		expect(outputsOf()).toEqual(two);
		expect(outputsOf('checkAccess')).toEqual([{ type: 'main' }]);
		expect(outputsOf('sendTestReport')).toEqual([{ type: 'main' }]);
	});

	it('tests both of its credentials with its own functions, the SMTP one optional', () => {
		const workflow = importWorkflow({});
		const type = workflow.workflow.nodeTypes.getByNameAndVersion('n8n-nodes-backoffice.accountingFtpImport', 1);
		expect(type.description.credentials?.map((c) => [c.name, c.required, c.testedBy])).toEqual([
			['backofficeFtpApi', true, 'backofficeFtpApiTest'],
			['backofficeSmtpApi', false, 'backofficeSmtpApiTest'],
			// issue 16: the error report may also sign in with OAuth2 (n8n offers no test for OAuth2 credentials)
			['backofficeMailOAuth2Api', false, undefined],
		]);
		expect(Object.keys(type.methods?.credentialTest ?? {})).toEqual(['backofficeFtpApiTest', 'backofficeSmtpApiTest']);
	});
});
