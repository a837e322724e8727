/** The test servers' mailboxes as seen by the end-to-end tests: fresh folders, mails in, mails found. */
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';

import { withImapClient } from '../../nodes/shared/transports/imap';
import { multiAppend } from '../helpers/imapAppend';
import { imapCredentialsFor, loadServers } from '../helpers/servers';

export type MailUser = 'alice' | 'bob' | 'carol' | 'admin' | 'sink';

export const randomTag = (): string => Math.random().toString(36).slice(2, 8);

/** Creates `base` and the given subfolders in the mailbox of `who`; returns their paths. */
export async function createFolders<K extends string>(who: MailUser, base: string, children: Record<K, string>): Promise<Record<K, string>> {
	const paths = Object.fromEntries(Object.entries(children).map(([k, v]) => [k, `${base}/${v as string}`])) as Record<K, string>;
	await withImapClient(imapCredentialsFor(who), async (client) => {
		await client.mailboxCreate(base.split('/'));
		for (const p of Object.values(paths) as string[]) await client.mailboxCreate(p.split('/'));
	});
	return paths;
}

export interface MailSpec {
	from: string;
	to: string;
	subject: string;
	text?: string;
	attachments?: Array<{ filename: string; content: Buffer | string; contentType?: string }>;
}

/** Puts mails straight into a folder (IMAP APPEND), as a mail rule of the mail server would file them. */
export async function appendMails(who: MailUser, folder: string, mails: MailSpec[]): Promise<void> {
	const raw = await Promise.all(
		mails.map(async (m) => await new MailComposer({ ...m, text: m.text ?? 'Anbei unsere Unterlagen.' }).compile().build()),
	);
	await multiAppend(loadServers().users[who], folder, raw);
}

export interface FoundMail {
	uid: number;
	subject: string;
	from: string;
	to: string[];
	text: string;
	attachments: Array<{ filename: string; contentType: string; size: number; content: Buffer }>;
}

async function parse(uid: number, source: Buffer): Promise<FoundMail> {
	const parsed = await simpleParser(source);
	const addresses = (v: typeof parsed.to): string[] =>
		(Array.isArray(v) ? v : v ? [v] : []).flatMap((a) => a.value.map((x) => x.address ?? ''));
	return {
		uid,
		subject: parsed.subject ?? '',
		from: parsed.from?.value[0]?.address ?? '',
		to: addresses(parsed.to),
		text: parsed.text ?? '',
		attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? '', contentType: a.contentType, size: a.size, content: a.content })),
	};
}

/** Every mail of a folder, parsed. */
export async function readFolder(who: MailUser, folder: string): Promise<FoundMail[]> {
	return await withImapClient(imapCredentialsFor(who), async (client) => {
		await client.mailboxOpen(folder, { readOnly: true });
		if (!client.mailbox || !client.mailbox.exists) return [];
		const messages = await client.fetchAll('1:*', { uid: true, source: true });
		return await Promise.all(messages.map(async (m) => await parse(m.uid, m.source ?? Buffer.alloc(0))));
	});
}

/** The mails of INBOX (or `folder`) whose text or subject contains `marker`, once there are `count` of them. */
export async function waitForMails(who: MailUser, marker: string, count = 1, timeoutMs = 30_000, folder = 'INBOX'): Promise<FoundMail[]> {
	const deadline = Date.now() + timeoutMs;
	let found: FoundMail[] = [];
	for (;;) {
		found = await withImapClient(imapCredentialsFor(who), async (client) => {
			await client.mailboxOpen(folder, { readOnly: true });
			const uids = (await client.search({ or: [{ subject: marker }, { body: marker }] }, { uid: true })) || [];
			if (!uids.length) return [];
			const messages = await client.fetchAll(uids.join(','), { uid: true, source: true }, { uid: true });
			return await Promise.all(messages.map(async (m) => await parse(m.uid, m.source ?? Buffer.alloc(0))));
		});
		if (found.length >= count || Date.now() > deadline) return found;
		await new Promise((r) => setTimeout(r, 300));
	}
}

/**
 * Moves the mails of INBOX that contain `marker` into `folder` once `count` of them arrived: what a mail
 * rule on the server does for a mailbox that receives more than one kind of mail.
 */
export async function fileMails(who: MailUser, marker: string, folder: string, count: number, timeoutMs = 30_000): Promise<number> {
	const arrived = await waitForMails(who, marker, count, timeoutMs);
	if (arrived.length < count) throw new Error(`${count} mail(s) with "${marker}" expected in ${who}'s INBOX, ${arrived.length} arrived`);
	await withImapClient(imapCredentialsFor(who), async (client) => {
		await client.mailboxOpen('INBOX');
		await client.messageMove(arrived.map((m) => m.uid).join(','), folder, { uid: true });
	});
	return arrived.length;
}
