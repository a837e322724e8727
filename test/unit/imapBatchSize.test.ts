/**
 * How many mails the mailbox consumer takes in its next batch: about 16 MB of mail (one FETCH's worth), going by
 * the sizes of the batch before, at most the caller's limit.
 */
import { nextBatchSize } from '../../nodes/shared/transports/imapConsumer';

const ofSize = (bytes: number, n = 50) => Array.from({ length: n }, () => ({ size: bytes }));
const MB = 1024 * 1024;

describe('nextBatchSize', () => {
	it('takes small mails in batches of the largest size', () => {
		expect(nextBatchSize(ofSize(4_000), 50, 250)).toBe(250);
		expect(nextBatchSize(ofSize(4_000), 50, 20)).toBe(20);
	});

	it('takes big mails in batches of about 16 MB', () => {
		expect(nextBatchSize(ofSize(2 * MB), 50, 250)).toBe(8);
		expect(nextBatchSize(ofSize(200 * 1024), 50, 250)).toBe(81);
		// a mail larger than 16 MB comes alone
		expect(nextBatchSize(ofSize(40 * MB), 50, 250)).toBe(1);
	});

	it('goes by the average of the batch', () => {
		expect(nextBatchSize([...ofSize(1 * MB, 10), ...ofSize(0, 10)], 50, 250)).toBe(32);
	});

	it('keeps the size when the server told no mail sizes', () => {
		expect(nextBatchSize([{}, {}], 50, 250)).toBe(50);
		expect(nextBatchSize([], 50, 250)).toBe(50);
	});
});
