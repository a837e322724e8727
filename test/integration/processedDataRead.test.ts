/**
 * n8n's processed-data store read without writing, on n8n's default database (SQLite, one process): the file n8n
 * keeps in N8N_USER_FOLDER, opened read-only while n8n's store writes it.
 */
import '../helpers/workflowRunner';
import { itReadsWhatN8nRecorded } from '../helpers/processedDataRead';

describe("reading n8n's processed-data store on SQLite", () => {
	itReadsWhatN8nRecorded('SQLite');
});
