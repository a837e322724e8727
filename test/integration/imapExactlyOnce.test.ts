/**
 * Exactly once across faults that no single poll can repair by itself (issue #12): a MOVE whose answer is lost
 * while the server stays unreachable, a roll-back whose own MOVE is cut, and an n8n process that dies between
 * the MOVE and handing the mails over. Every fault sits at a defined protocol position: the proxy holds or cuts
 * the command itself, no timers decide where it lands. The mails carry no Message-ID unless a test says so:
 * nothing may depend on it.
 */
import { withImapClient } from '../../nodes/shared/transports/imap';
import type { ConsumeOptions, ConsumeReport } from '../../nodes/shared/transports/imapConsumer';
import { multiAppend } from '../helpers/imapAppend';
import { ImapProxy } from '../helpers/imapProxy';
import { imapCredentialsFor } from '../helpers/servers';

type Consume = <T>(credentials: typeof alice, options: ConsumeOptions<T>) => Promise<ConsumeReport<T>>;

const CONSUMER_MODULE = '../../nodes/shared/transports/imapConsumer';

/** The consumer as a freshly started n8n process sees it: a new copy of the module, no state of earlier polls. */
function freshProcess(): Consume {
	let consume: Consume | undefined;
	jest.isolateModules(() => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		consume = (require(CONSUMER_MODULE) as { consumeImapFolder: Consume }).consumeImapFolder;
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

/** Plain RFC 822 mails without a Message-ID header (mail programs and gateways that send such mails exist). */
function mails(n: number, withMessageId = false): Buffer[] {
	return Array.from({ length: n }, (_, i) =>
		Buffer.from(
			[
				'From: a@example.com',
				'To: alice@example.com',
				`Subject: m${i}`,
				'Date: Mon, 2 Nov 2026 10:00:00 +0100',
				...(withMessageId ? [`Message-ID: <m${i}-${Math.random().toString(36).slice(2)}@example.com>`] : []),
				'Content-Type: text/plain; charset=us-ascii',
				'',
				`m${i}`,
				'',
			].join('\r\n'),
		),
	);
}

async function subjects(folder: string): Promise<string[]> {
	return await withImapClient(alice, async (client) => {
		await client.mailboxOpen(folder, { readOnly: true });
		if (!client.mailbox || !client.mailbox.exists) return [];
		const found = await client.fetchAll('1:*', { envelope: true, flags: true });
		return found.map((m) => `${m.envelope?.subject}${[...(m.flags ?? [])].some((f) => !f.startsWith('\\')) ? ' +keyword' : ''}`).sort();
	});
}

const ALL = Array.from({ length: 10 }, (_, i) => `m${i}`).sort();

function options(folders: { inbox: string; archive: string; error: string }, deadlineMs: number, batchSize = 4): ConsumeOptions<string> {
	return {
		folders,
		createMissingFolders: false,
		maxMessages: 100,
		batchSize,
		deadline: Date.now() + deadlineMs,
		decide: async (batch) => batch.map((m) => ({ uid: m.uid, action: 'commit' as const, result: m.subject! })),
	};
}

/** The connection breaks right after the server carried out the n-th MOVE, and the server stays unreachable. */
function loseMoveAnswerAndServer(proxy: ImapProxy, skip: number): void {
	proxy.on({
		match: /UID MOVE/,
		skip,
		cutAfterAnswer: true,
		before: async () => {
			proxy.refuseConnections = true;
		},
	});
}

describe('IMAP exactly once, state that outlives the poll and the process', () => {
	it('rolls back mails without Message-ID whose MOVE answer was lost while the server stayed unreachable, and hands each over once', async () => {
		const folders = await freshFolders('nomsgid');
		await multiAppend(alice, folders.inbox, mails(10));
		const proxy = await new ImapProxy().start();
		const viaProxy = { ...alice, port: proxy.port, security: 'none' as const };
		const consume = freshProcess();
		loseMoveAnswerAndServer(proxy, 1);
		let first: ConsumeReport<string>;
		try {
			first = await consume(viaProxy, options(folders, 2_000));
		} finally {
			await proxy.stop();
		}
		expect(first.interruption).toBeDefined();
		// the server did move the second batch: it sits in the archive, not handed over
		expect((await subjects(folders.archive)).length).toBe(8);

		const second = await consume(alice, options(folders, 60_000));
		const all = [...first.committed, ...second.committed].sort();
		expect(all).toEqual(ALL);
		expect(await subjects(folders.inbox)).toEqual([]);
		expect(await subjects(folders.archive)).toEqual(ALL);
	});

	it.each([
		['before the server saw it', { cutBefore: true }],
		['after the server carried it out', { cutAfterAnswer: true }],
	])('finishes a roll-back whose own MOVE back into the inbox was cut %s', async (_, cut) => {
		const folders = await freshFolders('rollbackcut');
		// with Message-IDs, so that the roll-back of today's code can find the mails at all
		await multiAppend(alice, folders.inbox, mails(10, true));
		const consume = freshProcess();
		const proxy = await new ImapProxy().start();
		const viaProxy = { ...alice, port: proxy.port, security: 'none' as const };
		loseMoveAnswerAndServer(proxy, 1);
		const reports: Array<ConsumeReport<string>> = [];
		try {
			reports.push(await consume(viaProxy, options(folders, 2_000)));
			proxy.refuseConnections = false;
			// the next poll starts by moving the unconfirmed mails back into the inbox: that MOVE is cut
			proxy.on({ match: /UID MOVE/, ...cut });
			await consume(viaProxy, options(folders, 2_000)).then(
				(report) => reports.push(report),
				() => undefined,
			);
		} finally {
			await proxy.stop();
		}
		reports.push(await consume(alice, options(folders, 60_000)));
		const all = reports.flatMap((r) => r.committed).sort();
		expect(all).toEqual(ALL);
		expect(await subjects(folders.inbox)).toEqual([]);
		expect(await subjects(folders.archive)).toEqual(ALL);
	});

	it('hands each mail over exactly once when the n8n process dies between the MOVE and the hand-over', async () => {
		const folders = await freshFolders('processdeath');
		await multiAppend(alice, folders.inbox, mails(10));
		const proxy = await new ImapProxy().start();
		const viaProxy = { ...alice, port: proxy.port, security: 'none' as const };
		// after the server has answered the (only) MOVE, the next command the poll sends is held for good: the
		// process "dies" there, with the mails in the archive and nothing handed over
		let died!: () => void;
		const death = new Promise<void>((resolve) => (died = resolve));
		proxy.on({
			match: /UID MOVE/,
			before: async () => {
				proxy.on({
					match: /^\S+ /,
					before: async () => {
						proxy.refuseConnections = true;
						died();
						await new Promise(() => undefined);
					},
				});
			},
		});
		const dying = freshProcess()(viaProxy, options(folders, 1_000, 50)).catch(() => undefined);
		try {
			await death;
		} finally {
			await proxy.stop();
		}
		// whatever the dead process would have reported never reached a workflow
		await dying;
		expect((await subjects(folders.archive)).length).toBe(10);

		const restarted = await freshProcess()(alice, options(folders, 60_000));
		expect([...restarted.committed].sort()).toEqual(ALL);
		expect(await subjects(folders.inbox)).toEqual([]);
		expect(await subjects(folders.archive)).toEqual(ALL);
	});
});
