import { createHash } from 'node:crypto';

import type { INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';

import { MAIL_TRIGGER_SUBTITLE, mailTriggerDescription, mailTriggerMethods, pollMailTrigger, readMailTriggerOptions } from '../shared/mailTrigger';
import { POLL_TIMES_ADVICE, properties } from './description';
import type { InvoiceMailSettings } from './invoiceMail';
import { decideInvoiceMails } from './mailItems';

const LABEL = 'E-Invoice IMAP Trigger';

/**
 * E-Invoice IMAP Trigger (Rechnungseingang per E-Mail): supplier mails in an inbox folder become one item per
 * e-invoice (ZUGFeRD / Factur-X PDF, XRechnung or EN 16931 XML in CII or UBL), read and checked like the E-Invoice
 * Reader does; each mail is then moved to the archive folder, or to the error folder with an item on the Errors
 * output. It runs on the same mailbox consumer as the Delivery Note IMAP Trigger, with the same guarantee: a
 * mail's items are emitted only when its move succeeded, so every mail is handed over exactly once.
 */
export class EInvoiceImapTrigger implements INodeType {
	description: INodeTypeDescription = {
		...mailTriggerDescription({
			displayName: LABEL,
			name: 'eInvoiceImapTrigger',
			description: 'Take supplier e-invoices (ZUGFeRD / Factur-X, XRechnung) from a mailbox folder, each mail exactly once',
			output: 'Invoices',
			pollTimesAdvice: POLL_TIMES_ADVICE,
			properties,
		}),
		subtitle: MAIL_TRIGGER_SUBTITLE,
		icon: { light: 'file:eInvoiceImapTrigger.svg', dark: 'file:eInvoiceImapTrigger.dark.svg' },
	};

	methods = mailTriggerMethods;

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return await pollMailTrigger(this, LABEL, (credentials, folders) => {
			const options = readMailTriggerOptions(this);
			const { maxXmlSizeMb } = this.getNodeParameter('options', {}) as { maxXmlSizeMb?: number };
			const settings: InvoiceMailSettings = {
				maxAttachmentBytes: options.maxAttachmentBytes,
				maxXmlBytes: Math.round((maxXmlSizeMb ?? 20) * 1024 * 1024),
				rulesBrokenIsError: (this.getNodeParameter('rulesBroken', 'error') as string) === 'error',
			};
			return {
				createMissingFolders: options.createMissingFolders,
				maxMessages: options.maxMailsPerPoll,
				configuration: createHash('sha256').update(JSON.stringify([credentials.host, credentials.user, folders.inbox])).digest('hex'),
				decide: async (batch, source) => await decideInvoiceMails(this, settings, batch, source),
			};
		});
	}
}
