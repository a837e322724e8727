/**
 * n8n's processed-data store in a process of its own, for the engine tests (see processedData.ts): the n8n
 * server's DeduplicationHelper over n8n's database, initialised and migrated by n8n's own DbConnection. Runs
 * outside jest because n8n's database driver is loaded by a dynamic import, which jest's sandbox refuses.
 * Requests come over the IPC channel: { id, method, args }; answers: { id, result } or { id, error }.
 */
'use strict';
const path = require('node:path');

const modules = path.join(__dirname, '../../scripts/n8n-server/node_modules');
const load = (name) => require(path.join(modules, name));

async function open() {
	load('reflect-metadata');
	const { Container } = load('@n8n/di');
	const db = load('@n8n/db');
	const { DeduplicationHelper } = load('n8n/dist/deduplication/deduplication-helper');
	const connection = Container.get(db.DbConnection);
	await connection.init();
	await connection.migrate();
	const workflows = Container.get(db.WorkflowRepository);
	const saved = new Set();
	return {
		helper: new DeduplicationHelper(),
		// n8n's processed_data rows reference a saved workflow: the test's workflow is saved as an empty one
		async saveWorkflow(id) {
			if (saved.has(id)) return;
			if (!(await workflows.existsBy({ id }))) {
				// two test processes may save the same workflow at once (in n8n it is saved before it runs): the
				// second insert fails on the primary key, and the row is there
				await workflows.insert({ id, name: id, active: false, nodes: [], connections: {}, versionId: id.slice(0, 36) }).catch(async (error) => {
					if (!(await workflows.existsBy({ id }))) throw error;
				});
			}
			saved.add(id);
		},
	};
}

const ready = open();
ready.then(
	() => process.send({ ready: true }),
	(error) => process.send({ ready: false, error: String(error && error.stack ? error.stack : error) }),
);

process.on('message', async ({ id, method, args }) => {
	try {
		const { helper, saveWorkflow } = await ready;
		const contextData = args[method === 'checkProcessedAndRecord' || method === 'removeProcessed' ? 2 : 1];
		if (contextData && contextData.workflow && contextData.workflow.id) await saveWorkflow(contextData.workflow.id);
		process.send({ id, result: await helper[method](...args) });
	} catch (error) {
		process.send({ id, error: String(error && error.message ? error.message : error) });
	}
});
process.on('disconnect', () => process.exit(0));
