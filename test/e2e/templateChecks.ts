/**
 * Static checks of the workflow templates against the nodes they use: every parameter a template sets must
 * exist in the node's description (for the template's typeVersion), and every fixed choice must be one of
 * the node's options. A parameter renamed in a node would otherwise be dropped silently by the editor, and
 * the template would run with the default instead. The package's nodes are read from dist/ (as n8n loads
 * them), n8n's own from n8n-nodes-base's type file (dist/types/nodes.json of the installed n8n).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { cronNodeOptions } from 'n8n-workflow';

import { PKG, ROOT } from './n8nInstance';
import type { Template, TemplateNode } from './templateRuns';

interface Property {
	name: string;
	type: string;
	options?: Array<Property | { name: string; value?: unknown; values?: Property[] }>;
	values?: Property[];
}

interface NodeDescription {
	name: string;
	version: number | number[];
	properties: Property[];
	polling?: boolean;
}

const BASE_TYPES = path.join(ROOT, 'scripts/n8n-server/node_modules/n8n-nodes-base/dist/types/nodes.json');
const PACKAGE_PREFIX = `${PKG.name}.`;

let baseNodes: NodeDescription[] | undefined;
let packageNodes: NodeDescription[] | undefined;

function loadBaseNodes(): NodeDescription[] {
	if (!existsSync(BASE_TYPES)) throw new Error(`${BASE_TYPES} is missing: run "bash scripts/n8n-server.sh install"`);
	baseNodes ??= JSON.parse(readFileSync(BASE_TYPES, 'utf8')) as NodeDescription[];
	return baseNodes;
}

/** The descriptions of the nodes package.json lists, from the built files n8n loads. */
function loadPackageNodes(): NodeDescription[] {
	packageNodes ??= PKG.n8n.nodes.flatMap((file) => {
		const full = path.join(ROOT, file);
		if (!existsSync(full)) throw new Error(`${file} is missing: run "npm run build" first`);
		const mod = require(full) as Record<string, unknown>;
		return Object.values(mod)
			.filter((v): v is new () => { description: NodeDescription } => typeof v === 'function')
			.map((C) => new C().description)
			.filter((d) => d && typeof d.name === 'string');
	});
	return packageNodes;
}

const versions = (d: NodeDescription): number[] => (Array.isArray(d.version) ? d.version : [d.version]);

/** The description of a template node's type and version, or an error text. */
export function descriptionOf(node: TemplateNode): NodeDescription | string {
	if (node.type.startsWith(PACKAGE_PREFIX)) {
		const name = node.type.slice(PACKAGE_PREFIX.length);
		const found = loadPackageNodes().find((d) => d.name === name);
		if (!found) return `${node.type} is not a node of package.json "n8n.nodes"`;
		if (!versions(found).includes(node.typeVersion)) return `${node.type} has no version ${node.typeVersion}`;
		return found;
	}
	if (node.type.startsWith('n8n-nodes-base.')) {
		const name = node.type.slice('n8n-nodes-base.'.length);
		const candidates = loadBaseNodes().filter((d) => d.name === name);
		if (!candidates.length) return `${node.type} is not a node of n8n-nodes-base`;
		const found = candidates.find((d) => versions(d).includes(node.typeVersion));
		if (!found) return `${node.type} has no version ${node.typeVersion} (has ${candidates.flatMap(versions).join(', ')})`;
		return found;
	}
	return `${node.type}: a node of another package`;
}

const isExpression = (v: unknown) => typeof v === 'string' && v.startsWith('=');

/** Parameters of `values` that `properties` do not know, and fixed values that are not among the options. */
function check(values: Record<string, unknown>, properties: Property[], where: string): string[] {
	const problems: string[] = [];
	for (const [key, value] of Object.entries(values)) {
		const matching = properties.filter((p) => p.name === key);
		if (!matching.length) {
			problems.push(`${where}${key}: no such parameter`);
			continue;
		}
		// a name may be declared several times (per operation); one declaration that accepts the value suffices
		const results = matching.map((p) => checkValue(value, p, `${where}${key}`));
		if (!results.some((r) => r.length === 0)) problems.push(...results[0]);
	}
	return problems;
}

function checkValue(value: unknown, p: Property, where: string): string[] {
	if (isExpression(value)) return [];
	if (p.type === 'options' && Array.isArray(p.options)) {
		const allowed = p.options.map((o) => (o as { value?: unknown }).value);
		// options loaded from the server (loadOptionsMethod) have no list here
		return allowed.length && !allowed.includes(value) ? [`${where}: "${String(value)}" is not one of ${allowed.map(String).join(', ')}`] : [];
	}
	if (p.type === 'multiOptions' && Array.isArray(p.options) && Array.isArray(value)) {
		const allowed = p.options.map((o) => (o as { value?: unknown }).value);
		return value.filter((v) => !allowed.includes(v)).map((v) => `${where}: "${String(v)}" is not one of ${allowed.map(String).join(', ')}`);
	}
	if (p.type === 'collection' && value && typeof value === 'object' && !Array.isArray(value)) {
		return check(value as Record<string, unknown>, (p.options ?? []) as Property[], `${where}.`);
	}
	if (p.type === 'fixedCollection' && value && typeof value === 'object' && !Array.isArray(value)) {
		const problems: string[] = [];
		for (const [group, entries] of Object.entries(value as Record<string, unknown>)) {
			const option = (p.options ?? []).find((o) => o.name === group) as { values?: Property[] } | undefined;
			if (!option) {
				problems.push(`${where}.${group}: no such group`);
				continue;
			}
			for (const [i, entry] of (Array.isArray(entries) ? entries : [entries]).entries()) {
				if (entry && typeof entry === 'object') problems.push(...check(entry as Record<string, unknown>, option.values ?? [], `${where}.${group}[${i}].`));
			}
		}
		return problems;
	}
	return [];
}

/** Every problem of one template node: unknown type or version, unknown parameters, impossible choices. */
export function nodeProblems(node: TemplateNode): string[] {
	const description = descriptionOf(node);
	if (typeof description === 'string') return [`${node.name}: ${description}`];
	const properties = [...description.properties];
	// n8n adds the poll schedule to every polling trigger itself
	if (description.polling) properties.push({ name: 'pollTimes', type: 'fixedCollection', options: cronNodeOptions as unknown as Property[] });
	return check(node.parameters, properties, `${node.name}: `);
}

/** Problems of a whole template (see nodeProblems), plus structure: connections between existing nodes. */
export function templateProblems(template: Template): string[] {
	const problems = template.nodes.flatMap(nodeProblems);
	const names = new Set(template.nodes.map((n) => n.name));
	for (const [source, outputs] of Object.entries(template.connections)) {
		if (!names.has(source)) problems.push(`connection from a node that does not exist: ${source}`);
		for (const targets of outputs.main ?? []) {
			for (const target of targets ?? []) if (!names.has(target.node)) problems.push(`connection to a node that does not exist: ${target.node}`);
		}
	}
	return problems;
}
