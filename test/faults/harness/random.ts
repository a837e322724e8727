/**
 * The fault suite's one source of chance: a seeded PRNG (mulberry32). The seed comes from BO_FAULT_SEED or is
 * drawn at random, and is printed, so that a failing run can be replayed with `BO_FAULT_SEED=<seed>`.
 * Every protocol draws from its own stream (the seed and the protocol's name), so one protocol's draws do not
 * shift another's when only some of them run.
 */

export interface Random {
	/** [0, 1) */
	next(): number;
	/** an integer in [min, max] */
	int(min: number, max: number): number;
	/** true with probability p */
	chance(p: number): boolean;
	pick<T>(items: readonly T[]): T;
}

export function mulberry32(seed: number): Random {
	let state = seed >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		next,
		int: (min, max) => min + Math.floor(next() * (max - min + 1)),
		chance: (p) => next() < p,
		pick: (items) => items[Math.floor(next() * items.length)],
	};
}

let chosen: number | undefined;

/** The run's seed: BO_FAULT_SEED, or a random one; printed once per process. */
export function faultSeed(print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): number {
	if (chosen === undefined) {
		const given = process.env.BO_FAULT_SEED;
		if (given !== undefined && given !== '' && !/^\d+$/.test(given)) throw new Error(`BO_FAULT_SEED must be a whole number, not "${given}"`);
		chosen = given ? Number(given) >>> 0 : Math.floor(Math.random() * 2 ** 32) >>> 0;
		print(`fault suite: seed ${chosen} (replay with BO_FAULT_SEED=${chosen})`);
	}
	return chosen;
}

/** A stream of its own for one protocol, derived from the seed and the protocol's name. */
export function randomFor(seed: number, stream: string): Random {
	let h = seed ^ 0x9e3779b9;
	for (const c of stream) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
	return mulberry32(h >>> 0);
}
