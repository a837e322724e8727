import { windowsOf } from '../../../nodes/shared/fileConsumer';

const file = (name: string, size: number) => ({ name, directory: '/in', path: `/in/${name}`, size, modifiedAt: '2026-12-06T00:00:00Z' });

describe('file windows: the files read, looked up and claimed together', () => {
	it('keeps the order and cuts at 16 files', () => {
		const files = Array.from({ length: 40 }, (_, i) => file(`p${i}.xml`, 6_000));
		const windows = windowsOf(files);
		expect(windows.map((w) => w.length)).toEqual([16, 16, 8]);
		expect(windows.flat()).toEqual(files);
	});

	it('cuts by the listed size too, and gives a file larger than the limit a window of its own', () => {
		const windows = windowsOf([file('a', 5), file('b', 4), file('c', 20), file('d', 1), file('e', 9)], 16, 10);
		expect(windows.map((w) => w.map((f) => f.name))).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
	});

	it('has no window for no files', () => {
		expect(windowsOf([])).toEqual([]);
	});
});
