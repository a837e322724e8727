import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { credentialTest } from '../shared/credentials';
import { mailAuthenticationProperty } from '../shared/mailAuth';
import { checkAccess } from './checkAccess';
import { properties } from './description';
import { importPayments } from './importPayments';
import { sendTestReport } from './sendTestReport';

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
		// 2: a file is deleted or archived once the execution has ended (docs/exactly-once.md); 1: while the node runs
		version: [1, 2],
		// the operation's label, not its value (ternaries: the editor's expression parser knows them for sure)
		subtitle:
			'={{$parameter["operation"] === "checkAccess" ? "Check access" : $parameter["operation"] === "sendTestReport" ? "Send test report" : "Import payments"}}',
		description: 'Import payment files (camt.053, MT940, DATEV, CSV) from an FTP, FTPS or SFTP server',
		defaults: { name: 'Accounting FTP Import' },
		inputs: [NodeConnectionTypes.Main],
		// Import Payments has two outputs, the other operations one; n8n evaluates this per node (as its Switch node does)
		// (no `??` here: the editor's expression parser may not know it; a missing operation is the default, Import Payments)
		outputs: `={{ ["checkAccess", "sendTestReport"].includes($parameter.operation) ? [{ type: "${NodeConnectionTypes.Main}" }] : [{ type: "${NodeConnectionTypes.Main}", displayName: "Payments" }, { type: "${NodeConnectionTypes.Main}", displayName: "Errors" }] }}`,
		usableAsTool: true,
		// a label per purpose: the editor shows a credential's `displayName` as its field's label
		credentials: [
			{
				name: 'backofficeFtpApi',
				displayName: 'FTP Server',
				required: true,
				testedBy: 'backofficeFtpApiTest',
				// `show` on the two operations that use it, never on all three: n8n 2.41's editor takes a parameter that
				// credentials show on with every option for the sign-in switch and hides it; and without any `show`, or
				// with one on the sign-in, it lists the sign-in's credential types (SMTP, Mail OAuth2) in this field
				// instead of FTP credentials (test/unit/editor/authFields.test.ts)
				displayOptions: { show: { operation: ['importPayments', 'checkAccess'] } },
			},
			{
				name: 'backofficeSmtpApi',
				displayName: 'SMTP for Error Reports',
				required: false,
				testedBy: 'backofficeSmtpApiTest',
				displayOptions: { show: { mailAuthentication: ['password'] }, hide: { operation: ['checkAccess'] } },
			},
			{
				name: 'backofficeMailOAuth2Api',
				displayName: 'Mail OAuth2 for Error Reports',
				required: false,
				displayOptions: { show: { mailAuthentication: ['oAuth2'] }, hide: { operation: ['checkAccess'] } },
			},
		],
		properties: [
			...properties,
			mailAuthenticationProperty('mailAuthentication', { hide: { operation: ['checkAccess'] } }),
		],
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
