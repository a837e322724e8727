import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { credentialTest } from '../shared/credentials';
import { mailAuthenticationProperty } from '../shared/mailAuth';
import { properties } from './description';
import { sendInvoices } from './sendInvoices';
import { sendTestMail } from './sendTestMail';

/**
 * Invoice Bulk Mailer (Rechnungsversand per E-Mail): invoices as PDF to many customers at once over pooled
 * SMTP connections. Every input invoice comes out on exactly one of three outputs: Sent (one item per mail),
 * Skipped (by post, no or invalid e-mail, already sent) or Failed (refused by the server, or invoice data
 * incomplete). What was sent is remembered in the workflow's static data, so a re-run mails nobody twice.
 * Send Test Mail is the account check of the seed (Xentral: "Testmail senden"); its mail comes out on Sent.
 */
export class InvoiceBulkMailer implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Invoice Bulk Mailer',
		name: 'invoiceBulkMailer',
		icon: { light: 'file:invoiceBulkMailer.svg', dark: 'file:invoiceBulkMailer.dark.svg' },
		group: ['output'],
		version: 1,
		// the operation's label, not its value
		subtitle: '={{$parameter["operation"] === "sendTestMail" ? "Send test mail" : "Send invoices"}}',
		description: 'Mail invoices as PDF and e-invoice to many customers over SMTP',
		defaults: { name: 'Invoice Bulk Mailer' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Sent', 'Skipped', 'Failed'],
		usableAsTool: true,
		// a label per purpose: the editor shows a credential's `displayName` as its field's label (else just "Credential")
		credentials: [
			{
				name: 'backofficeSmtpApi',
				displayName: 'SMTP Server',
				required: true,
				testedBy: 'backofficeSmtpApiTest',
				displayOptions: { show: { authentication: ['password'] } },
			},
			{
				name: 'backofficeMailOAuth2Api',
				displayName: 'Mail OAuth2',
				required: true,
				displayOptions: { show: { authentication: ['oAuth2'] } },
			},
		],
		properties: [mailAuthenticationProperty(), ...properties],
	};

	methods = { credentialTest: { backofficeSmtpApiTest: credentialTest.backofficeSmtpApiTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		if (operation === 'sendTestMail') return [await sendTestMail.call(this), [], []];
		return await sendInvoices.call(this);
	}
}
