/**
 * The parts of the Lambda client the shadow sender uses (shadow-copies.ts), imported by name so that esbuild bundles
 * only these: the sender loads this module on its first send, and a dynamic import of `@aws-sdk/client-lambda`
 * itself would keep the whole package (every command, shape and error) in the function bundle.
 */
export { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
