/**
 * Reading quantities and dates the way suppliers write them: the readers live in the shared values module;
 * this file keeps the helpers that only delivery notes need.
 */
export { isCalendarDate, normaliseDate, normaliseDecimal } from '../values';

/** Adds `value` to `list` unless it is empty or already there, keeping the order of first appearance. */
export function addOnce(list: string[], value: string | undefined): void {
	if (value && !list.includes(value)) list.push(value);
}

/** Drops the keys whose value is undefined or '', so that emitted items carry only what the document said. */
export function withoutEmpty<T extends object>(value: T): T {
	for (const key of Object.keys(value) as Array<keyof T>) {
		if (value[key] === undefined || value[key] === '') delete value[key];
	}
	return value;
}
