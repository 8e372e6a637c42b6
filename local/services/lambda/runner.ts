/**
 * One Lambda execution environment: a child process that loads the function's deployed module once (the "init"
 * phase) and then runs one invocation at a time, like a warm Lambda container. The parent (worker-pool.ts) talks to it
 * over IPC; everything the handler prints goes to stdout/stderr, which the parent reads as the function's log.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface InvokeMessage {
  type: 'invoke';
  id: string;
  event: unknown;
  deadlineMs: number;
  invokedFunctionArn: string;
}

type Handler = (event: unknown, context: object) => Promise<unknown>;

const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const handlerSpec = process.env._HANDLER ?? 'index.handler';

function errorPayload(err: unknown, errorType?: string) {
  const error = err instanceof Error ? err : new Error(String(err));
  return {
    errorType: errorType ?? error.name ?? 'Error',
    errorMessage: error.message,
    trace: (error.stack ?? '').split('\n'),
  };
}

async function loadHandler(): Promise<Handler> {
  const dot = handlerSpec.lastIndexOf('.');
  const modulePath = handlerSpec.slice(0, dot);
  const exportName = handlerSpec.slice(dot + 1);
  const file = ['.js', '.cjs', '.mjs'].map((ext) => join(taskRoot, modulePath + ext)).find((f) => existsSync(f));
  if (!file) throw Object.assign(new Error(`Cannot find module '${modulePath}' in ${taskRoot}`), { name: 'Runtime.ImportModuleError' });
  const loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown> & { default?: Record<string, unknown> };
  const handler = loaded[exportName] ?? loaded.default?.[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${handlerSpec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return handler as Handler;
}

const handlerReady = loadHandler();
// An init failure is reported on the first invocation, as Lambda does; keep it from crashing the process first.
handlerReady.catch(() => undefined);

process.on('message', async (message: InvokeMessage) => {
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
  let handler: Handler;
  try {
    handler = await handlerReady;
  } catch (err) {
    process.send?.({ type: 'result', id: message.id, error: errorPayload(err, (err as Error).name) });
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
