import type { INodeProperties } from 'n8n-workflow';

const onMatch = { operation: ['match'], matchMode: ['addressBook'] };

export const matchProperties: INodeProperties[] = [
	{
		displayName: 'Mode',
		name: 'matchMode',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Against Article Master and Address Book',
				value: 'addressBook',
				description: 'Link lines to your article numbers and addresses to your address book; a merely similar address goes to Review',
			},
			{
				name: 'Apply a Person’s Decision',
				value: 'decision',
				description:
					'For orders from the Review output: use the candidate a person chose, or create the imported address (the answer of a form)',
			},
		],
		default: 'addressBook',
		displayOptions: { show: { operation: ['match'] } },
	},
	{
		displayName: 'Article Numbers',
		name: 'articleNumbers',
		type: 'string',
		default: '',
		placeholder: "e.g. {{ $('Read Articles').all().map(item => item.json.artnr) }}",
		description:
			'The article numbers of this site’s article master: an expression that gives a list, or numbers separated by commas or new lines. A line whose article number is not among them keeps its text, quantity and price and gets articleLinked: false. Empty: articles are not checked. Evaluated once per run.',
		displayOptions: { show: onMatch },
	},
	{
		displayName: 'Address Book',
		name: 'addressBook',
		type: 'json',
		default: '',
		placeholder: "e.g. {{ $('Read Customers').all().map(item => item.json) }}",
		description:
			'This site’s addresses: an expression that gives a list of objects with ID, name, street, zip, city and optionally customerNumber. Indexed once per run, so a book of 100,000 addresses stays fast. Empty: addresses are not checked.',
		displayOptions: { show: onMatch },
	},
	{
		displayName: 'Similar Address',
		name: 'similarAddress',
		type: 'options',
		options: [
			{
				name: 'Ask (Review Output)',
				value: 'ask',
				description: 'The order goes to the Review output with the ranked candidates and their scores, so a person decides',
			},
			{
				name: 'Use Existing',
				value: 'useExisting',
				description: 'Link the address to the best similar address of the address book',
			},
			{
				name: 'Use Imported',
				value: 'useImported',
				description: 'Keep the imported address as a new address',
			},
		],
		default: 'ask',
		description:
			'What to do when an address is not in the address book as written, but a similar one is (same sound by Kölner Phonetik, similar spelling, postcode agreeing)',
		displayOptions: { show: onMatch },
	},
	{
		displayName: 'Options',
		name: 'matchOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: onMatch },
		options: [
			{
				displayName: 'Max Candidates',
				name: 'maxCandidates',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 20 },
				default: 5,
				description: 'Max number of address book entries listed per address, best first',
			},
		],
	},
];
