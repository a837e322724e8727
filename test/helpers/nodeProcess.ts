/** A worker-like process that runs workflows through n8n's engine (nodeProcessChild.js), for tests across processes. */
import { fork } from 'node:child_process';
import path from 'node:path';

import type { IDataObject, WorkflowExecuteMode } from 'n8n-workflow';

import type { Credentials, RunnerWorkflow } from './workflowRunner';

export interface ProcessRun {
	/** the JSON of the items on each output of the node */
	outputs: IDataObject[][];
	/** the workflow's static data after the run */
	staticData: IDataObject;
}

export class NodeProcess {
	readonly child;
	readonly exited;
	readonly ready;

	/** `env`: the process's variables (n8n's DB_* among them) */
	constructor(env: NodeJS.ProcessEnv = process.env) {
		this.child = fork(path.join(__dirname, 'nodeProcessChild.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env });
		this.exited = new Promise((resolve) => this.child.once('exit', resolve));
		this.ready = new Promise((resolve) => this.child.once('message', resolve));
	}

	/** Runs `workflow` from `node` (one run at a time per process); rejects with the run's error. */
	async run(workflow: RunnerWorkflow, node: string, outputs: number, credentials: Credentials, options: { items?: IDataObject[]; mode?: WorkflowExecuteMode } = {}): Promise<ProcessRun> {
		await this.ready;
		const answer = new Promise<ProcessRun & { error?: string }>((resolve, reject) => {
			this.child.once('message', resolve);
			void this.exited.then(() => reject(new Error('the process ended before its run')));
		});
		this.child.send({ workflow: workflow.json, node, outputs, credentials, ...options });
		const { error, ...run } = await answer;
		if (error) throw new Error(error);
		return run;
	}

	async stop(): Promise<void> {
		this.child.kill('SIGKILL');
		await this.exited;
	}
}
