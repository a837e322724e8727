/**
 * Runs one workflow through n8n's engine (workflowRunner.ts) in a process of its own, as a queue-mode worker runs
 * an execution: with the DB_* variables of the parent (n8n's database), its own process state (locks, leases, the
 * in-process memories of the nodes); a test may kill it with SIGKILL mid-run. TypeScript is compiled on the fly
 * (transpileModule, no type check). Each request over IPC: { workflow, node, outputs, credentials, items?, mode? };
 * the answer { error, outputs, staticData } carries the JSON of the items on each of the node's `outputs` and the workflow's
 * static data after the run (what n8n would save).
 */
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

// `.ts` before `.json`: `require('./X.node')` must find X.node.ts, not the node's codex file X.node.json
const { '.json': json, '.node': native } = require.extensions;
delete require.extensions['.json'];
delete require.extensions['.node'];
require.extensions['.ts'] = (module, filename) => {
	const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
		compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
		fileName: filename,
	});
	module._compile(outputText, filename);
};
require.extensions['.json'] = json;
require.extensions['.node'] = native;

const { RunnerWorkflow } = require('./workflowRunner.ts');

/** An error as text: its message (and description), or its JSON when it is not an Error. */
function describe(error) {
	if (error instanceof Error) return [error.message, error.description].filter(Boolean).join(': ');
	try {
		return JSON.stringify(error);
	} catch {
		return String(error);
	}
}

process.on('message', async ({ workflow, node, outputs, credentials, items, mode }) => {
	try {
		const runner = new RunnerWorkflow(workflow);
		const input = items ? [items.map((j) => ({ json: j }))] : undefined;
		const result = await runner.run(node, { credentials, input, mode });
		const json = result.error ? [] : Array.from({ length: outputs }, (_, output) => result.output(node, output).map((item) => item.json));
		process.send({ error: result.error ? describe(result.error) : undefined, outputs: json, staticData: runner.staticData });
	} catch (error) {
		process.send({ error: describe(error), outputs: [], staticData: {} });
	}
});
process.send({ ready: true });
