// @ts-check
import tseslint from 'typescript-eslint';

/** A relative-import pattern group forbidding a top-level folder, with the reason shown in the lint error. */
const forbidFolder = (folder, message) => ({ group: [`**/${folder}`, `**/${folder}/**`], message });

export default tseslint.config(
  {
    // Generated output and dependencies (app.js is esbuild's bundle of console/src); only TypeScript is linted.
    ignores: ['node_modules/', 'cdk.out/', '.local/', 'test-results/', 'console/public/app.js', '**/*.js', '**/*.cjs', '**/*.mjs'],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names mark deliberately unused parameters and destructured rest siblings.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
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
            forbidFolder('lib', 'lambdas/ must not import lib/ (the CDK constructs); move the shared piece to lambdas/shared/.'),
            forbidFolder('local', 'lambdas/ must not import local/ (the twin).'),
            { group: ['aws-cdk-lib/*'], message: 'Lambda code must not bundle aws-cdk-lib.' },
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
