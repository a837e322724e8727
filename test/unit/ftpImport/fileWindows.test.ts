import { windowsOf } from '../../../nodes/shared/fileConsumer';

const file = (name: string, size: number) => ({ name, directory: '/in', path: `/in/${name}`, size, modifiedAt: '2026-12-06T00:00:00Z' });

describe('file windows: the files read, looked up and claimed together', () => {
	it('keeps the order, cuts the first window at 16 files and lets each next one grow to twice the one before, up to 64', () => {
		const files = Array.from({ length: 300 }, (_, i) => file(`p${i}.xml`, 6_000));
		const windows = windowsOf(files);
		expect(windows.map((w) => w.length)).toEqual([16, 32, 64, 64, 64, 60]);
		expect(windows.flat()).toEqual(files);
		expect(windowsOf(files.slice(0, 40)).map((w) => w.length)).toEqual([16, 24]);
	});

	it('grows from a window cut by its bytes as from any other', () => {
		const windows = windowsOf([file('a', 6), file('b', 6), file('c', 1), file('d', 1), file('e', 1), file('f', 1), file('g', 1)], 2, 8, 10);
		expect(windows.map((w) => w.map((f) => f.name))).toEqual([['a'], ['b', 'c', 'd', 'e'], ['f', 'g']]);
	});

	it('cuts by the listed size too, and gives a file larger than the limit a window of its own', () => {
		const windows = windowsOf([file('a', 5), file('b', 4), file('c', 20), file('d', 1), file('e', 9)], 16, 16, 10);
		expect(windows.map((w) => w.map((f) => f.name))).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
	});

	it('has no window for no files', () => {
		expect(windowsOf([])).toEqual([]);
	});
});
