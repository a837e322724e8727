/**
 * Files on the test servers' FTP and SFTP sites, for the node tests that run over both (issue 17): a fresh
 * directory per test, written and read on this machine, and the credentials of the site's user.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { IDataObject, INode } from 'n8n-workflow';

import type { FileSourceOptions } from '../../nodes/shared/transports/fileSource';
import type { FtpCredentials } from '../../nodes/shared/transports/ftp';
import type { SftpCredentials } from '../../nodes/shared/transports/sftp';
import { ftpCredentialsFor, loadServers, sftpCredentialsFor } from './servers';
import { RunnerWorkflow } from './workflowRunner';

export type FileServer = 'ftp' | 'sftp';

/** The protocols the FTP node tests run over: vsftpd (explicit FTPS) and OpenSSH's sshd (SFTP). */
export const FILE_SERVERS: FileServer[] = ['ftp', 'sftp'];

/** How the nodes name the server in their messages. */
export const SERVER_LABEL: Record<FileServer, string> = { ftp: 'FTP', sftp: 'SFTP' };

export interface RemoteDirectory {
	/** the directory on this machine */
	local: string;
	/** its absolute path as the server's user sees it, with a trailing slash */
	remote: string;
	/** its path relative to the user's login directory */
	relative: string;
}

const created: string[] = [];

/** A file source's options for the transport tests: the directory alone, 1 MB a file, delete after import, unless `changes` say else. */
export function sourceOptions(directory: string, changes: Partial<FileSourceOptions> = {}): FileSourceOptions {
	return {
		directory,
		dateSubdirectories: 'none',
		daysBack: 0,
		nameFilter: '',
		stableWaitMs: 0,
		maxFileBytes: 1024 * 1024,
		maxFiles: 0,
		afterImport: 'delete',
		archiveDirectory: '',
		onFailure: 'keep',
		errorDirectory: '',
		...changes,
	};
}

/** Removes every directory `remoteDirectory` made (call it in `afterAll`). */
export function removeRemoteDirectories(): void {
	for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh directory, writable for the server's user, in its login directory (the FTP home, /files over SFTP). */
export function remoteDirectory(over: FileServer, label: string): RemoteDirectory {
	const servers = loadServers();
	const name = `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
	const local = path.join(over === 'sftp' ? servers.sftp.home : servers.ftp.home, name);
	created.push(local);
	mkdirSync(local, { recursive: true });
	chmodSync(local, 0o777);
	const remote = over === 'sftp' ? `${servers.sftp.loginDirectory}/${name}/` : `/${name}/`;
	return { local, remote, relative: name };
}

/** The credential of the site's user: explicit FTPS with the FTP user, or SFTP with the password user. */
export function fileServerCredentials(over: FileServer, ftp: Partial<FtpCredentials> = {}): FtpCredentials | SftpCredentials {
	return over === 'sftp' ? sftpCredentialsFor('password') : { ...ftpCredentialsFor({ protocol: 'ftpsExplicit' }), ...ftp };
}

/** Writes a file as an uploader would (readable and deletable by the server's user); returns its local path. */
export function put(dir: string, name: string, content: Buffer | string): string {
	mkdirSync(dir, { recursive: true });
	chmodSync(dir, 0o777);
	const file = path.join(dir, name);
	writeFileSync(file, content);
	chmodSync(file, 0o666);
	return file;
}

export const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

export const fixture = (relative: string): Buffer => readFileSync(path.join(__dirname, '..', 'fixtures', relative));

/**
 * camt.053 001.02 with one credit of `amount` (so that each generated file is told apart by its amount), and the
 * closing balance that credit gives: the genkgo sample's own closing balance (a debit of 27.00 SEK) does not add up,
 * and the import refuses statements that do not.
 */
export function camtWithAmount(amount: string): Buffer {
	return Buffer.from(camtFromTemplate(fixture('camt053/camt053.v2.minimal.xml').toString('utf8'), amount));
}

/** `camtWithAmount` on the text of camt053/camt053.v2.minimal.xml (for the benches, which read it themselves). */
export function camtFromTemplate(template: string, amount: string): string {
	const closing = (18.15 + Number(amount)).toFixed(2);
	return template
		.replace('<Amt Ccy="EUR">8.85</Amt>', `<Amt Ccy="EUR">${amount}</Amt>`)
		.replace(/<Amt Ccy="SEK">27\.00<\/Amt>\s*<CdtDbtInd>DBIT<\/CdtDbtInd>/, `<Amt Ccy="EUR">${closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd>`);
}

export interface PaymentImportWorkflow {
	/** 2 (default): commits at the execution's end; 1: while the node runs */
	typeVersion?: number;
	/** the node's name (default "Import") */
	nodeName?: string;
	/** the saved workflow's id: the same id in two workflows is two copies of one saved workflow */
	id?: string;
	name?: string;
	/** the workflow's static data as n8n saved it (the node's under `node:<name>`) */
	staticData?: IDataObject;
	/** the credentials chosen on the node, as n8n stores them */
	credentials?: INode['credentials'];
	/** the workflow's time zone setting */
	timezone?: string;
}

/** A workflow with one Accounting FTP Import importing payments with `parameters` (no upload wait unless given). */
export function paymentImportWorkflow(parameters: IDataObject, workflow: PaymentImportWorkflow = {}): RunnerWorkflow {
	const { typeVersion = 2, nodeName = 'Import', id, name, staticData, credentials, timezone } = workflow;
	const node: INode = {
		id: 'import',
		name: nodeName,
		type: 'n8n-nodes-backoffice.accountingFtpImport',
		typeVersion,
		position: [0, 0],
		parameters: { operation: 'importPayments', options: { uploadWaitSeconds: 0 }, ...parameters },
		...(credentials ? { credentials } : {}),
	};
	return new RunnerWorkflow({ id, name, nodes: [node], connections: {}, staticData, ...(timezone ? { settings: { executionOrder: 'v1', timezone } } : {}) });
}

/**
 * The saved workflow `id` with one Accounting FTP Import (version 2: commits at the execution's end) named
 * "Import", importing payments with `parameters`, and the workflow's static data `staticData` (what n8n saved).
 */
export function savedImport(id: string, parameters: IDataObject, staticData: IDataObject = {}): RunnerWorkflow {
	return paymentImportWorkflow(parameters, { id, staticData });
}
