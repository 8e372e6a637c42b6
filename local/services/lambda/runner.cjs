// @ts-check
/**
 * One Lambda execution environment: a child process that loads the function's deployed module once (the "init"
 * phase) and then runs one invocation at a time, like a warm Lambda container. Plain JavaScript on purpose: the
 * bundle from cdk.out must run exactly as Lambda's Node.js runtime would run it, with no TypeScript loader hooked
 * into module loading. The parent (worker-pool.ts) talks to it over IPC; everything the handler prints goes to
 * stdout/stderr, which the parent reads as the function's log.
 */
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
const handlerSpec = process.env._HANDLER || 'index.handler';

/** @param {unknown} err @param {string} [errorType] */
function errorPayload(err, errorType) {
  const error = err instanceof Error ? err : new Error(String(err));
  return { errorType: errorType || error.name || 'Error', errorMessage: error.message, trace: String(error.stack || '').split('\n') };
}

/** @param {string} name @param {string} message */
function runtimeError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

async function loadHandler() {
  const dot = handlerSpec.lastIndexOf('.');
  const modulePath = handlerSpec.slice(0, dot);
  const exportName = handlerSpec.slice(dot + 1);
  const file = ['.js', '.cjs', '.mjs'].map((ext) => join(taskRoot, modulePath + ext)).find((f) => existsSync(f));
  if (!file) throw runtimeError('Runtime.ImportModuleError', `Cannot find module '${modulePath}' in ${taskRoot}`);
  const loaded = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : require(file);
  const handler = loaded[exportName] ?? loaded.default?.[exportName];
  if (typeof handler !== 'function') throw runtimeError('Runtime.HandlerNotFound', `${handlerSpec} is undefined or not exported`);
  return handler;
}

const handlerReady = loadHandler();
// An init failure is reported on the first invocation, as Lambda does; keep it from crashing the process first.
handlerReady.catch(() => undefined);

process.on('message', async (/** @type {{ type: string, id: string, event: unknown, deadlineMs: number, invokedFunctionArn: string }} */ message) => {
  if (message.type !== 'invoke') return;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.id,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let handler;
  try {
    handler = await handlerReady;
  } catch (err) {
    process.send?.({ type: 'result', id: message.id, error: errorPayload(err, /** @type {Error} */ (err).name) });
    return;
  }
  try {
    const result = await handler(message.event, context);
    process.send?.({ type: 'result', id: message.id, result: result === undefined ? null : result });
  } catch (err) {
    process.send?.({ type: 'result', id: message.id, error: errorPayload(err) });
  }
});

process.send?.({ type: 'ready' });
