import type { INodeProperties } from 'n8n-workflow';

export const operationProperty: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Match',
			value: 'match',
			description:
				'Link the lines of imported orders to your article numbers and their addresses to your address book (by sound and spelling)',
			action: 'Match articles and addresses of imported orders',
		},
		{
			name: 'Receive',
			value: 'receive',
			description:
				'Import waiting quotes and orders from a mailbox folder, an FTP directory, a folder or the input, with site, number range and duplicate checks',
			action: 'Receive quotes and orders from another site',
		},
		{
			name: 'Send',
			value: 'send',
			description: 'Write each input item as an openTRANS 2.1 quote or order and send it to the head office by e-mail, FTP or folder',
			action: 'Send quotes and orders to another site',
		},
	],
	default: 'send',
};
