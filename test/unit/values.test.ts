import { calendarDateIn, daysInMonth, isCalendarDate, isIsoCalendarDate, isoDate, todayIn } from '../../nodes/shared/documents/values';

describe('calendar dates', () => {
	it.each([
		[2024, 2, 29, true],
		[2025, 2, 29, false],
		[2000, 2, 29, true],
		[1900, 2, 29, false],
		[2025, 2, 30, false],
		[2025, 13, 1, false],
		[2025, 0, 1, false],
		[2025, 4, 31, false],
		[9999, 99, 99, false],
		[2025, 12, 31, true],
	])('%d-%d-%d is a calendar date: %s', (y, m, d, ok) => {
		expect(isCalendarDate(y, m, d)).toBe(ok);
	});

	it('writes ISO dates and checks ISO date texts', () => {
		expect(isoDate(2025, 3, 4)).toBe('2025-03-04');
		expect(isoDate(2025, 2, 30)).toBeUndefined();
		expect(isIsoCalendarDate('2025-02-28T10:00:00+01:00')).toBe(true);
		expect(isIsoCalendarDate('2025-02-30')).toBe(false);
		expect(isIsoCalendarDate('9999-99-99')).toBe(false);
		expect(daysInMonth(2024, 2)).toBe(29);
		expect(daysInMonth(2025, 11)).toBe(30);
	});
});

describe('today in a time zone', () => {
	it('belongs to the zone’s day, not to UTC’s', () => {
		const justAfterMidnightInBerlin = new Date('2025-03-13T23:30:00Z');
		expect(todayIn('Europe/Berlin', justAfterMidnightInBerlin)).toBe('2025-03-14');
		expect(todayIn('UTC', justAfterMidnightInBerlin)).toBe('2025-03-13');
		expect(calendarDateIn(justAfterMidnightInBerlin, 'America/New_York')).toBe('2025-03-13');
	});
});
