import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { smtpAccount } from '../shared/mailAuth';
import { headerSafe, isValidMailAddress } from '../shared/mail/addresses';
import { userFacing } from '../shared/nodeErrors';
import { toTransportError } from '../shared/transports/transportError';
import { senderOf, smtpEndpoint, withSmtpTransport } from '../shared/transports/smtp';

/** The account check of the seed (Xentral: "Testmail senden"): one test mail per input item to a test recipient. */
export async function sendTestMail(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const account = await smtpAccount(this);
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
					throw toTransportError(error, smtpEndpoint(account), [account.password]);
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
				throw userFacing(this, error, i);
			}
		}
	});
	return out;
}
