/**
 * How a scenario picks its next fault: a cut at a random command position (before the command, after it with
 * the reply lost, or after the reply), sometimes with a server restart while the command or reply is held,
 * or — on a TLS / SSH connection — a cut at a random byte in either direction.
 */
import type { CutPoint, Direction, Fault } from './faultProxy';
import type { Random } from './random';

const COMMAND_POINTS: readonly CutPoint[] = ['beforeCommand', 'afterCommand', 'afterCommand', 'afterReply'];

/** A cut at command 1…`commands` (the number a run sent last time); `whileHeld` turns it into a server fault. */
export function commandCut(rng: Random, commands: number, whileHeld?: { label: string; action: () => Promise<void> }): Fault {
	const point = rng.pick(COMMAND_POINTS);
	const at = rng.int(1, Math.max(1, commands));
	if (!whileHeld) return { point, at, label: point };
	return { point: point === 'afterReply' ? 'afterCommand' : point, at, whileHeld: whileHeld.action, label: whileHeld.label };
}

/** A cut after a random byte of the first session, in a random direction (`bytes`: the longest session so far). */
export function byteCut(rng: Random, bytes: Record<Direction, number>, label: string): Fault {
	const direction: Direction = rng.chance(0.5) ? 'toServer' : 'toClient';
	return { point: 'atByte', direction, at: rng.int(1, Math.max(1, bytes[direction])), label: `${label} ${direction === 'toServer' ? '→' : '←'}` };
}
