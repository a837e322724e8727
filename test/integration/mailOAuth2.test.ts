/**
 * OAuth2 sign-in (SASL XOAUTH2 / OAUTHBEARER) against the real servers: tokens from the test authorization
 * server (oidc-provider, scripts/oauth-server.mjs) through its sign-in and consent page, Dovecot checking them
 * at the introspection endpoint, Postfix's submission port through Dovecot's SASL. Token refresh runs through
 * n8n-core's own `refreshOAuth2Token` (the test's credentials helper stores the new token as n8n would).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';
import MailComposer from 'nodemailer/lib/mail-composer';

import { DeliveryNoteImapTrigger } from '../../nodes/DeliveryNoteImapTrigger/DeliveryNoteImapTrigger.node';
import { imapAccount } from '../../nodes/shared/mailAuth';
import { testImapConnection, withImapClient } from '../../nodes/shared/transports/imap';
import { multiAppend } from '../helpers/imapAppend';
import { appOnlyCredential, connectAccount, introspect, mailOAuth2Credential, oauthServer, revoke } from '../helpers/oauth';
import { imapCredentialsFor, loadServers } from '../helpers/servers';
import { RunnerWorkflow } from '../helpers/workflowRunner';

const ITSCOPE = readFileSync(path.join(__dirname, '../fixtures/opentrans/dispatchnotification-itscope.xml'));
const SUPPLIER = 'lieferschein@itscope.example';
const alice = imapCredentialsFor('alice');
const random = () => Math.random().toString(36).slice(2, 8);

interface Folders {
	inbox: string;
	archive: string;
	error: string;
}

async function foldersWithOneNote(name: string): Promise<Folders> {
	const base = `INBOX/${name}-${random()}`;
	const folders = { inbox: `${base}/Eingang`, archive: `${base}/Archiv`, error: `${base}/Fehler` };
	await withImapClient(alice, async (client) => {
		for (const f of [base, folders.inbox, folders.archive, folders.error]) await client.mailboxCreate(f.split('/'));
	});
	const mail = new MailComposer({
		from: `ITscope <${SUPPLIER}>`,
		to: loadServers().users.alice.address,
		subject: 'Lieferavis',
		text: 'Anbei unser Lieferschein.',
		attachments: [{ filename: 'lieferschein.xml', content: ITSCOPE, contentType: 'application/xml' }],
	});
	await multiAppend(alice, folders.inbox, [await mail.compile().build()]);
	return folders;
}

async function count(folder: string): Promise<number> {
	return await withImapClient(alice, async (client) => {
		const status = await client.status(folder, { messages: true });
		return status ? (status.messages ?? 0) : 0;
	});
}

function trigger(folders: Folders): RunnerWorkflow {
	const locator = (value: string) => ({ __rl: true, mode: 'path', value });
	return new RunnerWorkflow({
		nodes: [
			{
				id: 'trigger',
				name: 'Trigger',
				type: 'n8n-nodes-backoffice.deliveryNoteImapTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {
					authentication: 'oAuth2',
					inboxFolder: locator(folders.inbox),
					archiveFolder: locator(folders.archive),
					errorFolder: locator(folders.error),
					suppliers: { supplier: [{ name: 'ITscope', sender: SUPPLIER, format: 'opentrans' }] },
					unknownSender: 'error',
					options: {},
				},
				credentials: { backofficeMailOAuth2Api: { id: 'mail-oauth2', name: 'Lieferscheine (OAuth2)' } },
			},
		],
		connections: {},
	});
}

function testMailer(recipient: string, subject: string): RunnerWorkflow {
	return new RunnerWorkflow({
		nodes: [
			{
				id: 'mailer',
				name: 'Mailer',
				type: 'n8n-nodes-backoffice.invoiceBulkMailer',
				typeVersion: 1,
				position: [0, 0],
				parameters: { authentication: 'oAuth2', operation: 'sendTestMail', testRecipient: recipient, subject, options: {} },
				credentials: { backofficeMailOAuth2Api: { id: 'mail-oauth2', name: 'Rechnungen (OAuth2)' } },
			},
		],
		connections: {},
	});
}

/** Mails in bob's inbox whose subject carries `token`, waiting up to `waitMs` for `wanted` of them. */
async function arrivedAtBob(token: string, wanted: number, waitMs = 20_000): Promise<number> {
	const deadline = Date.now() + waitMs;
	for (;;) {
		const found = await withImapClient(imapCredentialsFor('bob'), async (client) => {
			await client.mailboxOpen('INBOX', { readOnly: true });
			return ((await client.search({ subject: token }, { uid: true })) || []).length;
		});
		if (found >= wanted || Date.now() > deadline) return found;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

const credentialsOf = (data: ICredentialDataDecryptedObject) => ({ backofficeMailOAuth2Api: data });
const accessToken = (data: ICredentialDataDecryptedObject) => String((data.oauthTokenData as IDataObject).access_token);

describe('OAuth2 sign-in for IMAP and SMTP', () => {
	jest.setTimeout(90_000);

	it('polls with a token: the delivery note comes out and the mail moves to the archive', async () => {
		const folders = await foldersWithOneNote('oauth-poll');
		const credential = mailOAuth2Credential('alice', await connectAccount('alice'));
		const before = accessToken(credential);

		const { polled, result } = await trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(credential) });

		expect(polled).not.toBeNull();
		expect(result?.error).toBeUndefined();
		expect(result!.output('Trigger', 0)).toHaveLength(1);
		expect(await count(folders.inbox)).toBe(0);
		expect(await count(folders.archive)).toBe(1);
		expect(accessToken(credential)).toBe(before); // a valid token is not refreshed
	});

	it('lists the folders of the mailbox with a token (the folder picker)', async () => {
		const folders = await foldersWithOneNote('oauth-list');
		const credential = mailOAuth2Credential('alice', await connectAccount('alice'));
		const workflow = trigger(folders);
		const context = workflow.loadOptionsContext('Trigger', credentialsOf(credential));

		const { results } = await new DeliveryNoteImapTrigger().methods.listSearch.searchFolders.call(context, folders.inbox.split('/')[1]);

		expect(results.map((r) => r.value)).toEqual(expect.arrayContaining([folders.inbox, folders.archive, folders.error]));
	});

	it('sends with a token (Send Test Mail over submission, XOAUTH2 through Dovecot SASL)', async () => {
		const token = `oauth-send-${random()}`;
		const credential = mailOAuth2Credential('alice', await connectAccount('alice'));

		const result = await testMailer(loadServers().users.bob.address, `Test ${token}`).run('Mailer', { credentials: credentialsOf(credential) });

		expect(result.error).toBeUndefined();
		expect(result.output('Mailer', 0)).toHaveLength(1);
		expect(await arrivedAtBob(token, 1)).toBe(1);
	});

	it('refreshes an expired token through n8n and logs in again, for IMAP and for SMTP', async () => {
		const folders = await foldersWithOneNote('oauth-expired');
		const credential = mailOAuth2Credential('alice', await connectAccount('alice', { shortLived: true }), { shortLived: true });
		const expired = accessToken(credential);
		// the short-lived client's tokens live 2 s: wait until the server itself says this one has expired
		while ((await introspect(expired)).active === true) await new Promise((resolve) => setTimeout(resolve, 200));

		const { result } = await trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(credential) });

		expect(result?.error).toBeUndefined();
		expect(result!.output('Trigger', 0)).toHaveLength(1);
		expect(await count(folders.archive)).toBe(1);
		const refreshed = accessToken(credential);
		expect(refreshed).not.toBe(expired); // n8n's refresh stored the new token in the credential

		while ((await introspect(refreshed)).active === true) await new Promise((resolve) => setTimeout(resolve, 200));
		const subject = `oauth-smtp-refresh-${random()}`;
		const sent = await testMailer(loadServers().users.bob.address, subject).run('Mailer', { credentials: credentialsOf(credential) });
		expect(sent.error).toBeUndefined();
		expect(await arrivedAtBob(subject, 1)).toBe(1);
		expect(accessToken(credential)).not.toBe(refreshed);
	});

	it('a revoked grant: "reconnect the credential", no retry loop, the mail stays in the inbox and nothing is sent', async () => {
		const folders = await foldersWithOneNote('oauth-revoked');
		const tokens = await connectAccount('alice');
		const credential = mailOAuth2Credential('alice', tokens);
		await revoke(String(tokens.refresh_token), 'refresh_token');
		await revoke(String(tokens.access_token), 'access_token');

		const poll = trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(credential) });
		await expect(poll).rejects.toThrow(/needs to be reconnected/);
		await expect(poll).rejects.toMatchObject({ name: 'NodeOperationError' });
		expect(await count(folders.inbox)).toBe(1);
		expect(await count(folders.archive)).toBe(0);
		expect(await count(folders.error)).toBe(0);

		const subject = `oauth-revoked-${random()}`;
		const sent = await testMailer(loadServers().users.bob.address, subject).run('Mailer', { credentials: credentialsOf(credential) });
		expect(sent.error?.message).toMatch(/needs to be reconnected/);
		// the login failed before MAIL FROM; give Postfix time to deliver anything it might have taken anyway
		expect(await arrivedAtBob(subject, 1, 3_000)).toBe(0);
	});

	it('a token without the mail scope: "scope … missing", the mail stays in the inbox', async () => {
		const folders = await foldersWithOneNote('oauth-scope');
		// the account unticks the mail permission on the consent page
		const tokens = await connectAccount('alice', { grant: ['openid', 'offline_access'] });
		expect(String(tokens.scope)).not.toMatch(/\bmail\b/);
		const credential = mailOAuth2Credential('alice', tokens);

		const poll = trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(credential) });
		await expect(poll).rejects.toThrow(/Scope "mail" missing/);
		expect(accessToken(credential)).toBe(String(tokens.access_token)); // no refresh: it would not add the scope
		expect(await count(folders.inbox)).toBe(1);
		expect(await count(folders.archive)).toBe(0);
	});

	it("a token for another mailbox is refused by the server and reported as a rejected token", async () => {
		const folders = await foldersWithOneNote('oauth-other');
		const credential = { ...mailOAuth2Credential('alice', await connectAccount('bob')) };

		const poll = trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(credential) });
		await expect(poll).rejects.toThrow(/OAuth2 token rejected/);
		expect(await count(folders.inbox)).toBe(1);
	});
});

describe('App-only sign-in (client credentials, as Exchange Online\'s service principal with mailbox access)', () => {
	jest.setTimeout(90_000);
	const untilExpired = async (token: string) => {
		while ((await introspect(token)).active === true) await new Promise((resolve) => setTimeout(resolve, 200));
	};

	it('polls with an app-only token: nobody signed in, the note comes out, the mail is archived, no token stored', async () => {
		const folders = await foldersWithOneNote('app-poll');
		const credential = appOnlyCredential('alice');

		const { result } = await trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(credential) });

		expect(result?.error).toBeUndefined();
		expect(result!.output('Trigger', 0)).toHaveLength(1);
		expect(await count(folders.inbox)).toBe(0);
		expect(await count(folders.archive)).toBe(1);
		expect(credential.oauthTokenData).toBeUndefined();
	});

	it('sends with an app-only token (Send Test Mail over submission)', async () => {
		const subject = `oauth-app-send-${random()}`;
		const sent = await testMailer(loadServers().users.bob.address, subject).run('Mailer', { credentials: credentialsOf(appOnlyCredential('alice')) });
		expect(sent.error).toBeUndefined();
		expect(await arrivedAtBob(subject, 1)).toBe(1);
	});

	it('a token that expired before the login is replaced by a new one from the token endpoint, nothing for the user to do', async () => {
		const folders = await foldersWithOneNote('app-expired');
		const context = trigger(folders).loadOptionsContext('Trigger', credentialsOf(appOnlyCredential('alice', { shortLived: true })));
		const account = await imapAccount(context);
		const first = account.oauth2!.accessToken;
		const replacements: string[] = [];
		const refresh = account.oauth2!.refresh;
		account.oauth2!.refresh = async () => {
			replacements.push(await refresh());
			return replacements[replacements.length - 1];
		};
		await untilExpired(first); // the short-lived app client's tokens live 2 s

		expect(await testImapConnection(account)).toMatch(/Connected to .* \(OAuth2\)/);
		expect(replacements).toHaveLength(1);
		expect(replacements[0]).not.toBe(first);

		// and a poll long after the last token expired just works: each run asks for its own
		await untilExpired(replacements[0]);
		const { result } = await trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(appOnlyCredential('alice', { shortLived: true })) });
		expect(result?.error).toBeUndefined();
		expect(await count(folders.archive)).toBe(1);
	});

	it('the delegated scopes instead of the app scope: the token endpoint refuses them, the error names the scope, the mail stays', async () => {
		const folders = await foldersWithOneNote('app-scope');
		const scope = `openid offline_access ${oauthServer().scope}`;

		const poll = trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(appOnlyCredential('alice', { scope })) });
		await expect(poll).rejects.toThrow(`The token endpoint refused the scope "${scope}" (invalid_scope`);
		await expect(poll).rejects.toMatchObject({ name: 'NodeOperationError' });
		expect(await count(folders.inbox)).toBe(1);
		expect(await count(folders.archive)).toBe(0);
	});

	it("a token for another API's scope: the mail server refuses it, the error says the app was refused (not an expiry), the mail stays", async () => {
		const folders = await foldersWithOneNote('app-api');

		const poll = trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(appOnlyCredential('alice', { scope: 'calendar' })) });
		await expect(poll).rejects.toThrow(/App-only OAuth2 token rejected: .* for the mailbox "alice@[^"]+" \(it carries the scope "calendar"\), though it had not expired/);
		expect(await count(folders.inbox)).toBe(1);
	});

	it('a mailbox the app was not given: refused with the hint to give the app that mailbox', async () => {
		const subject = `oauth-app-other-${random()}`;
		const sent = await testMailer(loadServers().users.alice.address, subject).run('Mailer', { credentials: credentialsOf(appOnlyCredential('bob')) });
		expect(sent.error?.message).toMatch(/App-only OAuth2 token rejected: .* for the mailbox "bob@[^"]+".* may open this mailbox/);
	});

	it('an app registered for sign-in by a person only: the token endpoint refuses the app-only flow, in its own words, nothing is sent', async () => {
		const { client } = oauthServer();
		const credential = { ...appOnlyCredential('alice'), clientId: client.id, clientSecret: client.secret };
		const subject = `oauth-app-grant-${random()}`;
		const sent = await testMailer(loadServers().users.bob.address, subject).run('Mailer', { credentials: credentialsOf(credential) });
		// oidc-provider answers invalid_request (RFC 6749 would say unauthorized_client, which gets words of its own)
		expect(sent.error?.message).toMatch(/token endpoint .* gave no access token \(invalid_request: requested grant type is not allowed for this client\)/);
		expect(await arrivedAtBob(subject, 1, 3_000)).toBe(0);
	});

	it('a wrong client secret: the token endpoint refuses the app, the message says so and never shows the secret', async () => {
		const folders = await foldersWithOneNote('app-secret');
		const secret = `wrong-${random()}-secret`;

		const poll = trigger(folders).pollOnce('Trigger', { credentials: credentialsOf(appOnlyCredential('alice', { clientSecret: secret })) });
		const error = (await poll.catch((e: unknown) => e)) as Error;
		expect(error.message).toMatch(/refused the app's client ID or client secret \(invalid_client/);
		expect(JSON.stringify({ message: error.message, description: (error as { description?: string }).description })).not.toContain(secret);
		expect(await count(folders.inbox)).toBe(1);
	});
});
