/**
 * Workflow templates (workflows-templates/*.json) in a real n8n: reading and adapting them to the test
 * setup before `n8n import:workflow`, writing the credentials export for `n8n import:credentials`, and
 * running them the way a user does — switching them on (publish) or clicking "Execute workflow" — through
 * the REST API the editor uses. Execution results are read back from n8n's execution store.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { N8nInstance } from './n8nInstance';
import { ROOT } from './n8nInstance';

export const TEMPLATES_DIR = path.join(ROOT, 'workflows-templates');

export interface TemplateNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string | null; name: string }>;
	[key: string]: unknown;
}

export interface Template {
	id: string;
	name: string;
	nodes: TemplateNode[];
	connections: Record<string, { main: Array<Array<{ node: string; type: string; index: number }>> }>;
	[key: string]: unknown;
}

export function readTemplate(file: string): Template {
	return JSON.parse(readFileSync(path.join(TEMPLATES_DIR, file), 'utf8')) as Template;
}

/** The node called `name`; throws when the template has none (a renamed node breaks the test, on purpose). */
export function nodeNamed(template: Template, name: string): TemplateNode {
	const node = template.nodes.find((n) => n.name === name);
	if (!node) throw new Error(`template "${template.name}" has no node "${name}" (nodes: ${template.nodes.map((n) => n.name).join(', ')})`);
	return node;
}

/**
 * The template with every placeholder URL of `from` (e.g. https://erp.example.com) pointed at `to`, as a
 * user pastes their ERP's address. Throws when the template does not use `from` at all.
 */
export function replaceUrls(template: Template, from: string, to: string): Template {
	const text = JSON.stringify(template);
	if (!text.includes(from)) throw new Error(`template "${template.name}" does not use ${from}`);
	return JSON.parse(text.split(from).join(to)) as Template;
}

/** Writes the adapted templates into a fresh folder for `scripts/n8n-server.sh import` (which imports a folder). */
export function writeTemplates(dir: string, templates: Template[]): string {
	mkdirSync(dir, { recursive: true });
	for (const t of templates) writeFileSync(path.join(dir, `${t.id}.json`), JSON.stringify(t, null, 2));
	return dir;
}

export interface CredentialExport {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

/** n8n's credentials export format; `data` as a plain object is encrypted by `n8n import:credentials` itself. */
export function writeCredentials(file: string, credentials: CredentialExport[]): string {
	writeFileSync(file, JSON.stringify(credentials, null, 2));
	return file;
}

/** Every credential a template names, as `type/name`. */
export function credentialNames(template: Template): string[] {
	return [
		...new Set(
			template.nodes.flatMap((n) => Object.entries(n.credentials ?? {}).map(([type, ref]) => `${type}/${ref.name}`)),
		),
	].sort();
}

// ------------------------------------------------------------------------------------------ REST: workflows

interface WorkflowResponse {
	data: { id: string; versionId: string; active: boolean; nodes: TemplateNode[] };
}

export async function getWorkflow(n8n: N8nInstance, id: string): Promise<WorkflowResponse['data']> {
	return (await n8n.api<WorkflowResponse>('GET', `/rest/workflows/${id}`)).data;
}

interface PublicationStatus {
	data: { status: string; triggers: Array<{ nodeId: string; status: string; errorMessage: string | null }> };
}

/**
 * Switches the workflow on ("Publish" in the editor) and waits until n8n has started its triggers. n8n 2.x
 * starts them in the background (publication outbox); for a polling trigger that includes the first poll.
 * Throws with n8n's message when a trigger could not be started.
 */
export async function publish(n8n: N8nInstance, id: string, timeoutMs = 90_000): Promise<void> {
	const { versionId } = await getWorkflow(n8n, id);
	await n8n.api('POST', `/rest/workflows/${id}/activate`, { versionId });
	const deadline = Date.now() + timeoutMs;
	let last: PublicationStatus['data'] | undefined;
	while (Date.now() < deadline) {
		last = (await n8n.api<PublicationStatus>('GET', `/rest/workflows/${id}/publication-status`)).data;
		const failed = last.triggers.filter((t) => t.status !== 'activated' && t.errorMessage);
		if (failed.length) throw new Error(`publishing workflow ${id} failed: ${failed.map((t) => t.errorMessage).join('; ')}`);
		if (last.status === 'published') return;
		await sleep(500);
	}
	const log = n8n.log().split('\n').slice(-30).join('\n');
	throw new Error(`workflow ${id} was not published within ${timeoutMs} ms (last status: ${JSON.stringify(last)}); n8n's log ends:\n${log}`);
}

export async function unpublish(n8n: N8nInstance, id: string): Promise<void> {
	await n8n.api('POST', `/rest/workflows/${id}/deactivate`, {});
}

/** "Execute workflow" in the editor, starting at `trigger`; returns the execution's id. */
export async function executeManually(n8n: N8nInstance, id: string, trigger: string): Promise<string> {
	const result = await n8n.api<{ data: { executionId?: string; waitingForWebhook?: boolean } }>('POST', `/rest/workflows/${id}/run`, {
		triggerToStartFrom: { name: trigger },
	});
	if (!result.data.executionId) throw new Error(`the manual run of ${id} started no execution: ${JSON.stringify(result.data)}`);
	return result.data.executionId;
}

// ------------------------------------------------------------------------------------------ REST: executions

export interface ExecutionSummary {
	id: string;
	workflowId: string;
	mode: string;
	status: string;
	finished: boolean;
}

export interface NodeRun {
	error?: { message?: string; description?: string };
	data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> };
}

export interface Execution extends ExecutionSummary {
	/** node name → its runs */
	runData: Record<string, NodeRun[]>;
	error?: { message?: string; description?: string; node?: { name?: string } };
}

export async function listExecutions(n8n: N8nInstance, workflowId: string): Promise<ExecutionSummary[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const res = await n8n.api<{ data: { results: ExecutionSummary[] } }>('GET', `/rest/executions?filter=${filter}`);
	return res.data.results;
}

/** n8n stores run data with `flatted` (objects that refer to each other by index); n8n's own copy reads it. */
function unflatten(text: string): unknown {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const flatted = require(path.join(ROOT, 'scripts/n8n-server/node_modules/flatted')) as { parse: (t: string) => unknown };
	return flatted.parse(text);
}

export async function getExecution(n8n: N8nInstance, id: string): Promise<Execution> {
	const res = await n8n.api<{ data: ExecutionSummary & { data: string } }>('GET', `/rest/executions/${id}`);
	const data = unflatten(res.data.data) as { resultData?: { runData?: Record<string, NodeRun[]>; error?: Execution['error'] } };
	return { ...res.data, runData: data.resultData?.runData ?? {}, error: data.resultData?.error };
}

const DONE = new Set(['success', 'error', 'crashed', 'canceled']);

/** Waits for the execution to end and returns it. */
export async function waitForExecution(n8n: N8nInstance, id: string, timeoutMs = 120_000): Promise<Execution> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const summary = (await n8n.api<{ data: ExecutionSummary }>('GET', `/rest/executions/${id}`)).data;
		if (DONE.has(summary.status)) return await getExecution(n8n, id);
		if (Date.now() > deadline) throw new Error(`execution ${id} did not end within ${timeoutMs} ms (status ${summary.status})`);
		await sleep(500);
	}
}

/** Waits until the workflow has `count` ended executions (e.g. the first poll after publishing) and returns them, oldest first. */
export async function waitForExecutions(n8n: N8nInstance, workflowId: string, count = 1, timeoutMs = 120_000): Promise<Execution[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const ended = (await listExecutions(n8n, workflowId)).filter((e) => DONE.has(e.status));
		if (ended.length >= count) {
			ended.sort((a, b) => Number(a.id) - Number(b.id));
			return await Promise.all(ended.map(async (e) => await getExecution(n8n, e.id)));
		}
		if (Date.now() > deadline) throw new Error(`workflow ${workflowId}: ${ended.length} of ${count} execution(s) ended within ${timeoutMs} ms`);
		await sleep(500);
	}
}

/** The items node `name` put on output `output` (all runs); [] when it did not run. */
export function outputOf(execution: Execution, name: string, output = 0): Array<Record<string, unknown>> {
	return (execution.runData[name] ?? []).flatMap((run) => (run.data?.main?.[output] ?? []).map((item) => item.json));
}

/** A one-line account of an execution for failure messages: status, error, items per node and output. */
export function describeExecution(execution: Execution): string {
	const nodes = Object.entries(execution.runData).map(([name, runs]) => {
		const counts = runs.map((r) => (r.error ? `error: ${r.error.message}` : (r.data?.main ?? []).map((o) => o?.length ?? 0).join('/')));
		return `${name} [${counts.join(', ')}]`;
	});
	return `execution ${execution.id} (${execution.mode}) ${execution.status}${execution.error ? `: ${execution.error.message}` : ''}; ${nodes.join('; ')}`;
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
