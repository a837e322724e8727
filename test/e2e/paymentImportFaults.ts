/**
 * The payment import template (Accounting FTP Import → the ERP, here an HTTP receiver) under a fault placed at a
 * protocol position — the frame n8n-kill.test.ts and queue-restarts.test.ts share. The FTP runs over plain FTP
 * through a control-connection proxy (test/helpers/ftpControlProxy.ts) that forwards a chosen command to vsftpd
 * and holds its complete reply while the test acts (kills n8n, restarts Redis …); no timers place the fault.
 * Each scenario puts payment files of its own (one open invoice each) into the directory and counts per file:
 * lost (gone from the server, never posted to the ERP) or twice (posted more than once).
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { FtpControlProxy } from '../helpers/ftpControlProxy';
import { loadServers } from '../helpers/servers';
import { HttpReceiver } from './httpReceiver';
import { randomTag } from './mailboxes';
import { nodeNamed, readTemplate, replaceUrls, sleep, type CredentialExport, type Template } from './templateRuns';

export const PAYMENT_TEMPLATE = 'payment-import-invoices-paid.json';
export const PAYMENT_SCHEDULE = 'Every weekday at 06:00';
const IMPORT = 'Import bank files and match payments';

export interface Figures {
	documents: number;
	lost: number;
	twice: number;
}

/** The files of one scenario and the invoice each one pays. */
export interface PaymentFiles {
	names: string[];
	invoices: string[];
}

/** A camt.053 statement with one credit of `amount` EUR whose text names `invoice`. */
function statement(prefix: string, invoice: string, amount: string): string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>${prefix}-${invoice}</MsgId><CreDtTm>2026-01-05T18:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>${prefix}-${invoice}</Id><CreDtTm>2026-01-05T18:00:00+01:00</CreDtTm>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-01-05</Dt></BookgDt><ValDt><Dt>2026-01-05</Dt></ValDt><AcctSvcrRef>${invoice}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Bäckerei Weiß GmbH</Nm></Dbtr><DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>Rechnung ${invoice}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
`;
}

export class PaymentImportUnderFault {
	readonly tag = randomTag();
	readonly directory: string;
	readonly receiver = new HttpReceiver();
	proxy!: FtpControlProxy;
	/** the open invoices the ERP answers with: one per file of every scenario */
	private readonly open: Array<{ invoiceNumber: string; openAmount: string; currency: string; customerName: string }> = [];
	/** the command whose reply is held, which occurrence of it (counted over every session), and what runs then */
	private armed: { command: string; nth: number; seen: number; action: () => Promise<void> } | undefined;
	private readonly servers = loadServers();

	/** `prefix`: the scenario family (statement ids, credential ids, the ERP's bearer token), e.g. `kill`. */
	constructor(
		private readonly prefix: string,
		label: string,
	) {
		this.directory = path.join(this.servers.ftp.home, `${label}-${this.tag}`);
		this.receiver
			.on('GET', '/api/invoices', () => ({ body: this.open }))
			.on('POST', /^\/api\/invoices\/[^/]+\/payments$/, { status: 201, body: { ok: true } });
	}

	/** Creates the directory, starts the ERP receiver and the proxy (`release`: pass the held reply on afterwards). */
	async start(afterHold: 'cut' | 'release' = 'cut'): Promise<this> {
		mkdirSync(this.directory, { recursive: true });
		chmodSync(this.directory, 0o777);
		await this.receiver.start();
		this.proxy = await new FtpControlProxy(
			{ host: this.servers.host, port: this.servers.ftp.port },
			(command) => {
				const armed = this.armed;
				if (!armed || !command.toUpperCase().startsWith(armed.command)) return false;
				armed.seen++;
				return armed.seen === armed.nth;
			},
			{ whileHeld: async () => await this.armed?.action(), afterHold },
		).start();
		return this;
	}

	async stop(): Promise<void> {
		await this.proxy?.stop();
		await this.receiver.stop();
		rmSync(this.directory, { recursive: true, force: true });
	}

	/** The payment template pointed at this ERP and directory. */
	template(): Template {
		const template = replaceUrls(readTemplate(PAYMENT_TEMPLATE), 'https://erp.example.com', this.receiver.baseUrl);
		Object.assign(nodeNamed(template, IMPORT).parameters, { directory: `/${path.basename(this.directory)}/`, errorReportTo: this.servers.users.admin.address });
		return template;
	}

	/** The credentials the payment template names: FTP through the proxy, SMTP, the ERP's token, notifications. */
	credentials(): CredentialExport[] {
		const { host, users: u, smtp } = this.servers;
		const id = (kind: string) => `${this.prefix}${kind}`.padEnd(16, '0').slice(0, 16);
		return [
			{ id: id('FtpBank'), name: 'Backoffice FTP (bank files)', type: 'backofficeFtpApi', data: { protocol: 'ftp', host, port: this.proxy.port, user: u.ftp.user, password: u.ftp.password } },
			{ id: id('SmtpAccount'), name: 'Backoffice SMTP (accounting)', type: 'backofficeSmtpApi', data: { host, port: smtp.submissionPort, security: 'starttls', user: u.alice.user, password: u.alice.password, senderAddress: u.alice.address, senderName: 'alice', allowSelfSigned: true } },
			{ id: id('ErpApi'), name: 'ERP API', type: 'httpHeaderAuth', data: { name: 'Authorization', value: `Bearer ${this.prefix}-${this.tag}` } },
			{ id: id('SmtpNotify'), name: 'SMTP (notifications)', type: 'smtp', data: { host, port: smtp.port, secure: false, disableStartTls: true, user: '', password: '' } },
		];
	}

	/** Puts `count` payment files of `scenario` on the server, each paying an open invoice of `amountBase + i` EUR. */
	putFiles(scenario: string, count: number, amountBase: number): PaymentFiles {
		const files: PaymentFiles = { names: [], invoices: [] };
		for (let i = 1; i <= count; i++) {
			const invoice = `RE-${this.tag.toUpperCase()}-${scenario}-${i}`;
			const amount = `${amountBase + i}.00`;
			this.open.push({ invoiceNumber: invoice, openAmount: amount, currency: 'EUR', customerName: 'Bäckerei Weiß GmbH' });
			const name = `camt053_${scenario}_${i}.xml`;
			writeFileSync(path.join(this.directory, name), statement(this.prefix.toUpperCase(), invoice, amount));
			chmodSync(path.join(this.directory, name), 0o666);
			files.names.push(name);
			files.invoices.push(invoice);
		}
		return files;
	}

	/**
	 * Holds the reply to the `nth` `command` (counted from now, over every session) and runs `action` while it is
	 * held; the promise settles when `action` has run (rejected with its error). Disarmed after it ran.
	 */
	hold(command: 'RETR' | 'DELE', nth: number, action: () => Promise<void>): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			this.armed = {
				command,
				nth,
				seen: 0,
				action: async () => {
					this.armed = undefined;
					await action().then(resolve, reject);
				},
			};
		});
	}

	disarm(): void {
		this.armed = undefined;
	}

	/** Waits (up to `timeoutMs`) until none of `files` is on the server any more; how many are left. */
	async untilGone(files: PaymentFiles, timeoutMs: number): Promise<number> {
		const left = () => files.names.filter((name) => existsSync(path.join(this.directory, name))).length;
		const deadline = Date.now() + timeoutMs;
		while (left() > 0 && Date.now() < deadline) await sleep(250);
		return left();
	}

	/** Lost: gone from the server and never posted to the ERP; twice: posted more than once. */
	count(files: PaymentFiles): Figures {
		const figures: Figures = { documents: files.names.length, lost: 0, twice: 0 };
		files.invoices.forEach((invoice, i) => {
			const posted = this.receiver.received('POST', `/api/invoices/${encodeURIComponent(invoice)}/payments`).length;
			if (posted === 0 && !existsSync(path.join(this.directory, files.names[i]))) figures.lost++;
			if (posted > 1) figures.twice++;
		});
		return figures;
	}
}
