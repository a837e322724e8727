import type { INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { credentialTest } from '../shared/credentials';
import { imapAccount, mailAuthenticationProperty } from '../shared/mailAuth';
import { userFacing } from '../shared/nodeErrors';
import { consumeMailbox } from '../shared/mailboxConsumer';
import { readMailFolders, searchFolders } from '../shared/mailFolders';
import { pollTimesNotice, properties } from './description';
import { decideMails } from './mailItems';
import { configurationOf, readTriggerSettings } from './settings';

/**
 * Delivery Note IMAP Trigger (Elektronische Lieferscheine): supplier mails in an inbox folder become one item
 * per delivery note; each mail is then moved to the archive folder, or to the error folder with an item on
 * the Errors output. A mail's items are emitted only when its move succeeded, so every mail is handed to the
 * workflow exactly once, and what is still in the inbox is exactly what is still to do (docs/exactly-once-imap.md).
 */

export class DeliveryNoteImapTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Delivery Note IMAP Trigger',
		name: 'deliveryNoteImapTrigger',
		icon: { light: 'file:deliveryNoteImapTrigger.svg', dark: 'file:deliveryNoteImapTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"from " + ($parameter["inboxFolder"].value ?? $parameter["inboxFolder"])}}',
		description: 'Import supplier delivery notes (openTRANS, EDIFACT DESADV, CSV) from a mailbox folder, each mail exactly once',
		defaults: { name: 'Delivery Note IMAP Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Delivery Notes', 'Errors'],
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
		const settings = readTriggerSettings(this);
		const run = await consumeMailbox<INodeExecutionData[]>(this, credentials, {
			label: 'Delivery Note IMAP Trigger',
			busy: {
				message: 'Another poll of this inbox folder is running right now',
				description: 'Wait until it has finished (mails it processes show up in the workflow’s executions), then try again.',
			},
			folders,
			createMissingFolders: settings.createMissingFolders,
			maxMessages: settings.maxMailsPerPoll,
			configuration: configurationOf(credentials, folders, settings),
			decide: async (batch, source) => await decideMails(this, settings, batch, source),
		});
		if (!run) return null;
		// the Errors output is for mails; a refused move or a cut connection is the server's, and is logged
		for (const problem of run.problems) this.logger.warn(`Delivery Note IMAP Trigger (${folders.inbox}): ${problem.message}`);
		const deliveryNotes = run.report.committed.flat();
		const errors = run.report.failed.flat();
		if (!deliveryNotes.length && !errors.length) return null;
		return [deliveryNotes, errors];
	}
}
