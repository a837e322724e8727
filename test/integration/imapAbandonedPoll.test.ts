/**
 * A poll that outlives its time budget (issue 13): n8n's durable scheduler abandons a poll that runs longer than
 * N8N_SCHEDULER_POLL_TIMEOUT and drops its result, but does not stop it. The poll here is held on its FETCH (the
 * proxy keeps the command from the server) until its `abandonAt` has passed; released, it still moves the
 * batch, but must leave the marks and report nothing — and the lease keeps the next poll out until it ended.
 * The next poll then rolls the mails back and hands each over once. No timers decide where the fault lands:
 * the hold ends when the abandon moment has passed, whatever the machine's speed.
 */
import { withImapClient } from '../../nodes/shared/transports/imap';
import { consumeImapFolder, type ConsumeOptions, type ConsumeReport } from '../../nodes/shared/transports/imapConsumer';
import { multiAppend } from '../helpers/imapAppend';
import { ImapProxy } from '../helpers/imapProxy';
import { imapCredentialsFor } from '../helpers/servers';

/** The consumer of another n8n process (a second main, or the next poll under the durable scheduler): a fresh module. */
function otherProcess(): typeof consumeImapFolder {
	let consume: typeof consumeImapFolder | undefined;
	jest.isolateModules(() => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		consume = (require('../../nodes/shared/transports/imapConsumer') as { consumeImapFolder: typeof consumeImapFolder }).consumeImapFolder;
	});
	return consume!;
}

const alice = imapCredentialsFor('alice', { security: 'tls', allowSelfSigned: true });

async function freshFolders(name: string) {
	const base = `INBOX/${name}-${Math.random().toString(36).slice(2, 8)}`;
	const folders = { inbox: `${base}/Eingang`, archive: `${base}/Archiv`, error: `${base}/Fehler` };
	await withImapClient(alice, async (client) => {
		for (const path of [base, ...Object.values(folders)]) await client.mailboxCreate(path.split('/'));
	});
	return folders;
}

function mails(n: number): Buffer[] {
	return Array.from({ length: n }, (_, i) =>
		Buffer.from(
			['From: a@example.com', 'To: alice@example.com', `Subject: m${i}`, 'Date: Mon, 2 Nov 2026 10:00:00 +0100', 'Content-Type: text/plain; charset=us-ascii', '', `m${i}`, ''].join(
				'\r\n',
			),
		),
	);
}

async function count(folder: string): Promise<number> {
	return await withImapClient(alice, async (client) => {
		const status = await client.status(folder, { messages: true });
		return status ? (status.messages ?? 0) : 0;
	});
}

function options(folders: { inbox: string; archive: string; error: string }, abandonAt?: number): ConsumeOptions<string> {
	return {
		folders,
		createMissingFolders: false,
		maxMessages: 100,
		deadline: Date.now() + 60_000,
		abandonAt,
		decide: async (batch) => batch.map((m) => ({ uid: m.uid, action: 'commit' as const, result: m.subject! })),
	};
}

describe('IMAP consumer: a poll that outlives its time budget', () => {
	it('reports nothing, keeps the next poll out while it runs, and the next poll hands every mail over once', async () => {
		const folders = await freshFolders('abandoned');
		await multiAppend(alice, folders.inbox, mails(6));
		const proxy = await new ImapProxy().start();
		const viaProxy = { ...alice, port: proxy.port, security: 'none' as const };
		const abandonAt = Date.now() + 1_000;
		let whileHeld: Promise<ConsumeReport<string> | undefined> = Promise.resolve(undefined);
		proxy.on({
			match: /UID FETCH/,
			before: async () => {
				// held until n8n would have dropped the poll; meanwhile the next poll comes and must stay out
				while (Date.now() <= abandonAt) await new Promise((resolve) => setTimeout(resolve, 50));
				whileHeld = otherProcess()(alice, options(folders));
				await whileHeld;
			},
		});
		let abandoned;
		try {
			abandoned = await consumeImapFolder(viaProxy, options(folders, abandonAt));
		} finally {
			await proxy.stop();
		}
		const overlapping = await whileHeld;
		// kept out by the server's lease (another process), not by this process's own lock
		expect(overlapping).toMatchObject({ busy: true, committed: [] });
		expect(overlapping?.busyHolder).toBeDefined();
		expect(abandoned).toMatchObject({ abandoned: true, committed: [], failed: [], more: true });
		// the abandoned poll did move them: marked, they wait in the archive for the next poll
		expect(await count(folders.archive)).toBe(6);

		const next = await consumeImapFolder(alice, options(folders));
		expect(next.rolledBack).toBe(6);
		expect([...next.committed].sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
		expect(await count(folders.inbox)).toBe(0);
		expect(await count(folders.archive)).toBe(6);
		const after = await consumeImapFolder(alice, options(folders));
		expect(after.committed).toEqual([]);
		expect(after.rolledBack).toBe(0);
	}, 120_000);
});
