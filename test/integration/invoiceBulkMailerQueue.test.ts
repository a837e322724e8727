/**
 * The Invoice Bulk Mailer's claims across processes, as n8n's queue mode runs it: n8n's own processed-data store
 * on PostgreSQL (scripts/queue-servers.sh, a fresh database migrated by n8n), each execution in a process of its
 * own (two workers), real Postfix and Dovecot. Each mailer process reaches n8n's database as a worker does, with
 * n8n's DB_* variables: its claims are made under a PostgreSQL advisory lock, its invoices leased.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { withImapClient } from '../../nodes/shared/transports/imap';
import { nodeRow, processedIn } from '../../nodes/shared/transports/n8nProcessedData';
import { useN8nPostgres } from '../helpers/n8nPostgres';
import { addressOf, invoiceJson, mailer, MailerProcess, mailsAfterQuiet, recipients } from '../helpers/mailerRecords';
import { PgProxy } from '../helpers/pgProxy';
import { imapCredentialsFor, loadServers, n8nCredentialData, smtpCredentialsFor } from '../helpers/servers';
import { SmtpProxy } from '../helpers/smtpProxy';

const RUN = `IBQ${Date.now().toString(36)}`;
let sequence = 0;
const newToken = () => `${RUN}x${++sequence}`;

const QUEUE_SCRIPT = path.join(__dirname, '../../scripts/queue-servers.sh');
const queueServers = (args: string[]) => execFileSync('bash', [QUEUE_SCRIPT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const DATABASE = `mailer_${RUN.toLowerCase()}`;

let restoreEnv: () => void = () => undefined;

beforeAll(async () => {
	restoreEnv = await useN8nPostgres(DATABASE);
	// the catch-all mailbox opened once before the first burst of mails: Dovecot creates it on first use, and
	// first deliveries racing to create it are deferred by Postfix ("Mailbox already exists")
	await withImapClient(imapCredentialsFor('sink'), async (client) => await client.mailboxOpen('INBOX'));
}, 300_000);

afterAll(() => restoreEnv());

/** One run of the mailer over `items` in a process of its own (another worker), ended afterwards; its outputs. */
async function runOnce(token: string, items: IDataObject[]): Promise<IDataObject[][]> {
	const worker = new MailerProcess();
	try {
		return await worker.run(mailer(token), items);
	} finally {
		await worker.kill();
	}
}

const numbersOf = (items: IDataObject[]) => items.flatMap((item) => (item.invoiceNumbers as string[] | undefined) ?? [item.invoiceNumber as string]);

describe('Invoice Bulk Mailer, claims across processes (PostgreSQL, as in queue mode)', () => {
	it('mails each of 500 invoices exactly once when two executions in two processes send them at the same time', async () => {
		const token = newToken();
		const items = Array.from({ length: 500 }, (_, i) => invoiceJson(token, i + 1));
		const workers = [new MailerProcess(), new MailerProcess()];
		try {
			await Promise.all(workers.map(async (w) => await w.process.ready));
			const started = Date.now();
			const [a, b] = await Promise.all(workers.map(async (w) => await w.run(mailer(token), items)));
			const all = recipients(await mailsAfterQuiet(token));
			console.log(`two processes, 500 invoices: ${numbersOf(a[0]).length} + ${numbersOf(b[0]).length} mailed in ${Date.now() - started} ms, ${all.length} mails arrived`);
			const numbers = items.map((i) => i.invoiceNumber as string).sort();
			expect([...numbersOf(a[0]), ...numbersOf(b[0])].sort()).toEqual(numbers);
			expect([...numbersOf(a[1]), ...numbersOf(b[1])].sort()).toEqual(numbers);
			expect([...a[2], ...b[2]]).toEqual([]);
			// counted at the mailbox: every customer once, nobody twice, none lost
			expect(all).toEqual(items.map((_, i) => `kunde${i + 1}-${token}@example.com`).sort());
		} finally {
			await Promise.all(workers.map(async (w) => await w.kill()));
		}
	}, 600_000);

	it('a process killed (SIGKILL) while the reply to its 20th of 40 mails is held: its claims not yet handed over are freed, the next run in another process mails exactly the rest', async () => {
		const token = newToken();
		const items = Array.from({ length: 40 }, (_, i) => invoiceJson(token, i + 1));
		const first = new MailerProcess();
		const s = loadServers();
		// the kill lands at a protocol position: Postfix has queued the 20th mail, its "250" is held by the proxy,
		// and the process dies (SIGKILL, as a queue-mode worker dies) before the reply reaches it
		const proxy = await new SmtpProxy({ host: s.host, port: s.smtp.port }, 'finalDot', 1, { after: 19, whileHeld: async () => await first.kill() }).start();
		const account = { backofficeSmtpApi: n8nCredentialData({ ...smtpCredentialsFor('alice', { security: 'none' }), port: proxy.port }) };
		let finished = false;
		try {
			const running = first.run(mailer(token), items, account).then(
				() => (finished = true),
				() => undefined,
			);
			await Promise.race([first.process.exited, running]);
			await proxy.held;
		} finally {
			await first.kill();
			await proxy.stop();
		}
		if (proxy.cuts !== 1 || finished) {
			throw new Error(`the kill was not placed at the reply to the 20th mail: the proxy held ${proxy.cuts} replies, ${proxy.messages} mails passed${finished ? ', and the run finished first' : ''}`);
		}
		const [heldAddress] = proxy.heldRecipients;
		const beforeKill = recipients(await mailsAfterQuiet(token));
		expect(beforeKill.length).toBeLessThan(items.length);
		// Postfix had queued the held mail before the kill
		expect(beforeKill).toContain(heldAddress);

		const outputs = await runOnce(token, items);
		const [sent, skipped, failed] = outputs;
		const all = recipients(await mailsAfterQuiet(token));
		expect(new Set(all).size).toBe(all.length);
		expect(failed).toEqual([]);
		const uncertain = skipped.filter((i) => i.deliveryUncertain === true).map((i) => i.invoiceNumber as string);
		// the held mail was on the wire at the kill: it counts as sent and is reported uncertain
		expect(uncertain.map((n) => addressOf(token, n))).toContain(heldAddress);
		// only the mails on the wire at the kill (at most Max Connections + 2, handed to nodemailer) are uncertain, never the claimed rest
		expect(uncertain.length).toBeLessThanOrEqual(3 + 2);
		const numbers = items.map((i) => i.invoiceNumber as string);
		const rest = numbers.filter((n) => !beforeKill.includes(addressOf(token, n)) && !uncertain.includes(n));
		expect(numbersOf(sent).sort()).toEqual(rest.sort());
		for (const number of numbers) {
			const mailed = all.filter((a) => a === addressOf(token, number)).length;
			expect([number, mailed === 1 || (mailed === 0 && uncertain.includes(number))]).toEqual([number, true]);
		}
		console.log(`killed at the held reply to mail 20, ${beforeKill.length} mails out; the next run mailed ${numbersOf(sent).length}, ${uncertain.length} uncertain`);
	}, 600_000);

	it('PostgreSQL killed (SIGKILL, a crash) while the reply to the 20th of 40 mails is held: the run goes on once it is back, and with the next run every invoice is mailed exactly once', async () => {
		const token = newToken();
		const items = Array.from({ length: 40 }, (_, i) => invoiceJson(token, i + 1));
		const s = loadServers();
		let crashed = false;
		// the crash lands at a protocol position: Postfix has queued the 20th mail and its "250" is held while every
		// PostgreSQL process is killed and the server started again (crash recovery); then the session is cut
		const proxy = await new SmtpProxy({ host: s.host, port: s.smtp.port }, 'finalDot', 1, {
			after: 19,
			whileHeld: async () => {
				queueServers(['kill-postgres']);
				crashed = true;
			},
		}).start();
		const account = { backofficeSmtpApi: n8nCredentialData({ ...smtpCredentialsFor('alice', { security: 'none' }), port: proxy.port }) };
		const first = new MailerProcess();
		let firstRun: IDataObject[][] | string;
		try {
			firstRun = await first.run(mailer(token), items, account).catch((error: unknown) => String(error));
			await proxy.held;
		} finally {
			await first.kill();
			await proxy.stop();
		}
		if (proxy.cuts !== 1 || !crashed) {
			throw new Error(`the crash was not placed at the reply to the 20th mail: the proxy held ${proxy.cuts} replies, ${proxy.messages} mails passed`);
		}
		const outputs = await runOnce(token, items);
		const all = recipients(await mailsAfterQuiet(token));
		const firstFigures =
			typeof firstRun === 'string'
				? `the first run failed: ${firstRun}`
				: `the first run: ${numbersOf(firstRun[0]).length} mailed, failed ${JSON.stringify(firstRun[2].map((i) => i.code))}`;
		console.log(`PostgreSQL killed at the held reply to mail 20: ${firstFigures}; the next run mailed ${numbersOf(outputs[0]).length}; ${all.length} mails arrived`);
		// the run went on: its leases, lost with the crash, were taken again where its claims were still pending
		expect(typeof firstRun === 'string' ? firstRun : firstRun[2].filter((i) => i.code !== 'DELIVERY_UNCERTAIN')).toEqual([]);
		expect(outputs[2]).toEqual([]);
		// counted at the mailbox: every customer once, nobody twice, none lost
		expect(all).toEqual(items.map((_, i) => `kunde${i + 1}-${token}@example.com`).sort());
	}, 600_000);
	it('PostgreSQL killed (a crash) after the section that hands mail 20 over wrote its marks, before it gave back its lock: the mail still goes out, every invoice exactly once', async () => {
		const token = newToken();
		const items = Array.from({ length: 40 }, (_, i) => invoiceJson(token, i + 1));
		const number = `RE-${token}-20`;
		const row = nodeRow(`wf-${token}`, 'mailer-node');
		const marks = [`claim\u0000${number}`, `pending\u0000${number}`, `handed\u0000${number}`];
		let found: string[] = [];
		// the crash lands at a protocol position: the mailer's connections to PostgreSQL pass a proxy, which holds
		// the unlock that ends the first section after the one that recorded "handed" for invoice 20 was sent —
		// that section's writes are committed; while it is held, the record is read and every PostgreSQL process
		// killed and started again; then the held connection is cut
		const proxy = await new PgProxy(
			{ host: process.env.DB_POSTGRESDB_HOST!, port: Number(process.env.DB_POSTGRESDB_PORT) },
			{
				armWith: createHash('md5').update(marks[2]).digest('base64'),
				holdAt: 'pg_advisory_unlock($1, $2)',
				whileHeld: async () => {
					found = [...(await processedIn(row, marks))];
					queueServers(['kill-postgres']);
				},
			},
		).start();
		const first = new MailerProcess({ ...process.env, DB_POSTGRESDB_PORT: String(proxy.port) });
		let firstRun: IDataObject[][];
		try {
			firstRun = await first.run(mailer(token), items);
			await proxy.held;
		} finally {
			await first.kill();
			await proxy.stop();
		}
		if (proxy.holds !== 1 || found.join() !== marks.join()) {
			throw new Error(`the crash was not placed between the hand-over's writes and the end of its section: ${proxy.holds} holds, invoice 20's record held ${JSON.stringify(found)}`);
		}
		const outputs = await runOnce(token, items);
		const all = recipients(await mailsAfterQuiet(token));
		console.log(`PostgreSQL killed after mail 20's hand-over: the first run mailed ${numbersOf(firstRun[0]).length}, failed ${JSON.stringify(firstRun[2].map((i) => i.code))}; the next run mailed ${numbersOf(outputs[0]).length}; ${all.length} mails arrived`);
		// the run kept its hand-over (the mark is its own) and mailed invoice 20; nothing failed, nothing was left
		expect(firstRun[2]).toEqual([]);
		expect(numbersOf(firstRun[0]).sort()).toEqual(items.map((i) => i.invoiceNumber as string).sort());
		expect(outputs[0]).toEqual([]);
		expect(all).toEqual(items.map((_, i) => `kunde${i + 1}-${token}@example.com`).sort());
	}, 600_000);
});
