import { createHash } from 'node:crypto';

import type { INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { credentialTest } from '../shared/credentials';
import { imapAccount, mailAuthenticationProperty } from '../shared/mailAuth';
import { consumeMailbox } from '../shared/mailboxConsumer';
import { readMailFolders, searchFolders } from '../shared/mailFolders';
import { userFacing } from '../shared/nodeErrors';
import { pollTimesNotice, properties } from './description';
import type { InvoiceMailSettings } from './invoiceMail';
import { decideInvoiceMails } from './mailItems';

/**
 * E-Invoice IMAP Trigger (Rechnungseingang per E-Mail): supplier mails in an inbox folder become one item per
 * e-invoice (ZUGFeRD / Factur-X PDF, XRechnung or EN 16931 XML in CII or UBL), read and checked like the E-Invoice
 * Reader does; each mail is then moved to the archive folder, or to the error folder with an item on the Errors
 * output. It runs on the same mailbox consumer as the Delivery Note IMAP Trigger, with the same guarantee: a
 * mail's items are emitted only when its move succeeded, so every mail is handed over exactly once.
 */
export class EInvoiceImapTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'E-Invoice IMAP Trigger',
		name: 'eInvoiceImapTrigger',
		icon: { light: 'file:eInvoiceImapTrigger.svg', dark: 'file:eInvoiceImapTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"from " + ($parameter["inboxFolder"].value ?? $parameter["inboxFolder"])}}',
		description: 'Take supplier e-invoices (ZUGFeRD / Factur-X, XRechnung) from a mailbox folder, each mail exactly once',
		defaults: { name: 'E-Invoice IMAP Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Invoices', 'Errors'],
		// a label per purpose: the editor shows a credential's `displayName` as its field's label (else just "Credential")
		credentials: [
			{
				name: 'backofficeImapApi',
				displayName: 'IMAP Mailbox',
				required: true,
				testedBy: 'backofficeImapApiTest',
				displayOptions: { show: { authentication: ['password'] } },
			},
			{
				name: 'backofficeMailOAuth2Api',
				displayName: 'Mail OAuth2',
				required: true,
				displayOptions: { show: { authentication: ['oAuth2'] } },
			},
		],
		properties: [pollTimesNotice, mailAuthenticationProperty(), ...properties],
	};

	methods = {
		credentialTest: { backofficeImapApiTest: credentialTest.backofficeImapApiTest },
		listSearch: { searchFolders },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const credentials = await imapAccount(this).catch((error: unknown) => {
			throw userFacing(this, error);
		});
		const folders = readMailFolders(this);
		const options = this.getNodeParameter('options', {}) as { createMissingFolders?: boolean; maxAttachmentSizeMb?: number; maxMailsPerPoll?: number; maxXmlSizeMb?: number };
		const settings: InvoiceMailSettings = {
			maxAttachmentBytes: Math.round((options.maxAttachmentSizeMb ?? 20) * 1024 * 1024),
			maxXmlBytes: Math.round((options.maxXmlSizeMb ?? 20) * 1024 * 1024),
			rulesBrokenIsError: (this.getNodeParameter('rulesBroken', 'error') as string) === 'error',
		};
		const run = await consumeMailbox<INodeExecutionData[]>(this, credentials, {
			label: 'E-Invoice IMAP Trigger',
			busy: {
				message: 'Another poll of this inbox folder is running right now',
				description: 'Wait until it has finished (mails it processes show up in the workflow’s executions), then try again.',
			},
			folders,
			createMissingFolders: options.createMissingFolders === true,
			maxMessages: options.maxMailsPerPoll ?? 500,
			configuration: createHash('sha256').update(JSON.stringify([credentials.host, credentials.user, folders.inbox])).digest('hex'),
			decide: async (batch, source) => await decideInvoiceMails(this, settings, batch, source),
		});
		if (!run) return null;
		// the Errors output is for mails; a refused move or a cut connection is the server's, and is logged
		for (const problem of run.problems) this.logger.warn(`E-Invoice IMAP Trigger (${folders.inbox}): ${problem.message}`);
		const invoices = run.report.committed.flat();
		const errors = run.report.failed.flat();
		if (!invoices.length && !errors.length) return null;
		return [invoices, errors];
	}
}
