import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL, credentialTest, ftpCredentials } from '../shared/credentials';
import { checkFtpAccess } from '../shared/transports/ftpAccess';
import { ConnectionError } from '../shared/transports/connectionErrors';

/**
 * Accounting FTP Import (Buchhaltungsimport per FTP). This version offers the seed's access check: it
 * lists the directory and writes and deletes a probe file, reporting which right is missing. The import
 * of payment files follows in the next version of the node.
 */
export class AccountingFtpImport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Accounting FTP Import',
		name: 'accountingFtpImport',
		icon: 'file:accountingFtpImport.svg',
		group: ['input'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Import payment files (camt.053, MT940, DATEV, CSV) from an FTP or FTPS server',
		defaults: { name: 'Accounting FTP Import' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'backofficeFtpApi', required: true, testedBy: 'backofficeFtpApiTest' }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Check Access',
						value: 'checkAccess',
						description: 'List the directory, then write and delete a probe file to check the read and write rights',
						action: 'Check access to the FTP directory',
					},
				],
				default: 'checkAccess',
			},
			{
				displayName: 'Directory',
				name: 'directory',
				type: 'string',
				default: '',
				placeholder: 'e.g. /zahlungen/',
				description: 'Directory on the server; empty for the login directory. A trailing slash is optional.',
			},
		],
	};

	methods = { credentialTest: { backofficeFtpApiTest: credentialTest.backofficeFtpApiTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const credentials = ftpCredentials(await this.getCredentials(CREDENTIAL.ftp));
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			const directory = this.getNodeParameter('directory', i, '') as string;
			try {
				const report = await checkFtpAccess(credentials, directory);
				out.push({ json: report as unknown as IDataObject, pairedItem: { item: i } });
			} catch (error) {
				if (this.continueOnFail()) {
					out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				if (error instanceof ConnectionError) {
					throw new NodeApiError(this.getNode(), { message: error.message, code: error.code ?? error.kind }, {
						message: error.message,
						itemIndex: i,
					});
				}
				throw new NodeOperationError(this.getNode(), error as Error, { itemIndex: i });
			}
		}
		return [out];
	}
}
