/**
 * Runs the Invoice Bulk Mailer through n8n's engine (workflowRunner.ts) in a process of its own, so that a test
 * can kill it with SIGKILL in the middle of a run, as a queue-mode worker dies. TypeScript is compiled on the
 * fly (typescript's transpileModule, no type check). One request over IPC: { workflow, items, credentials }; the answer
 * { done, error, outputs } carries the JSON of the items on each output.
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

process.on('message', async ({ workflow, items, credentials }) => {
	const result = await new RunnerWorkflow(workflow).run('Mailer', { credentials, input: [items.map((json) => ({ json }))] });
	// per output (Sent, Skipped, Failed): the items' JSON
	const outputs = result.error ? [] : [0, 1, 2].map((output) => result.output('Mailer', output).map((item) => item.json));
	process.send({ done: true, error: result.error ? String(result.error.message ?? result.error) : undefined, outputs });
});
process.send({ ready: true });
