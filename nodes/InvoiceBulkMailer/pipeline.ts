/**
 * A small pipeline for bulk mailing: each job makes its PDFs (CPU) and then sends its mail (network). With a
 * few jobs under way at once, the PDFs of the next mails are made while the earlier ones are on the wire,
 * without making every PDF first — memory stays bounded by the jobs under way, whatever the number of mails.
 *
 * The CPU step runs one job at a time (`exclusive`): on Node's one thread, five PDFs made side by side all
 * finish late and then all wait on the network together, leaving the CPU idle; made one after the other, a
 * finished mail goes on the wire at once and the next PDF is made while it travels (measured: 2× the mails/s).
 *
 * Two limits: `active` jobs working at once (making PDFs or sending), and `alive` jobs in all, which also
 * counts jobs that wait to retry a temporarily refused mail. A waiting job gives its active place to the next
 * one (`pause`), so that a few greylisted recipients do not stall the run, but it keeps its PDFs, so the
 * number of waiting jobs is bounded too.
 */

class Gate {
	private free: number;
	private readonly queue: Array<() => void> = [];

	constructor(size: number) {
		this.free = Math.max(1, Math.floor(size));
	}

	async enter(): Promise<void> {
		if (this.free > 0) {
			this.free--;
			return;
		}
		await new Promise<void>((resolve) => this.queue.push(resolve));
	}

	leave(): void {
		const next = this.queue.shift();
		if (next) next();
		else this.free++;
	}
}

export interface JobControl {
	/** Runs `waiting` (e.g. the wait before a retry) without holding an active place. */
	pause<T>(waiting: () => Promise<T>): Promise<T>;
	/** Runs a CPU-bound step (making PDFs) while no other job runs one, in the order the jobs ask. */
	exclusive<T>(work: () => Promise<T>): Promise<T>;
}

export interface PipelineLimits {
	active: number;
	alive: number;
}

/**
 * Runs `job` for every entry, in order of the entries, within the limits. A job should report its own
 * failures; one that throws stops the start of further jobs, and its error is thrown once the jobs already
 * under way have ended.
 */
export async function runPipeline<T>(
	entries: readonly T[],
	limits: PipelineLimits,
	job: (entry: T, control: JobControl) => Promise<void>,
): Promise<void> {
	const active = new Gate(limits.active);
	const alive = new Gate(Math.max(limits.alive, limits.active));
	const cpu = new Gate(1);
	const running = new Set<Promise<void>>();
	let failure: { error: unknown } | undefined;
	const control: JobControl = {
		async pause(waiting) {
			active.leave();
			try {
				return await waiting();
			} finally {
				await active.enter();
			}
		},
		async exclusive(work) {
			await cpu.enter();
			try {
				return await work();
			} finally {
				cpu.leave();
			}
		},
	};
	for (const entry of entries) {
		await alive.enter();
		await active.enter();
		if (failure) {
			active.leave();
			alive.leave();
			break;
		}
		const run = (async () => {
			try {
				await job(entry, control);
			} catch (error) {
				failure ??= { error };
			} finally {
				active.leave();
				alive.leave();
			}
		})();
		running.add(run);
		void run.finally(() => running.delete(run));
	}
	await Promise.all([...running]);
	if (failure) throw failure.error;
}
