/**
 * A record of runs of this n8n process that have not ended (leases held, values not yet written at the end of
 * an execution): one per process, on globalThis, so that every copy of this package's modules loaded in the
 * process sees the same one. (The in-process guards — one poll per mailbox, one run per directory — stay per
 * module copy: the tests load a second copy to play a second n8n process.)
 */
export function processWide<T>(name: string, create: () => T): T {
	const slots = globalThis as Record<symbol, unknown>;
	return (slots[Symbol.for(`n8n-nodes-backoffice.${name}`)] ??= create()) as T;
}

/**
 * Runs work one after the other per key within this n8n process: a second execution of the same node waits
 * until the first is done. A lock, not state: when the process dies, the executions it serialised die too.
 * Across processes (queue mode, multi-main) it does not help; that needs a lock outside the process.
 */
const tails = new Map<string, Promise<unknown>>();

export async function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
	const before = tails.get(key) ?? Promise.resolve();
	const mine = before.then(work, work);
	const tail = mine.catch(() => undefined);
	tails.set(key, tail);
	try {
		return await mine;
	} finally {
		// the last one out leaves nothing behind
		if (tails.get(key) === tail) tails.delete(key);
	}
}

/**
 * The key of a node of a workflow for what production runs of this process share (the runs one at a time, the
 * records of processes); undefined for manual runs, whose static data n8n does not save.
 */
export function processKeyOf(ctx: { getMode(): string; getWorkflow(): { id?: string }; getNode(): { id?: string; name: string } }): string | undefined {
	if (ctx.getMode() === 'manual') return undefined;
	return `${ctx.getWorkflow().id ?? ''}|${ctx.getNode().id ?? ctx.getNode().name}`;
}
