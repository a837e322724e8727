/**
 * The n8n 2.41 editor hides node parameters it takes for authentication switches (read in the installed
 * n8n-editor-ui: ParameterInputList hides the "main auth field" and every parameter that an "auth field" shows on;
 * the auth fields are the parameters named in the credentials' displayOptions.show, the main one is `authentication`
 * or else the first auth field whose every option a credential shows on). This mirrors that rule, so that no
 * parameter but the sign-in choice is hidden: the Operation selector of Accounting FTP Import was.
 */
import type { INodeProperties, INodeTypeDescription } from 'n8n-workflow';

import { AccountingFtpImport } from '../../../nodes/AccountingFtpImport/AccountingFtpImport.node';
import { DeliveryNoteImapTrigger } from '../../../nodes/DeliveryNoteImapTrigger/DeliveryNoteImapTrigger.node';
import { EInvoiceImapTrigger } from '../../../nodes/EInvoiceImapTrigger/EInvoiceImapTrigger.node';
import { EInvoiceReader } from '../../../nodes/EInvoiceReader/EInvoiceReader.node';
import { InvoiceBulkMailer } from '../../../nodes/InvoiceBulkMailer/InvoiceBulkMailer.node';
import { OrderExchange } from '../../../nodes/OrderExchange/OrderExchange.node';

function authFields(type: INodeTypeDescription): INodeProperties[] {
	const names = new Set((type.credentials ?? []).flatMap((c) => Object.keys(c.displayOptions?.show ?? {})));
	return type.properties.filter((p) => names.has(p.name));
}

function mainAuthField(type: INodeTypeDescription): INodeProperties | undefined {
	const fields = authFields(type);
	const named = fields.find(
		(p) => p.name === 'authentication' && !(p.options ?? []).some((o) => 'value' in o && o.value === 'none'),
	);
	if (named) return named;
	const shownOn = (name: string) =>
		(type.credentials ?? []).flatMap((c) => (c.displayOptions?.show?.[name] ?? []).map((v) => String(v ?? '')));
	return fields.find(
		(p) =>
			(p.options?.length ?? 0) > 0 &&
			(p.options ?? []).every((o) => !('value' in o) || typeof o.value !== 'string' || shownOn(p.name).includes(o.value)),
	);
}

function hiddenByEditor(type: INodeTypeDescription): string[] {
	const main = mainAuthField(type);
	if (!main) return [];
	const fields = authFields(type);
	return type.properties
		.filter((p) => p.name === main.name || fields.some((f) => f.displayOptions?.show && p.name in f.displayOptions.show))
		.map((p) => p.name);
}

/**
 * The credential types the editor offers in the field of `credential` (NodeCredentials, useNodeCredentialOptions):
 * a field is "mixed" when the node has a sign-in switch and the credential has no `show` or one on that switch;
 * a mixed field lists the credentials of every type the switch shows, not the field's own type.
 */
function typesOfferedIn(type: INodeTypeDescription, credential: NonNullable<INodeTypeDescription['credentials']>[number]): string[] {
	const main = mainAuthField(type);
	const show = credential.displayOptions?.show;
	const mixed = main !== undefined && (show === undefined || main.name in show);
	if (!mixed) return [credential.name];
	return (type.credentials ?? []).filter((c) => c.displayOptions?.show && main.name in c.displayOptions.show).map((c) => c.name);
}

const nodes: Array<[string, INodeTypeDescription]> = [
	['Accounting FTP Import', new AccountingFtpImport().description],
	['Delivery Note IMAP Trigger', new DeliveryNoteImapTrigger().description],
	['E-Invoice Reader', new EInvoiceReader().description],
	['Invoice Bulk Mailer', new InvoiceBulkMailer().description],
	['Order Exchange', new OrderExchange().description],
	['E-Invoice IMAP Trigger', new EInvoiceImapTrigger().description],
];

describe('parameters the n8n editor hides as authentication switches', () => {
	test.each(nodes)('%s: only the sign-in choice, never the operation', (_name, type) => {
		const hidden = hiddenByEditor(type);
		expect(hidden).not.toContain('operation');
		expect(hidden.filter((name) => !/^(mail)?[aA]uthentication$/.test(name))).toEqual([]);
	});

	test.each(nodes.filter(([, type]) => type.credentials?.length))('%s: every credential field offers credentials of its own type', (_name, type) => {
		for (const credential of type.credentials ?? []) {
			expect([credential.name, typesOfferedIn(type, credential)]).toEqual([credential.name, expect.arrayContaining([credential.name])]);
		}
	});

	test('Accounting FTP Import and Order Exchange: the FTP Server field offers FTP credentials only', () => {
		for (const type of [new AccountingFtpImport().description, new OrderExchange().description]) {
			const ftp = type.credentials?.find((c) => c.name === 'backofficeFtpApi');
			expect(ftp && typesOfferedIn(type, ftp)).toEqual(['backofficeFtpApi']);
		}
	});

	test('Accounting FTP Import: its sign-in choice is the mail authentication', () => {
		expect(mainAuthField(new AccountingFtpImport().description)?.name).toBe('mailAuthentication');
	});
});

describe('credential field labels', () => {
	test.each(nodes.filter(([, type]) => type.credentials?.length))('%s: every credential field is labelled by its purpose', (_name, type) => {
		const labels = (type.credentials ?? []).map((c) => c.displayName);
		expect(labels.every((label) => typeof label === 'string' && label.length > 0)).toBe(true);
		expect(new Set(labels).size).toBe(labels.length);
	});

	test('Accounting FTP Import: the FTP server, and the mail for error reports', () => {
		const labels = new AccountingFtpImport().description.credentials?.map((c) => c.displayName);
		expect(labels).toEqual(['FTP Server', 'SMTP for Error Reports', 'Mail OAuth2 for Error Reports']);
	});
});

describe('Delivery Note IMAP Trigger: poll times', () => {
	test('a notice right below n8n\'s Poll Times says its every-minute default and how to poll once a day', () => {
		const [first] = new DeliveryNoteImapTrigger().description.properties;
		expect(first.type).toBe('notice');
		expect(first.displayName).toMatch(/Poll Times.*Every Minute.*"Every Day"/);
	});
});
