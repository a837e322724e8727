/**
 * Fills a folder fast: many messages per APPEND command (MULTIAPPEND, RFC 3502, with LITERAL+), which
 * Dovecot stores in one transaction. One APPEND per message costs Dovecot a lock and an fsync each (about
 * 5 ms), so 2,000 mails took 10-20 s with imapflow's `append`; this takes about a second. Test servers only:
 * plain connection and LOGIN on the loopback port.
 */
import net from 'node:net';

import { loadServers } from './servers';

function quoted(text: string): string {
	return `"${text.replace(/(["\\])/g, '\\$1')}"`;
}

/** APPENDs `messages` (RFC 822 bytes) to `folder` of `user`, `perCommand` messages per APPEND. */
export async function multiAppend(
	user: { user: string; password: string },
	folder: string,
	messages: Buffer[],
	perCommand = 500,
): Promise<void> {
	const socket = net.connect(loadServers().imap.port, '127.0.0.1');
	let received = '';
	let waiting: { tag: string; resolve: () => void; reject: (e: Error) => void } | undefined;
	const check = () => {
		if (!waiting) return;
		const match = new RegExp(`(^|\\r\\n)${waiting.tag} (OK|NO|BAD)([^\\r\\n]*)\\r\\n`).exec(received);
		if (!match) return;
		const done = waiting;
		waiting = undefined;
		received = '';
		if (match[2] === 'OK') done.resolve();
		else done.reject(new Error(`${match[2]}${match[3]}`));
	};
	socket.on('data', (chunk: Buffer) => {
		received += chunk.toString('latin1');
		check();
	});
	const closed = new Promise<never>((_, reject) => socket.on('error', reject));
	const command = async (tag: string, parts: Array<string | Buffer>) => {
		const answered = new Promise<void>((resolve, reject) => (waiting = { tag, resolve, reject }));
		for (const part of parts) socket.write(part);
		await Promise.race([answered, closed]);
	};
	try {
		await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
		await command('L', [`L LOGIN ${quoted(user.user)} ${quoted(user.password)}\r\n`]);
		for (let start = 0, n = 0; start < messages.length; start += perCommand, n++) {
			const parts: Array<string | Buffer> = [`A${n} APPEND ${quoted(folder)}`];
			for (const message of messages.slice(start, start + perCommand)) parts.push(` {${message.length}+}\r\n`, message);
			parts.push('\r\n');
			await command(`A${n}`, parts);
		}
		await command('Z', ['Z LOGOUT\r\n']);
	} finally {
		socket.destroy();
	}
}
