/**
 * The file-consuming nodes the fault suite runs (fileRuns.ts): the Accounting FTP Import over FTP, FTPS and
 * SFTP, and Order Exchange › Receive over FTP — each with its directory, documents and fault choices.
 */
import { mkdirSync, chmodSync } from 'node:fs';
import path from 'node:path';

import type { INodeExecutionData } from 'n8n-workflow';

import { writeOpenTrans } from '../../../nodes/shared/documents/orders';
import { camtWithAmount } from '../../helpers/remoteFiles';
import { ftpCredentialsFor, loadServers, n8nCredentialData, sftpCredentialsFor } from '../../helpers/servers';
import { sampleOrder } from '../../unit/orders/sampleDocuments';
import { serverFault } from '../harness/serverControl';
import type { FileScenario, ServerFaultChoice } from './fileRuns';

export type FileProtocol = 'FTP' | 'FTPS' | 'SFTP';

/** A fresh directory for the protocol's server: here, and as the server's user sees it. */
function directory(protocol: FileProtocol, label: string): { local: string; remote: string } {
	const s = loadServers();
	const name = `faults-${label}-${Math.random().toString(36).slice(2, 8)}`;
	const local = path.join(protocol === 'SFTP' ? s.sftp.home : s.ftp.home, name);
	mkdirSync(local, { recursive: true });
	chmodSync(local, 0o777);
	return { local, remote: protocol === 'SFTP' ? `${s.sftp.loginDirectory}/${name}/` : `/${name}/` };
}

function server(protocol: FileProtocol): FileScenario['server'] {
	const s = loadServers();
	if (protocol === 'SFTP') return { host: s.host, port: s.sftp.port, framing: 'bytes' };
	return { host: s.host, port: s.ftp.port, framing: protocol === 'FTP' ? 'ftp' : 'bytes' };
}

function credentials(protocol: FileProtocol): FileScenario['credentials'] {
	return (proxyPort) => {
		const base = protocol === 'SFTP' ? sftpCredentialsFor('password') : ftpCredentialsFor({ protocol: protocol === 'FTP' ? 'ftp' : 'ftpsExplicit' });
		return { backofficeFtpApi: n8nCredentialData({ ...base, ...(proxyPort ? { port: proxyPort } : {}) }) };
	};
}

function serverFaults(protocol: FileProtocol): ServerFaultChoice[] {
	if (protocol === 'SFTP') return [{ label: 'sshd restart', action: () => serverFault('restart-sshd'), max: 1 }];
	return [
		{ label: 'vsftpd sessions killed', action: () => serverFault('kill-ftp-sessions'), max: 2 },
		{ label: 'vsftpd restart', action: () => serverFault('restart-vsftpd'), max: 1 },
	];
}

const idIn = (pattern: RegExp) => (name: string) => pattern.exec(name)?.[1];

type Common = Pick<FileScenario, 'documents' | 'hits' | 'log'>;

/**
 * The Accounting FTP Import: one payment file per document; deleted after import (FTP) or archived (FTPS, SFTP).
 * Over FTP the node's version 2 (the delete waits for the end of the execution, on a session of its own), over
 * FTPS and SFTP version 1 (the archive move while the node runs): the suite covers both.
 */
export function paymentImport(protocol: FileProtocol, common: Common): FileScenario {
	const dir = directory(protocol, 'pay');
	const archive = protocol !== 'FTP';
	const idOfFile = idIn(/^pay-(\d+)(?:_\d+)?\.xml$/);
	return {
		protocol: `${protocol} import`,
		localDirectory: dir.local,
		node: {
			type: 'n8n-nodes-backoffice.accountingFtpImport',
			typeVersion: archive ? 1 : 2,
			parameters: {
				operation: 'importPayments',
				directory: dir.remote,
				afterImport: archive ? 'archive' : 'delete',
				archiveDirectory: 'archiv/',
				onFailure: 'errorDirectory',
				errorDirectory: 'fehler/',
				options: { uploadWaitSeconds: 0 },
			},
		},
		server: server(protocol),
		credentials: credentials(protocol),
		document: (id) => ({ name: `pay-${id}.xml`, content: camtWithAmount(`${id}.00`) }),
		idsOf: (item: INodeExecutionData, output: number) => {
			const file = String(item.json[output === 0 ? 'sourceFile' : 'file'] ?? '');
			// an error item hands a file over only when the file went to the error directory with it
			if (output === 1 && (item.json.imported !== false || !item.json.movedTo)) return [];
			const id = idOfFile(file);
			return id ? [id] : [];
		},
		idOfFile,
		finalDirectories: archive ? ['archiv', 'fehler'] : ['fehler'],
		serverFaults: serverFaults(protocol),
		sftpRequestFaults: protocol === 'SFTP',
		...common,
	};
}

/** Order Exchange › Receive from an FTP directory: one openTRANS order per file, archived to processed/. */
export function orderReceiveFtp(common: Common): FileScenario {
	const dir = directory('FTP', 'ox');
	const site = `filiale-${Math.random().toString(36).slice(2, 6)}`;
	const idOfFile = idIn(/^\S+_ORDER_3(\d{4})(?:_\d+)?\.xml$/);
	const number = (id: string) => `3${id.padStart(4, '0')}`;
	return {
		protocol: 'Order Exchange FTP',
		localDirectory: dir.local,
		node: {
			type: 'n8n-nodes-backoffice.orderExchange',
			parameters: {
				operation: 'receive',
				transport: 'ftp',
				ftpDirectory: dir.remote,
				sites: { site: [{ siteId: site, rangeFrom: '30000', rangeTo: '39999' }] },
				receiveOptions: { uploadWaitSeconds: 0 },
			},
		},
		server: server('FTP'),
		credentials: credentials('FTP'),
		document: (id) => ({ name: `${site}_ORDER_${number(id)}.xml`, content: writeOpenTrans({ ...sampleOrder(), number: number(id), site }) }),
		idsOf: (item, output) => (output === 0 && typeof item.json.number === 'string' ? [String(Number(item.json.number.slice(1)))] : []),
		idOfFile: (name) => {
			const id = idOfFile(name);
			return id === undefined ? undefined : String(Number(id));
		},
		finalDirectories: ['processed', 'failed'],
		serverFaults: serverFaults('FTP'),
		...common,
	};
}
