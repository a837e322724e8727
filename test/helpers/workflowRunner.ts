/**
 * Runs workflow JSON through n8n's real execution engine (n8n-core's WorkflowExecute), the way n8n tests
 * its own nodes (packages/core/nodes-testing/node-test-harness.ts), with the package's nodes and
 * credentials loaded from source. Two ways in:
 * - `runWorkflow`: a manual run from a start node (as the editor's "Execute workflow" / "Fetch test event").
 * - `pollOnce`: what an active workflow does on each tick of a polling trigger: call `poll()` through a
 *   PollContext in mode 'trigger', and when it returns items, run the workflow from the trigger with them.
 * Static data (`getWorkflowStaticData`) lives in the `RunnerWorkflow` object and persists across calls,
 * as n8n saves it after production runs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

process.env.N8N_USER_FOLDER ??= mkdtempSync(path.join(tmpdir(), 'bo-n8n-'));

import { ExecutionLifecycleHooks, LoadOptionsContext, PollContext, TriggerContext, WorkflowExecute } from 'n8n-core';
import {
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentialType,
	type ICredentials,
	type IDataObject,
	type INode,
	type INodeCredentialsDetails,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRun,
	type IRunExecutionData,
	type IVersionedNodeType,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type IConnections,
	type ILoadOptionsFunctions,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import * as pkg from '../../index';
import { installN8nProcessedDataStore } from './processedData';

// the nodes' durable records (this.helpers.checkProcessedAndRecord) go to n8n's own store, as in the n8n server
installN8nProcessedDataStore();

export type Credentials = Record<string, ICredentialDataDecryptedObject>;

const PACKAGE = 'n8n-nodes-backoffice';

/** Every node class the package exports, by its n8n type name `n8n-nodes-backoffice.<name>`. */
function packageNodeTypes(): Map<string, INodeType | IVersionedNodeType> {
	const types = new Map<string, INodeType | IVersionedNodeType>();
	for (const exported of Object.values(pkg) as unknown[]) {
		if (typeof exported !== 'function') continue;
		const instance = new (exported as new () => unknown)() as Partial<INodeType>;
		if (instance.description && 'name' in instance.description && 'version' in instance.description) {
			types.set(`${PACKAGE}.${instance.description.name}`, instance as INodeType);
		}
	}
	return types;
}

function packageCredentialTypes(): Map<string, ICredentialType> {
	const types = new Map<string, ICredentialType>();
	for (const exported of Object.values(pkg) as unknown[]) {
		if (typeof exported !== 'function') continue;
		const instance = new (exported as new () => unknown)() as Partial<ICredentialType>;
		if (instance.properties && instance.name && !('description' in instance)) types.set(instance.name, instance as ICredentialType);
	}
	return types;
}

class PackageNodeTypes implements INodeTypes {
	constructor(private readonly types = packageNodeTypes()) {}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const type = this.types.get(nodeType);
		if (!type) throw new Error(`Unknown node type ${nodeType} (known: ${[...this.types.keys()].join(', ')})`);
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes() {
		return {};
	}
}

/** Hands out the test's credentials by type, decrypted, as n8n's CredentialsHelper would. */
class TestCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly credentials: Credentials,
		private readonly types = packageCredentialTypes(),
	) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(_c: ICredentialDataDecryptedObject, _t: string, requestOptions: object) {
		return requestOptions as never;
	}

	async preAuthentication() {
		return undefined;
	}

	async runPreAuthentication() {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used by the test runner');
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.credentials[type];
		if (!data) throw new Error(`The test gave no credentials of type ${type}`);
		return data;
	}

	async updateCredentials() {}

	/** n8n stores a refreshed OAuth2 token in its database; here it goes into the test's credential object. */
	async updateCredentialsOauthTokenData(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		const stored = this.credentials[type];
		if (stored) stored.oauthTokenData = data.oauthTokenData;
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.types.get(type)?.properties ?? [];
	}
}

export interface WorkflowJson {
	/** the same id in two RunnerWorkflows: two copies of one saved workflow (e.g. two processes running it) */
	id?: string;
	name?: string;
	nodes: INode[];
	connections: IConnections;
	settings?: IWorkflowBase['settings'];
	staticData?: IDataObject;
}

export interface RunResult {
	run: IRun;
	/** the items a node emitted on one of its outputs in its last run */
	output(nodeName: string, outputIndex?: number): INodeExecutionData[];
	/** the error the run stopped with, if any */
	error?: Error;
	executedNodes: string[];
}

function additionalDataFor(credentials: Credentials, hooks: ExecutionLifecycleHooks): IWorkflowExecuteAdditionalData {
	const base: Partial<IWorkflowExecuteAdditionalData> = {
		hooks,
		credentialsHelper: new TestCredentialsHelper(credentials),
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678/',
		formBaseUrl: '',
		formWaitingBaseUrl: '',
		formTestBaseUrl: '',
		webhookBaseUrl: '',
		webhookWaitingBaseUrl: '',
		webhookTestBaseUrl: '',
		mcpBaseUrl: '',
		mcpTestBaseUrl: '',
		variables: {},
		executeWorkflow: async () => {
			throw new Error('sub-workflows are not available in the test runner');
		},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		logAiEvent: () => undefined,
	} as Partial<IWorkflowExecuteAdditionalData>;
	return base as IWorkflowExecuteAdditionalData;
}

/** A workflow kept between runs, so that static data survives like in an active n8n workflow. */
export class RunnerWorkflow {
	readonly workflow: Workflow;

	/** `extraNodeTypes`: other nodes by type name (a benchmark runs n8n's own nodes next to the package's) */
	constructor(
		readonly json: WorkflowJson,
		extraNodeTypes?: Map<string, INodeType | IVersionedNodeType>,
	) {
		const nodeTypes = new PackageNodeTypes(new Map([...packageNodeTypes(), ...(extraNodeTypes ?? [])]));
		// n8n only hands a node the credentials its JSON names; name every type the node declares, as an
		// imported template with filled-in credentials would
		for (const node of json.nodes) {
			if (!node.type.startsWith(`${PACKAGE}.`)) continue;
			const declared = nodeTypes.getByNameAndVersion(node.type, node.typeVersion).description.credentials ?? [];
			node.credentials = { ...Object.fromEntries(declared.map((c) => [c.name, { id: c.name, name: c.name }])), ...node.credentials };
		}
		this.workflow = new Workflow({
			// one saved workflow per RunnerWorkflow: n8n keeps processed data per workflow id
			id: json.id ?? `test-workflow-${randomUUID()}`,
			name: json.name ?? 'test',
			nodes: json.nodes,
			connections: json.connections,
			nodeTypes,
			settings: json.settings ?? { executionOrder: 'v1' },
			staticData: json.staticData ?? {},
			active: false,
		});
	}

	get staticData(): IDataObject {
		return this.workflow.staticData;
	}

	node(name: string): INode {
		const node = this.workflow.getNode(name);
		if (!node) throw new Error(`No node named ${name}`);
		return node;
	}

	/** Runs the workflow from `startNode`, which receives `input` (default: one empty item). */
	async run(
		startNode: string,
		options: { credentials?: Credentials; input?: INodeExecutionData[][]; mode?: WorkflowExecuteMode } = {},
	): Promise<RunResult> {
		const mode = options.mode ?? 'manual';
		const hooks = new ExecutionLifecycleHooks(mode, 'test-execution', this.json as unknown as IWorkflowBase);
		const executedNodes: string[] = [];
		hooks.addHandler('nodeExecuteAfter', (nodeName: string) => {
			executedNodes.push(nodeName);
		});
		let finish!: (run: IRun) => void;
		const done = new Promise<IRun>((resolve) => (finish = resolve));
		hooks.addHandler('workflowExecuteAfter', (fullRunData: IRun) => finish(fullRunData));

		const runExecutionData: IRunExecutionData = {
			version: 1,
			startData: {},
			resultData: { runData: {} },
			executionData: {
				contextData: {},
				metadata: {},
				nodeExecutionStack: [
					{ node: this.node(startNode), data: { main: options.input ?? [[{ json: {} }]] }, source: null },
				],
				waitingExecution: {},
				waitingExecutionSource: null,
			},
		} as unknown as IRunExecutionData;

		const additionalData = additionalDataFor(options.credentials ?? {}, hooks);
		await new WorkflowExecute(additionalData, mode, runExecutionData).processRunExecutionData(this.workflow);
		const run = await done;
		const runData = run.data.resultData.runData;
		return {
			run,
			executedNodes,
			error: run.data.resultData.error as Error | undefined,
			output(nodeName: string, outputIndex = 0) {
				const runs = runData[nodeName];
				if (!runs?.length) throw new Error(`Node ${nodeName} did not run (ran: ${Object.keys(runData).join(', ')})`);
				const last = runs[runs.length - 1];
				if (last.error) throw last.error;
				return (last.data?.main?.[outputIndex] ?? []) as INodeExecutionData[];
			},
		};
	}

	/** The context n8n gives a node's `methods.listSearch` / `loadOptions` (the editor's dropdowns). */
	loadOptionsContext(nodeName: string, credentials: Credentials = {}): ILoadOptionsFunctions {
		const hooks = new ExecutionLifecycleHooks('manual', 'test-load-options', this.json as unknown as IWorkflowBase);
		return new LoadOptionsContext(this.workflow, this.node(nodeName), additionalDataFor(credentials, hooks), 'parameters');
	}

	/**
	 * One tick of an active polling trigger: `poll()` in trigger mode; when it returns data, the workflow
	 * runs from the trigger with that data (n8n's ActiveWorkflows → __emit → WorkflowRunner).
	 */
	async pollOnce(
		triggerNode: string,
		options: { credentials?: Credentials; mode?: 'trigger' | 'manual' } = {},
	): Promise<{ polled: INodeExecutionData[][] | null; result?: RunResult }> {
		const mode = options.mode ?? 'trigger';
		const node = this.node(triggerNode);
		const nodeType = this.workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
		if (!nodeType.poll) throw new Error(`${triggerNode} is not a polling trigger`);
		const hooks = new ExecutionLifecycleHooks(mode, 'test-poll', this.json as unknown as IWorkflowBase);
		const additionalData = additionalDataFor(options.credentials ?? {}, hooks);
		const context = new PollContext(this.workflow, node, additionalData, mode, mode === 'manual' ? 'manual' : 'activate');
		const polled = await nodeType.poll.call(context);
		if (polled === null) return { polled };
		const result = await this.run(triggerNode, { credentials: options.credentials, input: polled, mode: 'trigger' });
		return { polled, result };
	}

	/**
	 * What an active workflow does with a long-running trigger (n8n's Email Trigger (IMAP) and the like): call
	 * `trigger()` through a TriggerContext; each `emit` runs the workflow from the trigger with the emitted items
	 * and hands the run to `onRun`. Returns the trigger's close function.
	 */
	async startTrigger(
		triggerNode: string,
		options: { credentials?: Credentials; onRun: (items: INodeExecutionData[], result: RunResult) => void; onError: (error: Error) => void },
	): Promise<() => Promise<void>> {
		const node = this.node(triggerNode);
		const nodeType = this.workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
		if (!nodeType.trigger) throw new Error(`${triggerNode} is not a trigger with a trigger() function`);
		const hooks = new ExecutionLifecycleHooks('trigger', 'test-trigger', this.json as unknown as IWorkflowBase);
		const additionalData = additionalDataFor(options.credentials ?? {}, hooks);
		const emit = (data: INodeExecutionData[][]) => {
			void this.run(triggerNode, { credentials: options.credentials, input: data, mode: 'trigger' }).then(
				(result) => options.onRun(data[0] ?? [], result),
				options.onError,
			);
		};
		const context = new TriggerContext(this.workflow, node, additionalData, 'trigger', 'activate', emit, options.onError);
		const response = await nodeType.trigger.call(context);
		return async () => await response?.closeFunction?.();
	}
}

const savedIds = new WeakMap<object, string>();

/**
 * The id of the workflow whose saved copy `saved` is: executions of one saved workflow share it, as in n8n, where
 * processed data and the per-process records are kept per workflow (a RunnerWorkflow otherwise gets an id of its own).
 */
export function savedWorkflowId(saved: object): string {
	let id = savedIds.get(saved);
	if (id === undefined) savedIds.set(saved, (id = `test-workflow-${randomUUID()}`));
	return id;
}
