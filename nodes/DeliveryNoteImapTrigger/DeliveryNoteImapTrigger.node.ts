import type { INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';

import { MAIL_TRIGGER_SUBTITLE, mailTriggerDescription, mailTriggerMethods, pollMailTrigger } from '../shared/mailTrigger';
import { POLL_TIMES_ADVICE, properties } from './description';
import { decideMails } from './mailItems';
import { configurationOf, readTriggerSettings } from './settings';

const LABEL = 'Delivery Note IMAP Trigger';

/**
 * Delivery Note IMAP Trigger (Elektronische Lieferscheine): supplier mails in an inbox folder become one item
 * per delivery note; each mail is then moved to the archive folder, or to the error folder with an item on
 * the Errors output. A mail's items are emitted only when its move succeeded, so every mail is handed to the
 * workflow exactly once, and what is still in the inbox is exactly what is still to do (docs/exactly-once-imap.md).
 */
export class DeliveryNoteImapTrigger implements INodeType {
	description: INodeTypeDescription = {
		...mailTriggerDescription({
			displayName: LABEL,
			name: 'deliveryNoteImapTrigger',
			description: 'Import supplier delivery notes (openTRANS, EDIFACT DESADV, CSV) from a mailbox folder, each mail exactly once',
			output: 'Delivery Notes',
			pollTimesAdvice: POLL_TIMES_ADVICE,
			properties,
		}),
		subtitle: MAIL_TRIGGER_SUBTITLE,
		icon: { light: 'file:deliveryNoteImapTrigger.svg', dark: 'file:deliveryNoteImapTrigger.dark.svg' },
	};

	methods = mailTriggerMethods;

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return await pollMailTrigger(this, LABEL, (credentials, folders) => {
			const settings = readTriggerSettings(this);
			return {
				createMissingFolders: settings.createMissingFolders,
				maxMessages: settings.maxMailsPerPoll,
				configuration: configurationOf(credentials, folders, settings),
				decide: async (batch, source) => await decideMails(this, settings, batch, source),
			};
		});
	}
}
