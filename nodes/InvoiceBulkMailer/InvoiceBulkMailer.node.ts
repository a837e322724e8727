import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL, credentialTest, smtpCredentials } from '../shared/credentials';
import { headerSafe, isValidMailAddress } from '../shared/mail/addresses';
import { ConnectionError, toConnectionError } from '../shared/transports/connectionErrors';
import { senderOf, smtpEndpoint, withSmtpTransport } from '../shared/transports/smtp';

/**
 * Invoice Bulk Mailer (Rechnungsversand per E-Mail). This version offers the account check of the seed
 * (Xentral: "Test-E-Mail senden"): one test mail through the SMTP account to a test recipient. The bulk
 * sending of invoices follows in the next version of the node.
 */
export class InvoiceBulkMailer implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Invoice Bulk Mailer',
		name: 'invoiceBulkMailer',
		icon: 'file:invoiceBulkMailer.svg',
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Mail invoices as PDF and e-invoice to many customers over SMTP',
		defaults: { name: 'Invoice Bulk Mailer' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'backofficeSmtpApi', required: true, testedBy: 'backofficeSmtpApiTest' }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Send Test Mail',
						value: 'sendTestMail',
						description: 'Send one test mail through the SMTP account to check its settings',
						action: 'Send a test mail',
					},
				],
				default: 'sendTestMail',
			},
			{
				displayName: 'Test Recipient',
				name: 'testRecipient',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'e.g. buchhaltung@example.com',
			},
			{
				displayName: 'Subject',
				name: 'subject',
				type: 'string',
				default: 'Test mail from n8n (invoice mailing)',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Reply-To',
						name: 'replyTo',
						type: 'string',
						default: '',
						placeholder: 'e.g. buchhaltung@example.com',
					},
					{
						displayName: 'Sender Address',
						name: 'senderAddress',
						type: 'string',
						default: '',
						description: 'Overrides the sender address of the SMTP account for this process',
					},
					{
						displayName: 'Sender Name',
						name: 'senderName',
						type: 'string',
						default: '',
						description: 'Overrides the sender name of the SMTP account for this process',
					},
				],
			},
		],
	};

	methods = { credentialTest: { backofficeSmtpApiTest: credentialTest.backofficeSmtpApiTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const account = smtpCredentials(await this.getCredentials(CREDENTIAL.smtp));
		const out: INodeExecutionData[] = [];
		await withSmtpTransport(account, async (transport) => {
			for (let i = 0; i < items.length; i++) {
				const to = (this.getNodeParameter('testRecipient', i) as string).trim();
				const subject = headerSafe(this.getNodeParameter('subject', i, '') as string);
				const options = this.getNodeParameter('options', i, {}) as {
					senderAddress?: string;
					senderName?: string;
					replyTo?: string;
				};
				try {
					const sender = senderOf({
						senderAddress: options.senderAddress?.trim() || account.senderAddress,
						senderName: headerSafe(options.senderName || account.senderName || ''),
					});
					for (const [label, address] of [
						['Test recipient', to],
						['Reply-To', options.replyTo?.trim()],
						['Sender', sender.address],
					] as const) {
						if (address !== undefined && address !== '' && !isValidMailAddress(address)) {
							throw new NodeOperationError(this.getNode(), `${label} "${address}" is not a valid e-mail address`, {
								itemIndex: i,
							});
						}
					}
					let info;
					try {
						info = await transport.sendMail({
							from: sender,
							to,
							replyTo: options.replyTo?.trim() || undefined,
							subject,
							text:
								`This is a test mail sent by n8n through the SMTP account ${account.user ?? account.senderAddress} ` +
								`at ${account.host}:${account.port}. If you can read it, the account can send invoices.`,
						});
					} catch (error) {
						throw toConnectionError(error, smtpEndpoint(account), [account.password]);
					}
					out.push({
						json: {
							recipient: to,
							sender: sender.address,
							messageId: info.messageId,
							accepted: (info.accepted ?? []).map(String),
							rejected: (info.rejected ?? []).map(String),
							response: info.response,
						},
						pairedItem: { item: i },
					});
				} catch (error) {
					if (this.continueOnFail()) {
						out.push({ json: { recipient: to, error: (error as Error).message }, pairedItem: { item: i } });
						continue;
					}
					if (error instanceof ConnectionError) {
						throw new NodeApiError(
							this.getNode(),
							{ message: error.message, code: error.code ?? error.kind },
							{ message: error.message, itemIndex: i },
						);
					}
					throw error instanceof NodeOperationError
						? error
						: new NodeOperationError(this.getNode(), error as Error, { itemIndex: i });
				}
			}
		});
		return [out];
	}
}
