import Big from 'big.js';

/**
 * The one place for reading values as business documents write them: calendar dates, written numbers, and
 * "today" in the workflow's time zone. The readers return undefined for text they cannot read, so that each
 * parser can throw with its own position (element path, segment, row and column).
 */

/** True when year-month-day is a day of the proleptic Gregorian calendar (2025-02-29 and 2025-13-01 are not). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
	if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
	if (month < 1 || month > 12 || day < 1) return false;
	return day <= daysInMonth(year, month);
}

/** The number of days of a month (1–12): February has 29 in leap years. */
export function daysInMonth(year: number, month: number): number {
	if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
	return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** YYYY-MM-DD for a calendar date, undefined for anything else. */
export function isoDate(year: number, month: number, day: number): string | undefined {
	if (!isCalendarDate(year, month, day)) return undefined;
	return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** An ISO date text `YYYY-MM-DD` (optionally followed by a time) whose date part is a calendar date. */
export function isIsoCalendarDate(text: string): boolean {
	const m = /^(\d{4})-(\d{2})-(\d{2})(?![\d])/.exec(text);
	return m !== null && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

function isoTime(hours: string, minutes: string, seconds?: string): string | undefined {
	if (Number(hours) > 23 || Number(minutes) > 59 || (seconds !== undefined && Number(seconds) > 59)) return undefined;
	return `${hours.padStart(2, '0')}:${minutes}${seconds !== undefined ? ':' + seconds : ''}`;
}

/**
 * Reads a date as suppliers write it and returns ISO 8601: `2024-03-05` and ISO date-times stay as they are
 * (a space before the time becomes `T`), `05.03.2024`, `5.3.24` and `20240305` become `2024-03-05`.
 * A two-digit year is taken as 20YY: delivery notes are about this century's deliveries.
 */
export function normaliseDate(raw: string): string | undefined {
	const text = raw.trim();
	let m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
	if (m) {
		const date = isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
		if (!date || m[4] === undefined) return date;
		const time = isoTime(m[4], m[5], m[6]);
		return time && `${date}T${time}${m[7] ?? ''}${m[8] ?? ''}`;
	}
	m = /^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
	if (m) {
		const year = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
		const date = isoDate(year, Number(m[2]), Number(m[1]));
		if (!date || m[4] === undefined) return date;
		const time = isoTime(m[4], m[5], m[6]);
		return time && `${date}T${time}`;
	}
	m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
	if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
	return undefined;
}

const GROUP_SEPARATORS = [' ', '\u00a0', '\u202f', "'"];

/**
 * Turns a written number into a plain decimal string: `1.234,50` (decimal comma) → `1234.5`, `1.0` → `1`.
 * With `grouping`, thousands separators are accepted when they really group by three (`1.234,5` yes,
 * `1.23,5` no), so that a file read with the wrong decimal setting fails instead of being off by 1000.
 */
export function normaliseDecimal(raw: string, decimalMark: '.' | ',', grouping = false): string | undefined {
	let text = raw.trim();
	if (text === '') return undefined;
	let sign = '';
	if (text.startsWith('-') || text.startsWith('+')) {
		sign = text[0] === '-' ? '-' : '';
		text = text.slice(1).trimStart();
	}
	const [whole, fraction, extra] = text.split(decimalMark);
	if (extra !== undefined) return undefined;
	let digits = whole;
	if (grouping && !/^\d*$/.test(whole)) {
		const separators = [decimalMark === ',' ? '.' : ',', ...GROUP_SEPARATORS];
		const separator = separators.find((s) => whole.includes(s));
		if (!separator) return undefined;
		const groups = whole.split(separator);
		if (!/^\d{1,3}$/.test(groups[0]) || !groups.slice(1).every((g) => /^\d{3}$/.test(g))) return undefined;
		digits = groups.join('');
	}
	if (!/^\d*$/.test(digits) || (fraction !== undefined && !/^\d+$/.test(fraction))) return undefined;
	if (digits === '' && fraction === undefined) return undefined;
	const plain = `${sign}${digits || '0'}${fraction !== undefined ? '.' + fraction : ''}`;
	// big.js drops trailing zeros and a negative zero's sign, and never switches to exponent notation here
	return new Big(plain).toFixed();
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone: 2025-03-13T23:30Z is the 14th in Berlin. */
export function calendarDateIn(instant: Date, timeZone: string): string {
	const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
	const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
	return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Today in a time zone, as YYYY-MM-DD: a run at 00:30 in Berlin belongs to the Berlin day, not to UTC's. */
export function todayIn(timeZone: string, at: Date = new Date()): string {
	return calendarDateIn(at, timeZone);
}
