// @ts-check
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** A relative-import pattern group forbidding a top-level folder, with the reason shown in the lint error. */
const forbidFolder = (folder, message) => ({ group: [`**/${folder}`, `**/${folder}/**`], message });

export default defineConfig(
  {
    // Dependencies and generated output; only TypeScript is linted (the console's JavaScript is type-checked by console/tsconfig.json).
    ignores: ['node_modules/', 'cdk.out/', '.local/', 'test-results/', 'dist/', '**/*.js', '**/*.cjs', '**/*.mjs'],
  },
  tseslint.configs.recommended,
  {
    rules: {
      // The codebase's conventions, as the type check's noUnused* options allow them: a `_` name is unused on purpose
      // (a parameter a signature requires, an element skipped), and destructuring with a rest drops the named keys.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // contracts/ is the leaf every folder imports: the shapes and names two folders agree on. It imports only zod and
    // Node built-ins, so importing a contract never pulls in constructs, Lambda code, the twin or the console.
    files: ['contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$|zod/|node:|\\./)',
              message: 'contracts/ imports only zod, node: built-ins and other contracts/ files; it is the leaf every folder shares.',
            },
          ],
        },
      ],
    },
  },
  {
    // Deployed runtime code must not pull in the CDK constructs (and aws-cdk-lib with them).
    files: ['lambdas/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'aws-cdk-lib', message: 'Lambda code must not bundle aws-cdk-lib.' },
            { name: 'constructs', message: 'Lambda code must not bundle constructs.' },
          ],
          patterns: [
            forbidFolder('lib', 'lambdas/ must not import lib/ (the CDK constructs); what both need is a contract: put it in contracts/.'),
            forbidFolder('local', 'lambdas/ must not import local/ (the twin).'),
            { group: ['aws-cdk-lib/*'], message: 'Lambda code must not bundle aws-cdk-lib.' },
          ],
        },
      ],
    },
  },
  {
    // The containers' code runs in AWS too (SageMaker jobs): no constructs, no twin. The team config's schema and the
    // pipeline spec it reads are in contracts/.
    files: ['pipelines/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            forbidFolder('lib', 'pipelines/ must not import lib/ (the CDK constructs); what both need is a contract: put it in contracts/.'),
            forbidFolder('local', 'pipelines/ must not import local/ (the twin).'),
          ],
        },
      ],
    },
  },
  {
    // The console is bundled for the browser: no constructs, no twin, no Lambda code. The bodies it reads from the
    // approval API and the twin are in contracts/ (registry-api.ts, twin-api.ts), typed by their producers too.
    files: ['console/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            forbidFolder('lib', 'console/ must not import lib/ (the CDK constructs); it runs in the browser.'),
            forbidFolder('local', 'console/ must not import local/ (the twin); the twin\'s response types are in contracts/twin-api.ts.'),
            forbidFolder('lambdas', 'console/ must not import lambdas/; the approval API\'s response types are in contracts/registry-api.ts.'),
          ],
        },
      ],
    },
  },
  {
    // The constructs must not depend on the twin.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [forbidFolder('local', 'lib/ must not import local/ (the twin); the twin reads what lib/ synthesizes.')] },
      ],
    },
  },
);
