/**
 * A workflow JSON that uses the package's nodes, run by n8n's own engine (WorkflowExecute) against the
 * real servers: a test mail is sent through Postfix and read back from Dovecot; the FTP access check
 * writes and deletes its probe file on vsftpd.
 */
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

import type { INode, INodeParameters } from 'n8n-workflow';

import { withImapClient } from '../../nodes/shared/transports/imap';
import { RunnerWorkflow } from '../helpers/workflowRunner';
import { ftpCredentialsFor, imapCredentialsFor, loadServers, n8nCredentialData, smtpCredentialsFor } from '../helpers/servers';

const node = (name: string, type: string, parameters: INodeParameters, position: [number, number]): INode => ({
	id: name,
	name,
	type: `n8n-nodes-backoffice.${type}`,
	typeVersion: 1,
	position,
	parameters,
	credentials: {},
});

async function waitForMail(subject: string): Promise<{ from: string; subject: string } | undefined> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const found = await withImapClient(imapCredentialsFor('bob'), async (client) => {
			await client.mailboxOpen('INBOX');
			const uids = (await client.search({ subject }, { uid: true })) || [];
			if (!uids.length) return undefined;
			const msg = await client.fetchOne(String(uids[0]), { envelope: true }, { uid: true });
			return msg ? { from: msg.envelope?.from?.[0]?.address ?? '', subject: msg.envelope?.subject ?? '' } : undefined;
		});
		if (found) return found;
		await new Promise((r) => setTimeout(r, 200));
	}
	return undefined;
}

describe('a workflow run by n8n-core WorkflowExecute', () => {
	it('sends a test mail through Postfix that arrives in the recipient mailbox in Dovecot', async () => {
		const s = loadServers();
		const subject = `Runner test ${Date.now()} — Grüße`;
		const workflow = new RunnerWorkflow({
			nodes: [
				node(
					'Send Test Mail',
					'invoiceBulkMailer',
					{ operation: 'sendTestMail', testRecipient: s.users.bob.address, subject, options: { senderName: 'Buchhaltung' } },
					[0, 0],
				),
			],
			connections: {},
		});
		const result = await workflow.run('Send Test Mail', {
			credentials: { backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('alice', { security: 'starttls' })) },
		});
		expect(result.error).toBeUndefined();
		const [item] = result.output('Send Test Mail');
		expect(item.json).toMatchObject({ recipient: s.users.bob.address, accepted: [s.users.bob.address], rejected: [] });
		expect(item.json.response).toMatch(/^250 /);
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(await waitForMail(subject)).toEqual({ from: s.users.alice.address, subject });
	});

	it('refuses a recipient that is not one plain address, sending nothing', async () => {
		const workflow = new RunnerWorkflow({
			nodes: [
				node(
					'Send Test Mail',
					'invoiceBulkMailer',
					{ operation: 'sendTestMail', testRecipient: 'bob@backoffice.test\r\nBcc: evil@example.com', subject: 'x' },
					[0, 0],
				),
			],
			connections: {},
		});
		const result = await workflow.run('Send Test Mail', {
			credentials: { backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('alice')) },
		});
		expect(result.error?.message).toMatch(/is not a valid e-mail address/);
	});

	it('checks FTP access by listing, writing and deleting a probe file, and names a missing write right', async () => {
		const s = loadServers();
		const dir = `access-${Date.now()}`;
		const local = path.join(s.ftp.home, dir);
		mkdirSync(local, { recursive: true });
		chmodSync(local, 0o777);
		const workflow = new RunnerWorkflow({
			nodes: [node('Check Access', 'accountingFtpImport', { operation: 'checkAccess', directory: `/${dir}/` }, [0, 0])],
			connections: {},
		});
		const credentials = { backofficeFtpApi: n8nCredentialData(ftpCredentialsFor({ protocol: 'ftpsExplicit' })) };
		const ok = await workflow.run('Check Access', { credentials });
		expect(ok.error).toBeUndefined();
		expect(ok.output('Check Access')[0].json).toMatchObject({ ok: true, canList: true, canWrite: true, canDelete: true, files: 0 });
		expect(readdirSync(local)).toEqual([]);

		chmodSync(local, 0o555); // the FTP user may read but not write here
		const readOnly = await workflow.run('Check Access', { credentials });
		expect(readOnly.output('Check Access')[0].json).toMatchObject({ ok: false, canList: true, canWrite: false, missingRights: ['write'] });
		rmSync(local, { recursive: true, force: true });
	});
});
