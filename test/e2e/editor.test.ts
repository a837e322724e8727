/**
 * The package in the real n8n editor (2.41.3) in headless Chromium, as a new user meets it: the node panel's
 * search (the package's name and the German words of its manuals), each node's settings on a fresh canvas
 * (operation selector and main parameters shown and labelled), each workflow template of workflows-templates/
 * opened (every node drawn, no issue marker, each of the package's nodes' panels), and runs started from the
 * editor against the real test servers: Send Test Mail (Invoice Bulk Mailer) with the test's SMTP credential
 * picked in the node's credential field, Fetch Test Event (Delivery Note IMAP Trigger) in the delivery-note template; then the Mail OAuth2 credential's "Connect my account" through the
 * authorization server's sign-in and consent to "Account connected", and Fetch Test Event of the same template
 * with that credential (XOAUTH2 at Dovecot with the token n8n obtained).
 *
 * One n8n instance for the whole file (it takes a minute or more to start on a loaded machine). Pictures for
 * the README and docs/ are written from this run when BACKOFFICE_SCREENSHOTS=1 (node scripts/screenshots.mjs).
 *
 * Needs the test servers (scripts/test-servers.sh), `bash scripts/n8n-server.sh install`, `npm run build` and
 * Debian's chromium (scripts/system-packages.sh); `npm test` provides all of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { Browser } from 'playwright-core';

import { ls, put, remoteDirectory, removeRemoteDirectories } from '../helpers/remoteFiles';
import { loadServers } from '../helpers/servers';
import { Editor, launchBrowser, plain } from './editor';
import { HttpReceiver } from './httpReceiver';
import { appendMails, createFolders, randomTag, readFolder, waitForMails } from './mailboxes';
import { N8nInstance, START_TIMEOUT_S } from './n8nInstance';
import { credentialNames, nodeNamed, readTemplate, replaceUrls, TEMPLATES_DIR, writeCredentials, writeTemplates, type CredentialExport, type Template } from './templateRuns';

const servers = loadServers();
const fixture = (...parts: string[]) => readFileSync(path.join(__dirname, '../fixtures', ...parts));
const PACKAGE_PREFIX = 'n8n-nodes-backoffice.';
const tag = randomTag();
const SETUP_TIMEOUT = (START_TIMEOUT_S + 300) * 1000;
/** One test of the editor: several steps of up to a few minutes each on a busy machine. */
const TEST_TIMEOUT = 600_000;

const DELIVERY_TEMPLATE = 'delivery-notes-goods-receipt.json';
const TRIGGER = 'Read delivery notes from mailbox';
const OAUTH_CREDENTIAL = { id: 'e2eEditorOAuth01', name: 'Lieferscheine (OAuth2)' };
const OAUTH_WORKFLOW_ID = 'e2eEditorOAuth2Flow';
/** The delivery-note template on test folders (the template itself is imported unchanged, for its pictures). */
const PASSWORD_WORKFLOW_ID = 'e2eEditorPasswordFlow';
const SUPPLIER = 'lieferschein@itscope.example';
/** The payment template with its ERP at the test's HTTP receiver: Execute step runs "Fetch open invoices" first. */
const PAYMENT_WORKFLOW_ID = 'e2eEditorPaymentFlow';
const PAYMENT_TEMPLATE = readTemplate('payment-import-invoices-paid.json');
const ERP_PLACEHOLDER = 'https://erp.example.com';
const PAYMENT_NODE = 'Import bank files and match payments';
const PAYMENT_FTP_CREDENTIAL = 'Backoffice FTP (bank files)';

/** Test credentials under the names the templates refer to; a type without one here is left to the user. */
function templateCredentials(names: string[]): CredentialExport[] {
	const u = servers.users;
	const imap = { host: servers.host, port: servers.imap.tlsPort, security: 'tls', user: u.alice.user, password: u.alice.password, allowSelfSigned: true };
	const smtp = { host: servers.host, port: servers.smtp.submissionPort, security: 'starttls', user: u.alice.user, password: u.alice.password, senderAddress: u.alice.address, allowSelfSigned: true };
	const data: Record<string, Record<string, unknown>> = {
		backofficeImapApi: imap,
		backofficeSmtpApi: smtp,
		backofficeFtpApi: { protocol: 'ftpsExplicit', host: servers.host, port: servers.ftp.port, user: u.ftp.user, password: u.ftp.password, allowSelfSigned: true },
		httpHeaderAuth: { name: 'Authorization', value: `Bearer e2e-${tag}` },
		smtp: { host: servers.host, port: servers.smtp.port, secure: false, disableStartTls: true, user: '', password: '' },
	};
	return names
		.map((key, i) => ({ type: key.slice(0, key.indexOf('/')), name: key.slice(key.indexOf('/') + 1), i }))
		.filter((c) => data[c.type])
		.map((c) => ({ id: `e2eEditorCred${String(c.i).padStart(3, '0')}`, name: c.name, type: c.type, data: data[c.type] }));
}

/** The Mail OAuth2 credential ("Other provider": the test authorization server, Dovecot and Postfix). */
function oauthCredential(): CredentialExport {
	const { oauth, host, imap, smtp, users } = servers as typeof servers & { oauth: { issuer: string; scope: string; client: { id: string; secret: string } } };
	return {
		...OAUTH_CREDENTIAL,
		type: 'backofficeMailOAuth2Api',
		data: {
			provider: 'other',
			user: users.alice.user,
			customAuthUrl: `${oauth.issuer}/auth`,
			customAccessTokenUrl: `${oauth.issuer}/token`,
			customScope: `openid offline_access ${oauth.scope}`,
			customAuthentication: 'header',
			imapHost: host,
			imapPort: imap.tlsPort,
			imapSecurity: 'tls',
			smtpHost: host,
			smtpPort: smtp.submissionPort,
			smtpSecurity: 'starttls',
			allowSelfSigned: true,
			clientId: oauth.client.id,
			clientSecret: oauth.client.secret,
		},
	};
}

const templateFiles = readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.json')).sort();
const templates = templateFiles.map((file) => ({ file, template: readTemplate(file) }));

let n8n: N8nInstance;
const erp = new HttpReceiver().on('GET', '/api/invoices', { body: [{ invoiceNumber: 'RE-2024-0815', openAmount: 119, currency: 'EUR', customerName: 'Muster GmbH' }] });
let browser: Browser;
let editor: Editor;
/** Mail folders of the two Fetch Test Event runs (password and OAuth2), each with one delivery-note mail. */
const folders: Record<'password' | 'oauth', { inbox: string; archive: string; error: string }> = {} as never;

/** The delivery-note template pointed at test folders and a test supplier (the sample ones are placeholders). */
function deliveryTemplate(variant: 'password' | 'oauth'): Template {
	const template = readTemplate(DELIVERY_TEMPLATE);
	const trigger = nodeNamed(template, TRIGGER);
	const locator = (value: string) => ({ __rl: true, mode: 'path', value });
	const f = folders[variant];
	Object.assign(trigger.parameters, {
		inboxFolder: locator(f.inbox),
		archiveFolder: locator(f.archive),
		errorFolder: locator(f.error),
		suppliers: { supplier: [{ name: 'ITscope', sender: SUPPLIER, format: 'opentrans' }] },
	});
	if (variant === 'password') return { ...template, id: PASSWORD_WORKFLOW_ID, name: `${template.name} (test folders)` };
	trigger.parameters.authentication = 'oAuth2';
	trigger.credentials = { backofficeMailOAuth2Api: { id: OAUTH_CREDENTIAL.id, name: OAUTH_CREDENTIAL.name } };
	return { ...template, id: OAUTH_WORKFLOW_ID, name: `${template.name} (OAuth2)` };
}

beforeAll(async () => {
	for (const variant of ['password', 'oauth'] as const) {
		folders[variant] = await createFolders('alice', `INBOX/e2e-editor-${variant}-${tag}`, { inbox: 'Eingang', archive: 'Archiv', error: 'Fehler' });
		await appendMails('alice', folders[variant].inbox, [
			{
				from: `ITscope Lieferavis <${SUPPLIER}>`,
				to: servers.users.alice.address,
				subject: `Lieferavis 39076516 ${variant} ${tag}`,
				attachments: [{ filename: 'Lieferavis_39076516.xml', content: fixture('opentrans', 'dispatchnotification-itscope.xml') }],
			},
		]);
	}
	await erp.start();
	const paymentTemplate = { ...replaceUrls(PAYMENT_TEMPLATE, ERP_PLACEHOLDER, erp.baseUrl), id: PAYMENT_WORKFLOW_ID, name: `${PAYMENT_TEMPLATE.name} (test ERP)` };
	n8n = await N8nInstance.start({
		label: 'n8n-e2e-editor',
		// the editor's OAuth callback and the editor itself on one origin
		env: { N8N_HOST: '127.0.0.1' },
		prepare: (instance) => {
			const all = [...templates.map((t) => t.template), deliveryTemplate('password'), deliveryTemplate('oauth'), paymentTemplate];
			const names = [...new Set(all.flatMap(credentialNames))];
			const credentials = [...templateCredentials(names), oauthCredential()];
			const file = writeCredentials(path.join(instance.userDir, 'e2e-credentials.json'), credentials);
			instance.importTemplates(writeTemplates(path.join(instance.userDir, 'e2e-templates'), all), file);
		},
	});
	browser = await launchBrowser();
	editor = await Editor.open(browser, n8n.baseUrl);
}, SETUP_TIMEOUT);

afterAll(async () => {
	await editor?.close().catch(() => undefined);
	await browser?.close().catch(() => undefined);
	n8n?.stop();
	removeRemoteDirectories();
	await erp.stop();
}, 120_000);

// ------------------------------------------------------------------------------------------------------------
describe('the node panel', () => {
	const ALL = ['Accounting FTP Import', 'Delivery Note IMAP Trigger', 'E-Invoice IMAP Trigger', 'E-Invoice Reader', 'Invoice Bulk Mailer', 'Order Exchange'];

	test(
		'"Backoffice" finds every node of the package; German words of the manuals find theirs',
		async () => {
			await editor.newWorkflow();
			expect((await editor.search('Backoffice', ALL[0])).sort()).toEqual(ALL);
			await editor.screenshot('docs/images/editor-search-backoffice.png');
			for (const [word, node] of [
				['Lieferschein', 'Delivery Note IMAP Trigger'],
				['Kontoauszug', 'Accounting FTP Import'],
				['Rechnung', 'Invoice Bulk Mailer'],
				['Eingangsrechnung', 'E-Invoice Reader'],
				['Auftrag', 'Order Exchange'],
			]) {
				expect([word, await editor.search(word, node)]).toEqual([word, expect.arrayContaining([node])]);
			}
		},
		TEST_TIMEOUT,
	);
});

// ------------------------------------------------------------------------------------------------------------
describe('each node on a fresh canvas', () => {
	test.each([
		{ node: 'Delivery Note IMAP Trigger', query: 'Lieferschein', labels: ['Inbox Folder', 'Archive Folder', 'Error Folder', 'Suppliers'] },
		{ node: 'Invoice Bulk Mailer', query: 'Rechnung', action: 'Send invoices', operations: ['Send Invoices', 'Send Test Mail'], labels: ['Operation', 'Subject', 'Dry Run'] },
		{ node: 'Order Exchange', query: 'Auftrag', action: 'Receive quotes and orders', operations: ['Match', 'Receive', 'Send'], labels: ['Operation'] },
		{ node: 'E-Invoice Reader', query: 'Eingangsrechnung', labels: [] },
		{
			node: 'Accounting FTP Import',
			query: 'Kontoauszug',
			action: 'Import payments from the FTP directory',
			operations: ['Import Payments', 'Send Test Report', 'Check Access'],
			labels: ['FTP Server', 'Operation', 'Directory'],
		},
	])(
		'$node: the panel shows its operation selector and its main parameters, labelled',
		async ({ node, query, action, operations, labels }) => {
			await editor.newWorkflow();
			await editor.addNode(query, node, action);
			const shown = await editor.panelLabels();
			expect(shown).toEqual(expect.arrayContaining(labels));
			// every parameter has a label a person can read: no internal names (camelCase) among them, and no
			// credential field labelled just "Credential" (n8n's label for a field without a name of its own)
			expect(shown.filter((l) => /^[a-z]+[A-Z]\w*$/.test(l) || l === 'Credential')).toEqual([]);
			if (operations) {
				expect(await editor.parameterOptions('operation')).toEqual(expect.arrayContaining(operations));
				expect(await editor.parameterValue('operation')).toBe(operations.find((o) => action?.toLowerCase().startsWith(o.toLowerCase().split(' ')[0])) ?? operations[0]);
			}
			expect(await editor.errors()).toEqual([]);
		},
		TEST_TIMEOUT,
	);

	test(
		'Accounting FTP Import: "Check access" from the action list opens Check Access',
		async () => {
			await editor.newWorkflow();
			await editor.addNode('Buchhaltung', 'Accounting FTP Import', 'Check access to the FTP directory');
			expect(await editor.parameterValue('operation')).toBe('Check Access');
			expect(await editor.panelLabels()).toEqual(expect.arrayContaining(['FTP Server', 'Directory']));
		},
		TEST_TIMEOUT,
	);

	test(
		'Invoice Bulk Mailer: Send Test Mail from the editor, with the test SMTP credential, reaches the mailbox',
		async () => {
			const subject = `Testmail aus dem Editor ${tag}`;
			await editor.newWorkflow();
			await editor.addNode('Rechnungsversand', 'Invoice Bulk Mailer', 'Send a test mail');
			expect(await editor.parameterValue('operation')).toBe('Send Test Mail');
			// the field takes SMTP and Mail OAuth2 credentials; picking the SMTP one sets Authentication to Password
			await editor.pickCredential(undefined, 'Backoffice SMTP (invoices)');
			await editor.fillParameter('testRecipient', servers.users.carol.address);
			await editor.fillParameter('subject', subject);
			const output = await editor.executeStep();
			expect(output).toContain(`"recipient": "${servers.users.carol.address}"`);
			expect(output).toMatch(new RegExp(`"accepted": \\[ "${servers.users.carol.address.replace(/\./g, '\\.')}" \\]`));
			const [mail] = await waitForMails('carol', subject, 1, 60_000);
			expect(mail?.from).toBe(servers.users.alice.address);
			await editor.screenshot('docs/images/editor-send-test-mail.png');
		},
		TEST_TIMEOUT,
	);
});

// ------------------------------------------------------------------------------------------------------------
describe.each(templates)('template $file in the editor', ({ file, template }) => {
	test(
		'every node is drawn, none carries an issue marker, each node of the package shows its settings',
		async () => {
			await editor.openWorkflow(template.id, template.nodes.length);
			const withoutCredential = template.nodes.filter((n) => Object.keys(n.credentials ?? {}).some((type) => !templateCredentials([`${type}/x`]).length)).map((n) => n.name);
			expect((await editor.nodesWithIssues()).filter((name) => !withoutCredential.includes(name))).toEqual([]);
			expect(await editor.errors()).toEqual([]);
			await editor.screenshot(`workflows-templates/images/${file.replace(/\.json$/, '.png')}`, { zoomToFit: true });
			for (const node of template.nodes.filter((n) => n.type.startsWith(PACKAGE_PREFIX))) {
				await editor.openNode(node.name);
				const labels = await editor.panelLabels();
				expect([node.name, labels.length > 0]).toEqual([node.name, true]);
				if (node.parameters.operation !== undefined) expect([node.name, labels]).toEqual([node.name, expect.arrayContaining(['Operation'])]);
				expect([node.name, await editor.ndv.locator('[data-test-id="parameter-issues"]').count()]).toEqual([node.name, 0]);
				const picture = panelPicture(node.type, node.parameters.operation);
				// a template's first node of a kind (the head office's mailbox Receive and its Match, not the upload's or the decision's)
				if (!panelPictures.has(picture)) await editor.screenshot(`workflows-templates/images/${picture}`, { fitPanel: true });
				panelPictures.add(picture);
				await editor.closePanel();
			}
		},
		TEST_TIMEOUT,
	);
});

/** The node panel pictures written so far in this run: each once, from the first node of its kind. */
const panelPictures = new Set<string>();

/** node-<type in kebab case>[-<operation>].png: Order Exchange gets one picture per operation. */
function panelPicture(type: string, operation: unknown): string {
	const name = type.slice(PACKAGE_PREFIX.length).replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
	return `node-${name}${name === 'order-exchange' && typeof operation === 'string' ? `-${operation}` : ''}.png`;
}

// ------------------------------------------------------------------------------------------------------------
describe('Check Access of the Accounting FTP Import', () => {
	test(
		'in the payment template (its ERP at a test server), Operation switched to Check Access: the directory is listed, written and cleaned up',
		async () => {
			const dir = remoteDirectory('ftp', 'e2e-editor-check');
			put(dir.local, 'camt053-example.xml', 'a payment file\n');
			await editor.openWorkflow(PAYMENT_WORKFLOW_ID, PAYMENT_TEMPLATE.nodes.length);
			await editor.openNode(PAYMENT_NODE);
			await editor.chooseOption('operation', 'Check Access');
			expect(await editor.panelLabels()).toEqual(expect.arrayContaining(['FTP Server', 'Operation', 'Directory']));
			await editor.pickCredential('FTP Server', PAYMENT_FTP_CREDENTIAL);
			await editor.fillParameter('directory', dir.remote);
			// the FTP Server field offers the FTP credentials (it listed the mail credentials before the fix)
			const offered = await editor.credentialOptions('FTP Server');
			expect(offered).toContain(`${PAYMENT_FTP_CREDENTIAL} Backoffice FTP API`);
			expect(offered.filter((o) => !o.endsWith(' Backoffice FTP API'))).toEqual([]);
			const output = await editor.executeStep();
			// "Execute step" ran "Fetch open invoices from ERP" first: one open invoice, so one check
			expect(erp.received('GET', '/api/invoices')).toHaveLength(1);
			expect(output).toContain('"ok": true');
			expect(output).toContain(`"directory": "/${dir.relative}", "canList": true, "canWrite": true, "canDelete": true, "missingRights": [ ]`);
			expect(output).toContain(`"message": "Read and write access to /${dir.relative} confirmed (1 file(s)).", "files": 1`);
			// the probe file is gone again, the payment file untouched
			expect(ls(dir.local)).toEqual(['camt053-example.xml']);
			await editor.screenshot('docs/images/editor-check-access.png', { fitPanel: false });
			await editor.closePanel();
		},
		TEST_TIMEOUT,
	);
});

// ------------------------------------------------------------------------------------------------------------
describe('Fetch Test Event of the Delivery Note IMAP Trigger', () => {
	test(
		'in the delivery-note template (password credential): the delivery note of the test mail is shown, the mail archived',
		async () => {
			await editor.openWorkflow(PASSWORD_WORKFLOW_ID, readTemplate(DELIVERY_TEMPLATE).nodes.length);
			await editor.openNode(TRIGGER);
			expect(await editor.panelLabels()).toEqual(expect.arrayContaining(['IMAP Mailbox']));
			const output = await editor.executeStep();
			expect(output).toContain('"deliveryNoteNumber": "39076516"');
			expect(output).toContain('"supplier": "ITscope"');
			expect((await readFolder('alice', folders.password.archive)).map((m) => m.subject)).toEqual([`Lieferavis 39076516 password ${tag}`]);
			await editor.screenshot('docs/images/editor-fetch-test-event.png', { fitPanel: false });
			await editor.closePanel();
		},
		TEST_TIMEOUT,
	);
});

// ------------------------------------------------------------------------------------------------------------
describe('Mail OAuth2 credential', () => {
	test(
		'"Connect my account" through the authorization server\'s sign-in and consent to "Account connected"',
		async () => {
			const page = editor.page;
			await page.goto(`${n8n.baseUrl}/home/credentials/${OAUTH_CREDENTIAL.id}`, { waitUntil: 'domcontentloaded' });
			const banner = page.locator('[data-test-id="oauth-not-connected-banner"]');
			await banner.waitFor();
			await editor.screenshot('docs/images/oauth2-credential-not-connected.png');
			const [popup] = await Promise.all([page.waitForEvent('popup'), banner.locator('button').first().click()]);
			await popup.waitForSelector('#login');
			expect(popup.url().startsWith(`${(servers as unknown as { oauth: { issuer: string } }).oauth.issuer}/interaction/`)).toBe(true);
			await popup.fill('#login', servers.users.alice.user);
			await popup.fill('#password', servers.users.alice.password);
			if (process.env.BACKOFFICE_SCREENSHOTS === '1') await popup.screenshot({ path: path.join(__dirname, '../../docs/images/oauth2-sign-in-and-consent.png') });
			await popup.click('#allow');
			const connected = page.locator('[data-test-id="oauth-connect-success-banner"]');
			await connected.waitFor();
			expect(plain(await connected.innerText())).toMatch(/Account connected/i);
			await editor.screenshot('docs/images/oauth2-credential.png');
		},
		TEST_TIMEOUT,
	);

	test(
		'the delivery-note template with that credential: Fetch Test Event signs in with the token (XOAUTH2) and reads the mail',
		async () => {
			await editor.openWorkflow(OAUTH_WORKFLOW_ID, readTemplate(DELIVERY_TEMPLATE).nodes.length);
			await editor.openNode(TRIGGER);
			// n8n hides the Authentication selector (its credential field takes both kinds); the field says which
			expect(await editor.panelLabels()).toEqual(expect.arrayContaining(['Mail OAuth2']));
			const output = await editor.executeStep();
			expect(output).toContain('"deliveryNoteNumber": "39076516"');
			expect((await readFolder('alice', folders.oauth.archive)).map((m) => m.subject)).toEqual([`Lieferavis 39076516 oauth ${tag}`]);
			await editor.closePanel();
		},
		TEST_TIMEOUT,
	);
});
