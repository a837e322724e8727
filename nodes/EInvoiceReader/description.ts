import type { INodeProperties } from 'n8n-workflow';

export const eInvoiceReaderProperties: INodeProperties[] = [
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'e.g. data, attachment_0 or *',
		hint: 'The name of the binary field that holds the e-invoice; several separated by commas, or * for every binary field of the item',
		description:
			'A ZUGFeRD / Factur-X PDF, or an XRechnung / EN 16931 XML in CII or UBL syntax. The kind is told by the content, not the file name.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Ignore Files That Are Not PDF or XML',
				name: 'ignoreOtherFiles',
				type: 'boolean',
				default: true,
				description:
					'Whether binary fields holding something else (an image, a signature, a text) are skipped without a word. A PDF without an e-invoice inside is always reported.',
			},
			{
				displayName: 'Max File Size (MB)',
				name: 'maxFileSizeMb',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 200 },
				default: 50,
				description: 'A larger file is reported instead of read, so that one huge attachment cannot exhaust the memory of n8n',
			},
			{
				displayName: 'Max XML Size (MB)',
				name: 'maxXmlSizeMb',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 200 },
				default: 20,
				description: 'The largest invoice XML read, also when unpacked from a PDF: a compressed bomb is stopped at this size',
			},
			{
				displayName: 'Warnings Are Problems',
				name: 'warningsAreProblems',
				type: 'boolean',
				default: false,
				description:
					'Whether an invoice with only warnings (e.g. a line amount that is not quantity × price) goes to the Problems output too. Errors always do.',
			},
		],
	},
];
