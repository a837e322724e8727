/** n8n's processed-data store read without writing, on PostgreSQL (queue mode): a SELECT over the lock's connections. */
import { useN8nPostgres } from '../helpers/n8nPostgres';
import { itReadsWhatN8nRecorded } from '../helpers/processedDataRead';

let restore: (() => void) | undefined;
beforeAll(async () => {
	restore = await useN8nPostgres(`bo_read_${process.pid}`);
}, 180_000);
afterAll(() => restore?.());

describe("reading n8n's processed-data store on PostgreSQL", () => {
	itReadsWhatN8nRecorded('PostgreSQL');
});
