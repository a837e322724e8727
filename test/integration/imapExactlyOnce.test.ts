/**
 * Exactly once across faults that no single poll can repair by itself (issue #12): a MOVE whose answer is lost
 * while the server stays unreachable, a roll-back whose own MOVE is cut, and an n8n process that dies between
 * the MOVE and handing the mails over. Every fault sits at a defined protocol position: the proxy holds or cuts
 * the command itself, no timers decide where it lands. The mails carry no Message-ID unless a test says so:
 * nothing may depend on it.
 */
import type { INode } from 'n8n-workflow';

import { writeOpenTrans } from '../../nodes/shared/documents/orders';
import { withImapClient } from '../../nodes/shared/transports/imap';
import type { ConsumeOptions, ConsumeReport, MailboxMemory } from '../../nodes/shared/transports/imapConsumer';
import { multiAppend } from '../helpers/imapAppend';
import { ImapProxy } from '../helpers/imapProxy';
import { imapCredentialsFor, n8nCredentialData } from '../helpers/servers';
import { RunnerWorkflow } from '../helpers/workflowRunner';
import { sampleOrder } from '../unit/orders/sampleDocuments';

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

/**
 * After the server has answered the (first) MOVE, the next command the poll sends is held for good: the process
 * "dies" there, with the mails in the archive and nothing handed over. Resolves when it has.
 */
function dieAfterMove(proxy: ImapProxy): Promise<void> {
	return new Promise<void>((died) => {
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
			// a budget the first batch cannot use up, so that the second batch (and its MOVE) surely starts; the
			// poll then waits its reconnect window (30 s) for the server in vain
			first = await consume(viaProxy, options(folders, 60_000));
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
			reports.push(await consume(viaProxy, options(folders, 60_000)));
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
		const death = dieAfterMove(proxy);
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

describe('the look for an earlier poll\'s marks, after a poll that left none', () => {
	const keywordSearches = (commands: string[]) => commands.filter((c) => /SEARCH/i.test(c) && /KEYWORD/i.test(c)).length;

	it('asks the archive and error folders by STATUS only (no SELECT, no SEARCH of them) once a poll left no mark there', async () => {
		const folders = await freshFolders('unmarked');
		const memory: MailboxMemory = {};
		await multiAppend(alice, folders.inbox, mails(3));
		const first = await freshProcess()(alice, { ...options(folders, 60_000), memory });
		expect(first.committed.sort()).toEqual(['m0', 'm1', 'm2']);
		expect(Object.keys(memory.unmarked ?? {}).sort()).toEqual([folders.archive, folders.error].sort());

		await multiAppend(alice, folders.inbox, mails(2));
		const proxy = await new ImapProxy().start();
		try {
			const second = await freshProcess()({ ...alice, port: proxy.port, security: 'none' }, { ...options(folders, 60_000), memory });
			expect(second.committed.sort()).toEqual(['m0', 'm1']);
		} finally {
			await proxy.stop();
		}
		expect(keywordSearches(proxy.commands)).toBe(0);
		expect(proxy.commands.filter((c) => /SELECT/i.test(c) && c.includes('Fehler'))).toEqual([]);
		expect(proxy.commands.filter((c) => /STATUS/i.test(c) && c.includes('Fehler'))).toHaveLength(1);
		expect(memory.unmarked).toBeDefined();
	});

	it('still rolls back the mails of a poll that died after its MOVE: they raised the archive\'s UIDNEXT', async () => {
		const folders = await freshFolders('unmarkeddeath');
		// the workflow's static data after a poll of an empty inbox: no mark anywhere
		const saved: MailboxMemory = {};
		await freshProcess()(alice, { ...options(folders, 60_000), memory: saved });
		expect(saved.unmarked).toBeDefined();

		await multiAppend(alice, folders.inbox, mails(10));
		const proxy = await new ImapProxy().start();
		// the process dies right after the server answered the MOVE, its static data unsaved
		const death = dieAfterMove(proxy);
		const unsaved = structuredClone(saved);
		const dying = freshProcess()({ ...alice, port: proxy.port, security: 'none' }, { ...options(folders, 1_000, 50), memory: unsaved }).catch(
			() => undefined,
		);
		try {
			await death;
		} finally {
			await proxy.stop();
		}
		await dying;
		expect(await subjects(folders.archive)).toEqual(ALL.map((s) => `${s} +keyword`));

		const restarted = await freshProcess()(alice, { ...options(folders, 60_000), memory: saved });
		expect(restarted.rolledBack).toBe(10);
		expect([...restarted.committed].sort()).toEqual(ALL);
		expect(await subjects(folders.inbox)).toEqual([]);
		expect(await subjects(folders.archive)).toEqual(ALL);
	});
});

describe('Order Exchange › Receive (email) through the same consumer', () => {
	/** A receiving workflow as a fresh n8n process starts it: no static data of earlier runs. */
	function receiver(folders: { inbox: string; archive: string; error: string }, site: string): RunnerWorkflow {
		const locator = (value: string) => ({ __rl: true, mode: 'path', value });
		const node: INode = {
			id: 'exchange',
			name: 'Order Exchange',
			type: 'n8n-nodes-backoffice.orderExchange',
			typeVersion: 1,
			position: [0, 0],
			parameters: {
				operation: 'receive',
				transport: 'email',
				inboxFolder: locator(folders.inbox),
				archiveFolder: locator(folders.archive),
				errorFolder: locator(folders.error),
				sites: { site: [{ siteId: site, rangeFrom: '20000', rangeTo: '29999' }] },
			},
		};
		return new RunnerWorkflow({ name: `Receive ${site}`, nodes: [node], connections: {} });
	}

	it('receives each order once when the MOVE answer of a mail without Message-ID is lost, the server stays away, and n8n restarts', async () => {
		const site = `filiale-${Math.random().toString(36).slice(2, 8)}`;
		const folders = await freshFolders('oxnomsgid');
		const orders = Array.from({ length: 6 }, (_, i) => writeOpenTrans({ ...sampleOrder(), number: `2100${i}`, site }));
		await multiAppend(
			alice,
			folders.inbox,
			orders.map((xml, i) =>
				Buffer.from(
					[
						'From: filiale@example.com',
						'To: alice@example.com',
						`Subject: [Order Exchange] ${site} order ${i}`,
						'MIME-Version: 1.0',
						'Content-Type: application/xml; name="order.xml"',
						'Content-Disposition: attachment; filename="order.xml"',
						'Content-Transfer-Encoding: base64',
						'',
						xml.toString('base64').replace(/(.{76})/g, '$1\r\n'),
						'',
					].join('\r\n'),
				),
			),
		);
		const proxy = await new ImapProxy().start();
		loseMoveAnswerAndServer(proxy, 0);
		const viaProxy = { ...alice, port: proxy.port, security: 'none' as const };
		let first;
		try {
			first = await receiver(folders, site).run('Order Exchange', { credentials: { backofficeImapApi: n8nCredentialData(viaProxy) } });
		} finally {
			await proxy.stop();
		}
		// nothing was confirmed: the run fails and hands nothing over; the mails sit in the archive, marked
		expect(first.error?.message).toMatch(/connection/i);
		expect((await subjects(folders.archive)).every((s) => s.endsWith('+keyword'))).toBe(true);

		const second = await receiver(folders, site).run('Order Exchange', { credentials: { backofficeImapApi: n8nCredentialData(alice) } });
		expect(second.error).toBeUndefined();
		expect(second.output('Order Exchange', 0).map((i) => i.json.number).sort()).toEqual(orders.map((_, i) => `2100${i}`));
		expect(second.output('Order Exchange', 2)).toEqual([]);
		expect(await subjects(folders.inbox)).toEqual([]);
		expect((await subjects(folders.archive)).filter((s) => s.endsWith('+keyword'))).toEqual([]);
		expect(await subjects(folders.archive)).toHaveLength(6);
	});
});
