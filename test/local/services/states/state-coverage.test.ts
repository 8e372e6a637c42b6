import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_COVERAGE_DIR_ENV } from '../../../../local/services/states/state-coverage';
import { Twin } from '../../../../local/twin';
import { coverageReport, readStateCoverage } from '../../../../tools/state-coverage/state-coverage';
import { synthesize } from '../../support/synth';

/**
 * A choice between a Pass state and a Distributed Map whose children call a Lambda function; a Pass state that only a
 * failed child reaches (through the map's Catch).
 */
function buildStack(stack: Stack): void {
  const double = new lambda.Function(stack, 'Double', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async (n) => { if (n < 0) throw new Error("negative"); return 2 * n; };'),
    timeout: Duration.seconds(30),
  });
  const map = new sfn.DistributedMap(stack, 'EachNumber', { itemsPath: '$.numbers' });
  map.itemProcessor(new tasks.LambdaInvoke(stack, 'DoubleIt', { lambdaFunction: double, payloadResponseOnly: true }));
  map.addCatch(new sfn.Pass(stack, 'Refused'));
  const choice = new sfn.Choice(stack, 'Which').when(sfn.Condition.isPresent('$.numbers'), map).otherwise(new sfn.Pass(stack, 'Nothing'));
  new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(choice) });
}

/** The machine's logical ID, as CDK derives it from its construct path. */
const MACHINE = 'Machine6FC8AE80';

let scratch: string;
let coverageDir: string;
let twin: Twin;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'state-coverage-'));
  coverageDir = join(scratch, 'coverage');
  const before = process.env[STATE_COVERAGE_DIR_ENV];
  process.env[STATE_COVERAGE_DIR_ENV] = coverageDir;
  try {
    // A team stack's name: the coverage counts the state machines of team stacks only.
    twin = await Twin.start({ cdkOut: synthesize(buildStack, 'Mlops-coverage'), dataDirectory: join(scratch, 'data') });
  } finally {
    if (before === undefined) delete process.env[STATE_COVERAGE_DIR_ENV];
    else process.env[STATE_COVERAGE_DIR_ENV] = before;
  }
}, 120_000);
afterAll(async () => {
  await twin?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const run = async (input: unknown) => {
  const machine = twin.app.resourcesOfType('AWS::StepFunctions::StateMachine')[0];
  const execution = await twin.states.start(machine.stack.ref(machine.logicalId), input).done;
  expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
};

describe("the test run's state coverage", () => {
  const STATES = ['DoubleIt', 'EachNumber', 'Nothing', 'Refused', 'Which'];
  const TRANSITIONS = ['EachNumber -> Refused', 'Which -> EachNumber', 'Which -> Nothing'];

  it("names the states of a team stack's state machine that no execution entered and the transitions none took, a Distributed Map's children included", async () => {
    // GIVEN no execution yet: every state and transition is defined, none entered or taken
    expect(readStateCoverage(coverageDir)).toEqual([{ machine: MACHINE, defined: STATES, missed: STATES, transitions: TRANSITIONS, untaken: TRANSITIONS }]);
    // WHEN one execution takes the choice's default and another maps two numbers
    await run({});
    await run({ numbers: [1, 2] });
    // THEN only the catch is left, and the report names its state and its transition
    const coverage = readStateCoverage(coverageDir);
    expect(coverage).toEqual([{ machine: MACHINE, defined: STATES, missed: ['Refused'], transitions: TRANSITIONS, untaken: ['EachNumber -> Refused'] }]);
    expect(coverageReport(coverage)).toEqual([
      `${MACHINE}: 4 of 5 states entered, 2 of 3 transitions taken`,
      '  never entered: Refused',
      '  never taken: EachNumber -> Refused',
    ]);
    // AND a failed child takes the catch: nothing is left
    await run({ numbers: [1, -1] });
    expect(readStateCoverage(coverageDir)[0]).toMatchObject({ missed: [], untaken: [] });
    // AND each fact was written once, to one file of this process
    expect(readdirSync(coverageDir)).toHaveLength(1);
  });
});
