// The lint setup of n8n's community-node CLI (`@n8n/node-cli/eslint`, configWithoutCloudSupport), rebuilt
// from its parts because installing the CLI itself pulls in n8n's AI SDK and LangChain.
//
// One rule is switched off: `no-runtime-dependencies`. This package needs imapflow, basic-ftp, nodemailer,
// mailparser and pdf-lib at run time, so it is a *self-hosted* community package (n8n Cloud and the
// "verified" badge accept only packages without runtime dependencies). Every other rule stays on.
import js from '@eslint/js';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import { globalIgnores } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importPlugin from 'eslint-plugin-import-x';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import tseslint from 'typescript-eslint';

const communityNodesRecommended = n8nCommunityNodesPlugin.configs.recommendedWithoutN8nCloudSupport;
const selfHosted = { '@n8n/community-nodes/no-runtime-dependencies': 'off' };

export default tseslint.config(
	globalIgnores(['dist', 'node_modules', '.cache', 'scripts/n8n-server', 'test', 'bench', 'scripts']),
	{
		files: ['**/*.ts'],
		extends: [
			js.configs.recommended,
			tseslint.configs.recommended,
			communityNodesRecommended,
			importPlugin.configs['flat/recommended'],
		],
		rules: { 'prefer-spread': 'off', 'no-console': 'error', ...selfHosted },
	},
	{
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
	},
	{
		files: ['package.json'],
		extends: [communityNodesRecommended],
		rules: { ...n8nNodesBase.configs.community.rules, ...selfHosted },
		languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
	},
	{
		files: ['./credentials/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
		},
	},
	{
		files: ['./nodes/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
			'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
		},
	},
);
