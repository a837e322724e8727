/**
 * A TCP proxy in front of Dovecot's plain IMAP port that lets a test act at an exact point of the protocol:
 * before a client command reaches the server (e.g. delete the archive folder just before the MOVE), or
 * after the server has answered it (e.g. cut the connection so that the client never learns the answer).
 * Timing-based fault injection would make such tests flaky; this makes them deterministic.
 */
import type net from 'node:net';

import { loadServers } from './servers';
import { TcpProxy } from './tcpProxy';

export interface CommandHook {
	/** matched against each chunk the client sends (IMAP commands are single lines) */
	match: RegExp;
	/** how many matching commands to let through untouched before the hook acts (default 0) */
	skip?: number;
	/** runs before the command is passed on to the server */
	before?: () => Promise<void>;
	/** forward the command, wait for the server's tagged answer, then cut the connection instead of passing it on */
	cutAfterAnswer?: boolean;
	/** cut the connection instead of passing the command on at all */
	cutBefore?: boolean;
	/**
	 * forward the command, hold the server's tagged answer, run this (e.g. kill the client's process), then pass
	 * the answer on if the client is still there
	 */
	whileAnswerHeld?: () => Promise<void>;
}

export class ImapProxy extends TcpProxy {
	private hooks: Array<CommandHook & { seen: number; done: boolean }> = [];
	/** while true, new connections are closed at once (a server that is down) */
	refuseConnections = false;
	/** every command line the clients sent, for assertions on the number of round trips */
	readonly commands: string[] = [];
	/** when set, sees every chunk the server sends (before any hook acts on it) */
	onServerData?: (chunk: Buffer) => void;

	/** adds a hook that acts once */
	on(hook: CommandHook): void {
		this.hooks.push({ ...hook, seen: 0, done: false });
	}

	protected accept(client: net.Socket): void {
		if (this.refuseConnections) {
			client.destroy();
			return;
		}
		const upstream = this.upstreamFor(client, { host: '127.0.0.1', port: loadServers().imap.port });
		const cut = () => {
			client.destroy();
			upstream.destroy();
		};
		client.on('error', cut).on('close', cut);
		upstream.on('error', cut).on('close', cut);

		let awaitingTag: string | undefined;
		let holding: { tag: string; run: () => Promise<void> } | undefined;
		let held: Buffer[] | undefined;
		upstream.on('data', (chunk: Buffer) => {
			this.onServerData?.(chunk);
			if (held) {
				held.push(chunk);
				return;
			}
			if (awaitingTag && new RegExp(`(^|\\r\\n)${awaitingTag} (OK|NO|BAD)`).test(chunk.toString('latin1'))) {
				cut();
				return;
			}
			if (holding && new RegExp(`(^|\\r\\n)${holding.tag} (OK|NO|BAD)`).test(chunk.toString('latin1'))) {
				const run = holding.run;
				holding = undefined;
				held = [chunk];
				void run().finally(() => {
					const answer = Buffer.concat(held ?? []);
					held = undefined;
					if (!client.destroyed) client.write(answer);
				});
				return;
			}
			client.write(chunk);
		});

		// client data is handled strictly in order, also while a hook awaits something
		let queue = Promise.resolve();
		client.on('data', (chunk: Buffer) => {
			queue = queue.then(async () => {
				const text = chunk.toString('latin1');
				for (const line of text.split('\r\n').filter(Boolean)) this.commands.push(line);
				const hook = this.hooks.find((h) => !h.done && h.match.test(text));
				if (hook && hook.seen++ >= (hook.skip ?? 0)) {
					hook.done = true;
					if (hook.before) await hook.before();
					if (hook.cutBefore) {
						cut();
						return;
					}
					if (hook.cutAfterAnswer) awaitingTag = /^(\S+) /.exec(text)?.[1];
					const tag = /^(\S+) /.exec(text)?.[1];
					if (hook.whileAnswerHeld && tag) holding = { tag, run: hook.whileAnswerHeld };
				}
				if (!upstream.destroyed) upstream.write(chunk);
			});
		});
	}
}
