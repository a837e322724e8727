import { normaliseDate, normaliseDecimal } from '../../../nodes/shared/documents/deliveryNotes/values';

describe('normaliseDecimal', () => {
	it.each([
		['1.0', '.', false, '1'],
		['12.50', '.', false, '12.5'],
		['0.001', '.', false, '0.001'],
		['-3', '.', false, '-3'],
		['+3', '.', false, '3'],
		['-0.0', '.', false, '0'],
		['.5', '.', false, '0.5'],
		['1.234,50', ',', true, '1234.5'],
		['1.234.567,8', ',', true, '1234567.8'],
		['1 234,5', ',', true, '1234.5'],
		['2,5', ',', true, '2.5'],
		['1,500.00', '.', true, '1500'],
		["1'500.25", '.', true, '1500.25'],
		['123456789012345678901234.5', '.', false, '123456789012345678901234.5'],
	] as const)('reads %s with decimal mark %s (grouping %s) as %s', (raw, mark, grouping, expected) => {
		expect(normaliseDecimal(raw, mark, grouping)).toBe(expected);
	});

	it.each([
		['', ',', true],
		['abc', '.', false],
		['1,5', '.', false],
		['1,5', '.', true],
		['1.23,5', ',', true],
		['1234.567,8', ',', true],
		['1,2345', '.', true],
		['1,2,3', ',', true],
		['1e3', '.', false],
		['1.234,5', ',', false],
		['12.', '.', false],
	] as const)('refuses %s with decimal mark %s (grouping %s)', (raw, mark, grouping) => {
		expect(normaliseDecimal(raw, mark, grouping)).toBeUndefined();
	});
});

describe('normaliseDate', () => {
	it.each([
		['2024-03-05', '2024-03-05'],
		['2016-01-31T21:31:00', '2016-01-31T21:31:00'],
		['2016-01-31T21:31:00+01:00', '2016-01-31T21:31:00+01:00'],
		['2016-01-31 21:31', '2016-01-31T21:31'],
		['05.03.2024', '2024-03-05'],
		['5.3.2024', '2024-03-05'],
		['05.03.24', '2024-03-05'],
		['05.03.2024 14:10', '2024-03-05T14:10'],
		['20240305', '2024-03-05'],
		['29.02.2024', '2024-02-29'],
	])('reads %s as %s', (raw, expected) => {
		expect(normaliseDate(raw)).toBe(expected);
	});

	it.each(['29.02.2023', '2024-13-01', '32.01.2024', '20240230', '03/05/2024', '2024-03-05T25:00', 'gestern', ''])(
		'refuses %s',
		(raw) => {
			expect(normaliseDate(raw)).toBeUndefined();
		},
	);
});
