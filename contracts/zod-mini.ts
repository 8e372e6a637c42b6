/**
 * zod's mini build, for the schemas on the inference function's cold path.
 * Producers: the schemas written with it, contracts/model-metadata.ts and the inference function's own
 * (lambdas/inference/request-schema.ts, function-url-event.ts).
 * Consumers: whatever parses with those schemas (lambdas/inference/, the trainers and evaluation in pipelines/, the CLI
 * in bin/); classic schemas embed mini ones as they embed their own (both are zod's core types).
 *
 * Why not the classic build there: classic gives every schema all its methods as it is made, and its module is the
 * whole library, which a cold start would parse, compile and run before its first prediction (bench/cold-start.ts
 * measures the cold start; test/lambdas/inference/bundled-handler.test.ts keeps classic off its path). Mini builds the
 * same validation from functions esbuild keeps only where used.
 *
 * Mini carries no error messages of its own ("Invalid input"); English is the classic build's default, set here so
 * that both word an issue alike, whichever of them loads first.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
