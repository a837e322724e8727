import type { INodeProperties } from 'n8n-workflow';

import { FIELDS } from './invoiceItems';

const sendInvoices = { show: { operation: ['sendInvoices'] } };
const sendTestMail = { show: { operation: ['sendTestMail'] } };

/** The default template: German, like the invoices; every placeholder is documented in the README. */
export const DEFAULT_SUBJECT =
	'{{#if multiple}}Ihre Rechnungen{{else}}Ihre Rechnung{{/if}} {{#each invoices}}{{number}}{{#unless @last}}, {{/unless}}{{/each}}';
export const DEFAULT_TEXT = `Guten Tag{{#if customer.name}} {{customer.name}}{{/if}},

{{#if multiple}}anbei erhalten Sie Ihre Rechnungen als PDF:{{else}}anbei erhalten Sie Ihre Rechnung als PDF:{{/if}}

{{#each invoices}}
- {{number}} vom {{date}} über {{grossTotal}}{{#if dueDate}}, fällig am {{dueDate}}{{/if}}
{{/each}}

Mit freundlichen Grüßen
{{seller.name}}
`;

const TEMPLATE_HINT =
	'Handlebars placeholders such as {{customer.name}} and {{#each invoices}}{{number}}{{/each}}, filled once per mail. Keep the field "Fixed", not "Expression".';

const sellerField = (name: string, displayName: string, placeholder: string, description?: string): INodeProperties => ({
	displayName,
	name,
	type: 'string',
	default: '',
	placeholder: `e.g. ${placeholder}`,
	...(description ? { description } : {}),
});

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Send Invoices',
				value: 'sendInvoices',
				description: 'Mail each customer their invoices as PDF or e-invoice, skipping customers without e-mail or who want paper',
				action: 'Send invoices',
			},
			{
				name: 'Send Test Mail',
				value: 'sendTestMail',
				description: 'Send one test mail through the SMTP account to check its settings',
				action: 'Send a test mail',
			},
		],
		default: 'sendInvoices',
	},

	// ------------------------------------------------------------------------------------ Send Test Mail
	{
		displayName: 'Test Recipient',
		name: 'testRecipient',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. buchhaltung@example.com',
		displayOptions: sendTestMail,
	},
	{
		displayName: 'Subject',
		name: 'subject',
		type: 'string',
		default: 'Test mail from n8n (invoice mailing)',
		displayOptions: sendTestMail,
	},

	// ------------------------------------------------------------------------------------ Send Invoices
	{
		displayName:
			'One input item per invoice. Customers who want invoices by post, or have no valid e-mail address, and invoices already mailed go to the Skipped output; see the field names below and the README.',
		name: 'inputNotice',
		type: 'notice',
		default: '',
		displayOptions: sendInvoices,
	},
	{
		displayName: 'Dry Run',
		name: 'dryRun',
		type: 'boolean',
		default: false,
		description:
			'Whether to only render every mail (as an .eml file with its attachments) and PDF for review, without sending anything',
		displayOptions: sendInvoices,
	},
	{
		displayName: 'Group per Customer',
		name: 'groupPerCustomer',
		type: 'boolean',
		default: true,
		description:
			'Whether to send one mail per customer with all of their invoices attached (one PDF each), instead of one mail per invoice',
		displayOptions: sendInvoices,
	},
	{
		displayName: 'PDF',
		name: 'pdfSource',
		type: 'options',
		options: [
			{
				name: 'Generate From Invoice Data',
				value: 'generate',
				description: 'Render the invoice as a PDF with what §14 UStG requires, from the item and the seller data below',
			},
			{
				name: 'Take From Binary Property',
				value: 'binary',
				description: 'Attach the PDF the item already carries (e.g. from the ERP)',
			},
		],
		default: 'generate',
		displayOptions: sendInvoices,
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: 'Name of the binary property that holds the invoice PDF',
		displayOptions: { show: { operation: ['sendInvoices'], pdfSource: ['binary'] } },
	},
	{
		displayName: 'E-Invoice',
		name: 'eInvoice',
		type: 'options',
		options: [
			{
				name: 'None',
				value: 'none',
				description: 'The PDF only: for private customers, and businesses until the German e-invoice mandate applies to you',
			},
			{
				name: 'XRechnung (CII)',
				value: 'xrechnung',
				description:
					'For public authorities: the XRechnung XML as its own attachment (named by the invoice number, .xml), the PDF next to it as a readable copy. Needs the buyer reference (Leitweg-ID), and the seller\'s e-mail and phone.',
			},
			{
				name: 'ZUGFeRD / Factur-X (EN 16931)',
				value: 'facturx',
				description:
					'For businesses: one PDF/A-3 that a person reads and whose embedded factur-x.xml the customer\'s accounting software reads',
			},
		],
		default: 'none',
		hint: 'Factur-X EN 16931 fits businesses; XRechnung fits public authorities and needs the buyer reference (Leitweg-ID). The smaller Factur-X profiles MINIMUM and BASIC WL are not invoices in Germany and are not offered. An invoice lacking what the rules require goes to Failed, naming the field and the rule.',
		description: 'Whether to send an electronic invoice (EN 16931) made from the same data as the PDF',
		displayOptions: sendInvoices,
	},
	{
		displayName: 'Subject',
		name: 'mailSubject',
		type: 'string',
		default: DEFAULT_SUBJECT,
		hint: TEMPLATE_HINT,
		displayOptions: sendInvoices,
	},
	{
		displayName: 'Text',
		name: 'mailText',
		type: 'string',
		typeOptions: { rows: 10 },
		default: DEFAULT_TEXT,
		description: 'Plain-text body of the mail; values are inserted as they are',
		displayOptions: sendInvoices,
	},
	{
		displayName: 'HTML',
		name: 'mailHtml',
		type: 'string',
		typeOptions: { rows: 10 },
		default: '',
		description:
			'Optional HTML body, sent next to the text. Values in {{…}} are HTML-escaped, so customer data cannot add markup.',
		displayOptions: sendInvoices,
	},
	{
		displayName: 'Seller',
		name: 'seller',
		type: 'fixedCollection',
		default: {},
		placeholder: 'Add Seller Data',
		description: 'Your company as the invoice names it (§14 UStG); required for generated PDFs and for e-invoices',
		displayOptions: sendInvoices,
		options: [
			{
				displayName: 'Seller',
				name: 'details',
				values: [
					sellerField('name', 'Name', 'Bäckerei Weiß & Söhne GmbH'),
					sellerField('street', 'Street', 'Hauptstraße 5'),
					sellerField('zip', 'Postcode', '50667'),
					sellerField('city', 'City', 'Köln'),
					sellerField('country', 'Country', 'DE', 'ISO 3166-1 code; DE when empty'),
					sellerField('vatId', 'VAT ID', 'DE123456789', 'Umsatzsteuer-ID; either it or the tax number is required'),
					sellerField('taxNumber', 'Tax Number', '214/5702/0815', 'Steuernummer'),
					sellerField(
						'contactName',
						'Contact Name',
						'Buchhaltung, Frau Weiß',
						'Person or department to contact about the invoice (e-invoice BT-41); XRechnung names the company when empty',
					),
					sellerField('email', 'Email', 'buchhaltung@baeckerei-weiss.de', "Also the seller's electronic address in e-invoices; XRechnung requires it"),
					sellerField('phone', 'Phone', '+49 221 123456', 'XRechnung requires it (contact telephone)'),
					sellerField('website', 'Website', 'www.baeckerei-weiss.de'),
					sellerField('commercialRegister', 'Commercial Register', 'Amtsgericht Köln HRB 12345'),
					sellerField('managingDirectors', 'Managing Directors', 'Grete Weiß, Hans Weiß'),
					sellerField('iban', 'IBAN', 'DE89 3704 0044 0532 0130 00'),
					sellerField('bic', 'BIC', 'COBADEFFXXX'),
					sellerField('bankName', 'Bank Name', 'Commerzbank Köln'),
					sellerField('accountHolder', 'Account Holder', 'Bäckerei Weiß & Söhne GmbH', 'Only when it differs from the seller name'),
				],
			},
		],
	},
	{
		displayName: 'Input Field Names',
		name: 'fields',
		type: 'collection',
		placeholder: 'Change Field Name',
		default: {},
		description:
			'Where each value is in the input items: a field name, or a path such as customer.email. Fields not changed here use the name shown as default.',
		displayOptions: sendInvoices,
		// one option per entry of the FIELDS table, in the order of an invoice; the table holds the defaults
		// eslint-disable-next-line n8n-nodes-base/node-param-default-missing
		options: FIELDS.map((field) => ({
			displayName: field.displayName,
			name: field.key,
			type: 'string',
			default: field.default,
			description: field.description,
		})),
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Archive Copy (BCC)',
				name: 'bcc',
				type: 'string',
				default: '',
				placeholder: 'e.g. rechnungsausgang@example.com',
				description: 'Address that receives a blind copy of every mail, e.g. for the archive',
				displayOptions: { show: { '/operation': ['sendInvoices'] } },
			},
			{
				displayName: 'Connections in Parallel',
				name: 'maxConnections',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 20 },
				default: 3,
				description: 'How many SMTP connections send at once (kept open for the whole run)',
				displayOptions: { show: { '/operation': ['sendInvoices'] } },
			},
			{
				displayName: 'Language',
				name: 'language',
				type: 'options',
				options: [
					{ name: 'German', value: 'de' },
					{ name: 'English', value: 'en' },
				],
				default: 'de',
				description: 'Language of the generated PDF, and of dates and amounts in the template',
				displayOptions: { show: { '/operation': ['sendInvoices'] } },
			},
			{
				displayName: 'Logo Binary Field',
				name: 'logoBinaryPropertyName',
				type: 'string',
				default: '',
				placeholder: 'e.g. logo',
				description:
					'Name of a binary property with a PNG or JPEG logo for the generated PDFs; taken from the first item that has it',
				displayOptions: { show: { '/operation': ['sendInvoices'], '/pdfSource': ['generate'] } },
			},
			{
				displayName: 'Messages per Second',
				name: 'messagesPerSecond',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: 'Upper limit over all connections, for providers that throttle (0: no limit)',
				displayOptions: { show: { '/operation': ['sendInvoices'] } },
			},
			{
				displayName: 'Reply-To',
				name: 'replyTo',
				type: 'string',
				default: '',
				placeholder: 'e.g. buchhaltung@example.com',
			},
			{
				displayName: 'Retries for Temporary Failures',
				name: 'retries',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 10 },
				default: 3,
				description:
					'How often a mail the server refuses temporarily (4xx reply, e.g. greylisting, or a lost connection) is tried again',
				displayOptions: { show: { '/operation': ['sendInvoices'] } },
			},
			{
				displayName: 'Retry Delay (Seconds)',
				name: 'retryDelaySeconds',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 10,
				description: 'Wait before the first retry; each further retry waits twice as long',
				displayOptions: { show: { '/operation': ['sendInvoices'] } },
			},
			{
				displayName: 'Send Again',
				name: 'sendAgain',
				type: 'boolean',
				default: false,
				description:
					'Whether to mail invoices this node has mailed before, instead of skipping them with reason "already sent"',
				displayOptions: { show: { '/operation': ['sendInvoices'] } },
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
];
