import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL, credentialTest, fileServerCredentials, smtpCredentials } from '../shared/credentials';
import { userFacing } from '../shared/nodeErrors';
import { checkRemoteAccess } from '../shared/transports/remoteDirectory';
import { properties } from './description';
import { sendErrorReport } from './errorReport';
import { importPayments } from './importPayments';

/**
 * Accounting FTP Import (Buchhaltungsimport per FTP): payment files (camt.053, MT940, DATEV, CSV) from an
 * FTP/FTPS directory into payments matched to open invoices, each file imported once. Operations:
 * Import Payments (outputs Payments and Errors), Send Test Report (the seed's "Test" button of the error
 * report mail) and Check Access (list, write, delete a probe file).
 */
export class AccountingFtpImport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Accounting FTP Import',
		name: 'accountingFtpImport',
		icon: { light: 'file:accountingFtpImport.svg', dark: 'file:accountingFtpImport.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Import payment files (camt.053, MT940, DATEV, CSV) from an FTP, FTPS or SFTP server',
		defaults: { name: 'Accounting FTP Import' },
		inputs: [NodeConnectionTypes.Main],
		// Import Payments has two outputs, the other operations one; n8n evaluates this per node (as its Switch node does)
		// (no `??` here: the editor's expression parser may not know it; a missing operation is the default, Import Payments)
		outputs: `={{ ["checkAccess", "sendTestReport"].includes($parameter.operation) ? [{ type: "${NodeConnectionTypes.Main}" }] : [{ type: "${NodeConnectionTypes.Main}", displayName: "Payments" }, { type: "${NodeConnectionTypes.Main}", displayName: "Errors" }] }}`,
		usableAsTool: true,
		credentials: [
			{
				name: 'backofficeFtpApi',
				required: true,
				testedBy: 'backofficeFtpApiTest',
				displayOptions: { show: { operation: ['importPayments', 'checkAccess'] } },
			},
			{
				name: 'backofficeSmtpApi',
				required: false,
				testedBy: 'backofficeSmtpApiTest',
				displayOptions: { show: { operation: ['importPayments', 'sendTestReport'] } },
			},
		],
		properties,
	};

	methods = {
		credentialTest: {
			backofficeFtpApiTest: credentialTest.backofficeFtpApiTest,
			backofficeSmtpApiTest: credentialTest.backofficeSmtpApiTest,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		if (operation === 'importPayments') return await importPayments.call(this);
		if (operation === 'sendTestReport') return [await sendTestReport.call(this)];
		return [await checkAccess.call(this)];
	}
}

async function checkAccess(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const credentials = fileServerCredentials(await this.getCredentials(CREDENTIAL.ftp));
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const directory = this.getNodeParameter('directory', i, '') as string;
		try {
			const report = await checkRemoteAccess(credentials, directory);
			out.push({ json: report as unknown as IDataObject, pairedItem: { item: i } });
		} catch (error) {
			if (this.continueOnFail()) {
				out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
				continue;
			}
			throw userFacing(this, error, i);
		}
	}
	return out;
}

/** The seed's "Test" button: one sample report, whatever the number of input items. */
async function sendTestReport(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const recipient = (this.getNodeParameter('errorReportTo', 0, '') as string).trim();
	let account;
	try {
		account = smtpCredentials(await this.getCredentials(CREDENTIAL.smtp));
	} catch {
		throw new NodeOperationError(this.getNode(), 'Send Test Report needs an SMTP credential: choose one');
	}
	const ftp = await this.getCredentials(CREDENTIAL.ftp).catch(() => undefined);
	try {
		const sent = await sendErrorReport(account, recipient, {
			test: true,
			workflowName: this.getWorkflow().name ?? 'workflow',
			server: ftp ? `${String(ftp.host ?? '')}` : '(FTP server of the import)',
			directory: '(the import directory)',
			runAt: new Date().toISOString(),
			failures: [
				{
					file: 'Zahlungen_Beispiel.sta',
					stage: 'parse',
					reason: 'sample: field :25: (account identification) cannot come after :61: — the file is damaged',
					position: 'line 6',
					action: 'left in place; it is tried again on the next run',
					content: Buffer.from(':20:BEISPIEL\r\n:25:50880050/0194787400888\r\n:28C:00001/001\r\n:60F:C250314EUR0,00\r\n', 'latin1'),
				},
			],
		});
		return [{ json: { ...sent, test: true }, pairedItem: { item: 0 } }];
	} catch (error) {
		if (this.continueOnFail()) return [{ json: { recipient, error: (error as Error).message }, pairedItem: { item: 0 } }];
		throw userFacing(this, error, 0);
	}
}
